//! `/admin/webhooks`: each administered project's work-group robot (企业微信 or 钉钉 group
//! robot address) and its latest messages with what happened to them, failures included; the
//! form sets or removes the robot. Sending is `crate::webhook`'s.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::ids::ProjectId;
use serde::Deserialize;

use super::Admin;
use crate::state::AppState;
use crate::store::{Webhook, WebhookKind, WebhookMessage};
use crate::web::i18n::{Lang, Msg};
use crate::web::layout::internal;
use crate::web::posted::posted_with_csrf_field;
use crate::web::when::beijing;

/// The longest robot address taken (the platforms' are about 120 characters).
const MAX_URL_CHARS: usize = 1_024;
/// Messages listed per project.
const LISTED: usize = 20;

/// One project as the page shows it.
#[derive(Debug, Clone, PartialEq)]
struct ProjectHook {
    id: ProjectId,
    hook: Option<Webhook>,
    messages: Vec<WebhookMessage>,
}

#[derive(Props, Clone, PartialEq)]
struct WebhooksProps {
    lang: Lang,
    csrf: String,
    projects: Vec<ProjectHook>,
}

fn kind_label(kind: WebhookKind, lang: Lang) -> &'static str {
    match kind {
        WebhookKind::Wecom => lang.pick("企业微信群机器人", "WeCom group robot"),
        WebhookKind::Dingtalk => lang.pick("钉钉自定义机器人", "DingTalk custom robot"),
    }
}

#[allow(non_snake_case)] // a component
fn WebhooksPage(p: WebhooksProps) -> Element {
    let lang = p.lang;
    rsx! {
        h1 { {Msg::Webhooks.text(lang)} }
        p { class: "hint", {Msg::WebhooksHelp.text(lang)} }
        for project in p.projects.iter() {
            section { id: "webhook-{project.id}",
                h2 { "{project.id}" }
                form { method: "post", action: "/admin/projects/{project.id}/webhook", class: "note-form",
                    input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                    label { {Msg::WebhookKind.text(lang)}
                        select { name: "kind",
                            for k in [WebhookKind::Wecom, WebhookKind::Dingtalk] {
                                option {
                                    value: k.as_str(),
                                    selected: project.hook.as_ref().is_some_and(|h| h.kind == k),
                                    {kind_label(k, lang)}
                                }
                            }
                        }
                    }
                    label { {Msg::WebhookUrl.text(lang)}
                        input {
                            name: "url", size: 60, maxlength: MAX_URL_CHARS as i64,
                            value: project.hook.as_ref().map(|h| h.url.clone()).unwrap_or_default(),
                            placeholder: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
                        }
                    }
                    button { r#type: "submit", {Msg::Save.text(lang)} }
                }
                if project.messages.is_empty() {
                    p { class: "hint", {Msg::WebhookNoMessages.text(lang)} }
                } else {
                    table { class: "webhook-messages",
                        thead { tr {
                            th { {Msg::InboxWhen.text(lang)} }
                            th { {Msg::InboxAbout.text(lang)} }
                            th { {Msg::InboxCase.text(lang)} }
                            th { {Msg::WebhookState.text(lang)} }
                        } }
                        tbody {
                            for m in project.messages.iter() {
                                tr { class: if m.delivered_at.is_some() { "delivered" } else { "pending" },
                                    td { {beijing(m.due_at)} }
                                    td { {lang.pick(m.kind.label_zh(), m.kind.label_en())} }
                                    td { a { href: "/cases/{m.unit}/{m.finding}", "{m.unit}" } }
                                    td { class: if m.last_error.is_some() && m.delivered_at.is_none() { "error" } else { "" },
                                        {state_text(m, lang)}
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// "已送达 13:15", "第 2 次失败：…，14:02 重试", "已放弃：…".
fn state_text(m: &WebhookMessage, lang: Lang) -> String {
    let error = m.last_error.clone().unwrap_or_default();
    match (m.delivered_at, m.next_attempt_at) {
        (Some(at), _) => format!("{} {}", Msg::WebhookDelivered.text(lang), beijing(at)),
        (None, Some(next)) if m.attempts == 0 => {
            format!("{} {}", Msg::WebhookQueued.text(lang), beijing(next))
        }
        (None, Some(next)) => Msg::WebhookRetrying
            .text(lang)
            .replace("{n}", &m.attempts.to_string())
            .replace("{error}", &error)
            .replace("{at}", &beijing(next)),
        (None, None) => Msg::WebhookGaveUp.text(lang).replace("{error}", &error),
    }
}

/// `GET /admin/webhooks`.
pub async fn list(State(state): State<AppState>, admin: Admin) -> Response {
    let lang = admin.lang();
    let mut projects = Vec::new();
    for id in &admin.projects {
        let hook = match state.store.webhook(id).await {
            Ok(h) => h,
            Err(e) => return internal(e),
        };
        let messages = match state.store.webhook_messages(id, LISTED).await {
            Ok(m) => m,
            Err(e) => return internal(e),
        };
        projects.push(ProjectHook {
            id: id.clone(),
            hook,
            messages,
        });
    }
    let body = rsx! {
        WebhooksPage { lang, csrf: admin.staff.csrf.clone(), projects }
    };
    admin.page(StatusCode::OK, Msg::Webhooks.text(lang), body)
}

/// What the form sends: the platform and the address; an empty address removes the robot.
#[derive(Debug, Deserialize)]
pub struct WebhookForm {
    csrf: String,
    kind: String,
    url: String,
}

/// The robot the form describes (`None`: remove it), or the sentence saying what is wrong.
fn checked(form: &WebhookForm, lang: Lang) -> Result<Option<Webhook>, &'static str> {
    let url = form.url.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let Some(kind) = WebhookKind::parse(form.kind.trim()) else {
        return Err(Msg::WebhookBadKind.text(lang));
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| Msg::WebhookBadUrl.text(lang))?;
    if url.chars().count() > MAX_URL_CHARS
        || !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none_or(str::is_empty)
    {
        return Err(Msg::WebhookBadUrl.text(lang));
    }
    Ok(Some(Webhook {
        kind,
        url: url.to_owned(),
    }))
}

posted_with_csrf_field!(WebhookForm);

/// `POST /admin/projects/{project}/webhook` (`csrf`, `kind`, `url`).
pub async fn set(
    State(state): State<AppState>,
    admin: Admin,
    Path(project): Path<String>,
    form: Result<Form<WebhookForm>, FormRejection>,
) -> Response {
    let (form, project) = match admin.project_form(form, project) {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    let hook = match checked(&form, admin.lang()) {
        Ok(h) => h,
        Err(message) => return admin.bad_request(message),
    };
    let removed = hook.is_none();
    match state.store.set_webhook(&project, hook).await {
        Ok(()) => {
            tracing::info!(by = %admin.staff.user, %project, removed, "work-group robot set");
            Redirect::to("/admin/webhooks").into_response()
        }
        Err(e) => internal(e),
    }
}
