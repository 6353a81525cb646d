//! `GET /inbox`: a person's reminders and escalations (the bell in the top bar), newest first,
//! filtered by kind or to the unread ones, each linking to its case; `POST /inbox/read` marks
//! some or all of them read.
//!
//! What lands here is decided by `plumbline_shared::workflow::reminder` and recorded once per
//! person by the store with the case's projection (see `crate::verdicts`).

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::ids::UnitId;
use plumbline_shared::workflow::reminder::ReminderKind;
use serde::Deserialize;

use super::i18n::{Lang, Msg};
use super::layout::{internal, message_page, render};
use super::session::Staff;
use super::when::beijing;
use crate::state::AppState;
use crate::store::{Notification, Page};

/// Notifications per page.
const PAGE_ROWS: u32 = 50;

/// The inbox's filters.
#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    /// Only this kind (`response_overdue`, …); all when empty.
    #[serde(default)]
    pub kind: String,
    /// `1`: only the unread ones.
    #[serde(default)]
    pub unread: String,
    /// Page number, from 1.
    #[serde(default)]
    pub page: String,
}

/// What `POST /inbox/read` takes: the form token, and one id or `all`.
#[derive(Debug, Deserialize)]
pub struct ReadForm {
    csrf: String,
    /// A notification's number, or `all`.
    id: String,
}

#[derive(Props, Clone, PartialEq)]
struct InboxProps {
    lang: Lang,
    csrf: String,
    kind: String,
    unread_only: bool,
    rows: Vec<Notification>,
    /// The rows' units as people name them.
    units: BTreeMap<UnitId, String>,
    page: u32,
    more: bool,
}

#[allow(non_snake_case)] // a component
fn InboxPage(p: InboxProps) -> Element {
    let lang = p.lang;
    let label = |k: ReminderKind| lang.pick(k.label_zh(), k.label_en()).to_owned();
    let word = |k: ReminderKind| {
        if k.is_escalation() {
            Msg::EscalateTo.text(lang)
        } else {
            Msg::Remind.text(lang)
        }
    };
    let unread_value = if p.unread_only { "1" } else { "" };
    rsx! {
        h1 { {Msg::Inbox.text(lang)} }
        form { class: "filters", method: "get", action: "/inbox",
            label { {Msg::InboxAbout.text(lang)}
                select { name: "kind",
                    option { value: "", selected: p.kind.is_empty(), {Msg::InboxAllKinds.text(lang)} }
                    for k in ReminderKind::ALL {
                        option { value: k.as_str(), selected: p.kind == k.as_str(), "{label(k)}" }
                    }
                }
            }
            label {
                input { r#type: "checkbox", name: "unread", value: "1", checked: p.unread_only }
                {Msg::InboxUnreadOnly.text(lang)}
            }
            button { r#type: "submit", {Msg::Filter.text(lang)} }
        }
        form { method: "post", action: "/inbox/read",
            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
            input { r#type: "hidden", name: "id", value: "all" }
            button { r#type: "submit", id: "mark-all-read", {Msg::InboxMarkAllRead.text(lang)} }
        }
        if p.rows.is_empty() {
            p { class: "hint", {Msg::InboxEmpty.text(lang)} }
        } else {
            table { id: "inbox",
                thead { tr {
                    th { {Msg::InboxWhen.text(lang)} }
                    th { {Msg::InboxAbout.text(lang)} }
                    th { {Msg::InboxCase.text(lang)} }
                    th {}
                } }
                tbody {
                    for n in p.rows.iter() {
                        tr { class: if n.read_at.is_none() { "unread" } else { "" },
                            "data-kind": n.kind.as_str(),
                            td { {beijing(n.due_at)} }
                            td { "{word(n.kind)} · {label(n.kind)}" }
                            td {
                                a { href: "/cases/{n.unit}/{n.finding}",
                                    {p.units.get(&n.unit).cloned().unwrap_or_else(|| n.unit.to_string())}
                                    if let Some(no) = &n.notice_no { " · {no}" }
                                }
                            }
                            td {
                                if n.read_at.is_none() {
                                    form { method: "post", action: "/inbox/read",
                                        input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                        input { r#type: "hidden", name: "id", value: "{n.id}" }
                                        button { r#type: "submit", {Msg::InboxMarkRead.text(lang)} }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div { class: "pager",
                if p.page > 1 {
                    a { href: "/inbox?kind={p.kind}&unread={unread_value}&page={p.page - 1}", "‹" }
                }
                span { "{p.page}" }
                if p.more {
                    a { href: "/inbox?kind={p.kind}&unread={unread_value}&page={p.page + 1}", "›" }
                }
            }
        }
    }
}

/// `GET /inbox`.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<InboxQuery>, QueryRejection>,
) -> Response {
    let lang = staff.lang;
    let bad = |what: &str| {
        message_page(
            StatusCode::BAD_REQUEST,
            lang,
            &Msg::BadParameter.text(lang).replace("{name}", what),
            Some(staff.top_bar()),
        )
    };
    let Ok(Query(q)) = query else {
        return bad("?");
    };
    let kind = match q.kind.trim() {
        "" => None,
        text => match ReminderKind::parse(text) {
            Some(k) => Some(k),
            None => return bad("kind"),
        },
    };
    let page = match q.page.trim() {
        "" => 1,
        text => match text.parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => n,
            _ => return bad("page"),
        },
    };
    let unread_only = q.unread == "1";
    // One row more than a page tells whether there is a next one.
    let mut rows = match state
        .store
        .notifications(
            &staff.user,
            kind,
            unread_only,
            Page {
                offset: (page - 1) * PAGE_ROWS,
                limit: PAGE_ROWS + 1,
            },
        )
        .await
    {
        Ok(rows) => rows,
        Err(e) => return internal(e),
    };
    let more = rows.len() > PAGE_ROWS as usize;
    rows.truncate(PAGE_ROWS as usize);
    let units = match super::labels::units(
        &state,
        rows.iter()
            .map(|n| (n.project.clone(), n.unit.clone()))
            .collect(),
    )
    .await
    {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    let body = rsx! {
        InboxPage {
            lang,
            csrf: staff.csrf.clone(),
            kind: kind.map_or(String::new(), |k| k.as_str().to_owned()),
            unread_only,
            rows,
            units,
            page,
            more,
        }
    };
    render(lang, Msg::Inbox.text(lang), Some(staff.top_bar()), body).into_response()
}

/// `POST /inbox/read`: marks one notification (`id`) or all (`id=all`) read, then back to the
/// inbox.
pub async fn mark_read(
    State(state): State<AppState>,
    staff: Staff,
    form: Result<Form<ReadForm>, FormRejection>,
) -> Response {
    let lang = staff.lang;
    let bad = || {
        message_page(
            StatusCode::BAD_REQUEST,
            lang,
            &Msg::BadParameter.text(lang).replace("{name}", "id"),
            Some(staff.top_bar()),
        )
    };
    let Ok(Form(form)) = form else {
        return bad();
    };
    if let Some(refused) = staff.csrf_refusal(&form.csrf) {
        return refused;
    }
    let ids = match form.id.trim() {
        "all" => None,
        text => match text.parse::<i64>() {
            Ok(id) => Some(vec![id]),
            Err(_) => return bad(),
        },
    };
    match state
        .store
        .mark_notifications_read(&staff.user, ids, state.now())
        .await
    {
        Ok(_) => Redirect::to("/inbox").into_response(),
        Err(e) => internal(e),
    }
}
