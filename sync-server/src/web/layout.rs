//! The page shell every office page shares: head, top bar (who is signed in, the language
//! switch, sign out) and a small print-friendly stylesheet. Pages render their body with
//! `rsx!` and pass it here; [`render`] turns the whole into an HTML response.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use dioxus::prelude::*;

use super::i18n::{Lang, Msg};

/// Who is signed in, for the top bar.
#[derive(Debug, Clone, PartialEq)]
pub struct TopBar {
    /// Their name.
    pub name: String,
    /// The session's form token, for the sign-out form.
    pub csrf: String,
    /// Whether they administer a project (the administration link).
    pub admin: bool,
    /// Whether they may record complaints in a project (the intake link).
    pub intake: bool,
    /// Whether they oversee the devices of a project's people (the devices link).
    pub devices: bool,
    /// Their unread reminders and escalations (the bell).
    pub unread: u64,
}

const STYLE: &str = "
body{font-family:system-ui,'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;margin:0;color:#1d2733}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#1f4e79;color:#fff}
header a,header button{color:#fff}header .grow{flex:1}
header form{display:inline;margin:0}header button{background:none;border:1px solid #fff;border-radius:4px;cursor:pointer}
main{padding:1rem;max-width:1200px;margin:auto}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #dde3ea;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f6f9}.overdue{color:#b00020;font-weight:600}.error{color:#b00020}
.qr svg{width:100%;height:auto;display:block}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:1rem}
form.filters label{display:flex;flex-direction:column;font-size:.85rem}
.pager{display:flex;gap:1rem;align-items:center;margin-top:1rem}
.chart{max-width:720px;margin:1rem 0}.fig{font-variant-numeric:tabular-nums}
tr.candidate{background:#fff8e1}.two{display:flex;gap:1rem;flex-wrap:wrap}.two table{width:auto}
.badge{background:#b00020;color:#fff;border-radius:9px;padding:0 .45rem;font-size:.8rem}tr.unread{font-weight:600}
.hint{color:#5a6b7b;font-size:.85rem}.note-form{display:flex;gap:.5rem;align-items:end;flex-wrap:wrap}
.note-form label{display:flex;flex-direction:column;font-size:.85rem}
@media print{header,.noprint{display:none}main{max-width:none}a{color:inherit;text-decoration:none}}
";

#[component]
fn TopBarView(lang: Lang, top: Option<TopBar>) -> Element {
    let other = match lang {
        Lang::Zh => "en",
        Lang::En => "zh-CN",
    };
    rsx! {
        header {
            strong { {Msg::AppName.text(lang)} }
            if top.is_some() {
                a { href: "/dashboard", {Msg::Dashboard.text(lang)} }
                " "
                a { href: "/cases", {Msg::Cases.text(lang)} }
                " "
                a { href: "/readiness", id: "nav-readiness", {Msg::Readiness.text(lang)} }
                " "
                a { href: "/archives/owners", id: "nav-archives", {Msg::Archives.text(lang)} }
                " "
                a { href: "/reports/monthly", id: "nav-reports", {Msg::Reports.text(lang)} }
            }
            if top.as_ref().is_some_and(|t| t.intake) {
                " "
                a { href: "/intake", id: "nav-intake", {Msg::Intake.text(lang)} }
            }
            if top.as_ref().is_some_and(|t| t.devices) {
                " "
                a { href: "/devices", id: "nav-devices", {Msg::DevicesNav.text(lang)} }
            }
            if top.as_ref().is_some_and(|t| t.admin) {
                " "
                a { href: "/admin", {Msg::Admin.text(lang)} }
            }
            span { class: "grow" }
            if let Some(top) = &top {
                a { href: "/inbox", id: "nav-inbox", title: Msg::Inbox.text(lang),
                    {Msg::Inbox.text(lang)}
                    if top.unread > 0 {
                        " "
                        span { class: "badge", id: "unread-count", "{top.unread}" }
                    }
                }
            }
            a { href: "/lang/{other}", {Msg::OtherLanguage.text(lang)} }
            if let Some(top) = top {
                span { "{top.name}" }
                form { method: "post", action: "/logout",
                    input { r#type: "hidden", name: "csrf", value: "{top.csrf}" }
                    button { r#type: "submit", {Msg::SignOut.text(lang)} }
                }
            }
        }
    }
}

/// Escapes text for an HTML text node or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders a whole page: the document head is written here (Dioxus renders elements inside
/// `<body>`), the top bar and the body by Dioxus.
pub fn render(lang: Lang, title: &str, top: Option<TopBar>, body: Element) -> Html<String> {
    let bar = dioxus_ssr::render_element(rsx! {
        TopBarView { lang, top }
    });
    let main = dioxus_ssr::render_element(rsx! {
        main { {body} }
    });
    Html(format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {app}</title><style>{STYLE}</style></head><body>{bar}{main}</body></html>",
        lang = lang.code(),
        title = escape(title),
        app = escape(Msg::AppName.text(lang)),
    ))
}

/// The answer when a page failed on our side: logged with its cause, a bare 500 to the person.
pub fn internal(e: impl std::fmt::Debug) -> Response {
    tracing::error!(error = ?e, "an office page failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// A page that only says what went wrong, with the status to answer with.
pub fn message_page(status: StatusCode, lang: Lang, text: &str, top: Option<TopBar>) -> Response {
    let body = rsx! {
        p { class: "error", "{text}" }
    };
    (status, render(lang, text, top, body)).into_response()
}
