//! Owners' contacts in the office, and who looked at them.
//!
//! An owner's full name and number are kept on the server only (`store::OwnerContactRecord`);
//! the case page shows the masked form the document holds (王**, 138****2046). The full contact
//! is one click further, on a page of its own, and every time it is shown the server records
//! who saw it, when, for which case and why (the department's 签阅: every look-up at a
//! customer archive is signed for). The manager reads that record.
//!
//! - `GET /cases/{unit}/{finding}/contact`: the full contact, for office staff of the project;
//!   the look is recorded first (no record, no contact).
//! - `GET /archives/contact-log`: every look in the manager's projects, newest first.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::role::Role;
use serde::Deserialize;

use super::case_load::{load_for_page, not_found};
use super::i18n::{Lang, Msg};
use super::layout::{internal, message_page, render};
use super::session::Staff;
use super::when::beijing;
use crate::state::AppState;
use crate::store::{CaseRecord, ContactPurpose, ContactView, Page};

/// Rows of the access log per page.
const LOG_PAGE: u32 = 100;

/// `GET /cases/{unit}/{finding}/contact`.
pub async fn contact(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit_path, finding_path)): Path<(String, String)>,
) -> Response {
    let (unit, finding, loaded) =
        match load_for_page(&state, &staff, &unit_path, &finding_path).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    // Office staff of the project; a foreman never sees an owner's contact.
    match staff.role_in(&loaded.project.id) {
        Some(r) if r != Role::Contractor => {}
        _ => return not_found(&staff),
    }
    let lang = staff.lang;
    let record = match state.store.owner_contact(&finding).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            let m = lang.pick(
                "此案件没有登记业主联系方式。",
                "No owner's contact was taken with this case.",
            );
            return message_page(StatusCode::NOT_FOUND, lang, m, Some(staff.top_bar()));
        }
        Err(e) => return internal(e),
    };
    let view = ContactView {
        at: state.now(),
        user: staff.user.clone(),
        project: loaded.project.id.clone(),
        unit: unit.clone(),
        finding: finding.clone(),
        purpose: ContactPurpose::Case,
    };
    if let Err(e) = state.store.record_contact_views(vec![view]).await {
        return internal(e);
    }
    tracing::info!(user = %staff.user, %unit, %finding, "an owner's full contact was shown");
    let c = record.contact;
    let case = format!("/cases/{unit}/{finding}");
    let description = loaded.finding.description.clone();
    let unit_name = super::labels::unit(&loaded.project, &unit);
    let body = rsx! {
        h1 { {Msg::OwnerContact.text(lang)} }
        p { a { href: "{case}", "{unit_name} · {description}" } }
        table { class: "facts", id: "owner-contact",
            tr { th { {Msg::OwnerName.text(lang)} } td { id: "owner-name", "{c.name}" } }
            tr { th { {Msg::OwnerPhone.text(lang)} } td { a { id: "owner-phone", href: "tel:{c.phone}", "{c.phone}" } } }
        }
        p { class: "hint", {Msg::ContactLookRecorded.text(lang)} }
    };
    render(
        lang,
        Msg::OwnerContact.text(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}

/// Records that `staff` saw the owners' cases `rows` by an owner search.
pub async fn record_search(
    state: &AppState,
    staff: &Staff,
    rows: &[CaseRecord],
) -> Result<(), crate::store::StoreError> {
    let at = state.now();
    let views = rows
        .iter()
        .map(|r| ContactView {
            at,
            user: staff.user.clone(),
            project: r.project.clone(),
            unit: r.unit.clone(),
            finding: r.case.finding.clone(),
            purpose: ContactPurpose::Search,
        })
        .collect();
    state.store.record_contact_views(views).await
}

/// The access log's page number.
#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    page: u32,
}

/// `GET /archives/contact-log`: for managers, the looks in their projects.
pub async fn access_log(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Response {
    let lang = staff.lang;
    let projects: Vec<ProjectId> = staff
        .memberships
        .iter()
        .filter(|m| m.role == Role::Manager)
        .map(|m| m.project.clone())
        .collect();
    if projects.is_empty() {
        let m = Msg::Forbidden.text(lang);
        return message_page(StatusCode::FORBIDDEN, lang, m, Some(staff.top_bar()));
    }
    let page = query.map(|Query(q)| q.page).unwrap_or_default().min(10_000);
    let rows = match state
        .store
        .contact_views(
            &projects,
            Page {
                offset: page * LOG_PAGE,
                limit: LOG_PAGE,
            },
        )
        .await
    {
        Ok(rows) => rows,
        Err(e) => return internal(e),
    };
    let more = rows.len() == LOG_PAGE as usize;
    // Who looked, and at which unit, by name: each person and project read once a page.
    let users = rows.iter().map(|v| v.user.clone()).collect();
    let names = match super::fines::display_names(&state, users).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let units = match super::labels::units(
        &state,
        rows.iter()
            .map(|v| (v.project.clone(), v.unit.clone()))
            .collect(),
    )
    .await
    {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    let viewer = |v: &crate::store::ContactView| {
        names
            .get(&v.user)
            .cloned()
            .unwrap_or_else(|| v.user.to_string())
    };
    let body = rsx! {
        h1 { {Msg::ContactLog.text(lang)} }
        p { {Msg::ContactLogHelp.text(lang)} }
        if rows.is_empty() {
            p { {Msg::NoCases.text(lang)} }
        } else {
            table { id: "contact-log",
                thead { tr {
                    th { {Msg::When.text(lang)} }
                    th { {Msg::Who.text(lang)} }
                    th { {Msg::Unit.text(lang)} }
                    th { {lang.pick("案件", "Case")} }
                    th { {lang.pick("用途", "Why")} }
                } }
                tbody {
                    for v in rows.iter() {
                        tr { class: "contact-view",
                            td { {beijing(v.at)} }
                            td { class: "viewer", title: "{v.user}", {viewer(v)} }
                            td { {units.get(&v.unit).cloned().unwrap_or_default()} }
                            td { a { href: "/cases/{v.unit}/{v.finding}", {lang.pick("查看案件", "Open the case")} } }
                            td { {purpose(v.purpose, lang)} }
                        }
                    }
                }
            }
        }
        p { class: "noprint",
            if page > 0 { a { href: "/archives/contact-log?page={page - 1}", {lang.pick("上一页", "Previous")} } " " }
            if more { a { href: "/archives/contact-log?page={page + 1}", {lang.pick("下一页", "Next")} } }
        }
    };
    render(
        lang,
        Msg::ContactLog.text(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}

fn purpose(p: ContactPurpose, lang: Lang) -> &'static str {
    match p {
        ContactPurpose::Case => lang.pick("在案件中查看", "Opened on the case"),
        ContactPurpose::Search => lang.pick("业主档案查询", "Owner search"),
    }
}
