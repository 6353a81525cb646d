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

/// The one stylesheet: calm colours, a sticky top bar and table headers, numbers aligned right,
/// status and severity as coloured badges, photos in a grid; in print, black on white with the
/// bar, forms and buttons left out.
const STYLE: &str = "
:root{--ink:#1d2733;--muted:#5a6b7b;--line:#e2e7ee;--head:#f1f4f8;--page:#f4f6f9;--brand:#1f4e79;--link:#175cd3;--red:#b42318;--red-bg:#fef3f2;--amber:#b54708;--amber-bg:#fffaeb;--green:#067647;--green-bg:#ecfdf3;--blue:#175cd3;--blue-bg:#eff8ff;--grey-bg:#f2f4f7;--bar:2.75rem}
*{box-sizing:border-box}
body{font-family:system-ui,'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;margin:0;color:var(--ink);background:var(--page);font-size:15px;line-height:1.5}
header{display:flex;flex-wrap:nowrap;overflow-x:auto;scrollbar-width:none;white-space:nowrap;gap:.2rem .25rem;align-items:center;height:var(--bar);padding:.35rem 1.25rem;background:var(--brand);color:#fff;position:sticky;top:0;z-index:10;box-shadow:0 1px 3px rgba(16,24,40,.2)}
header strong{margin-right:1rem;letter-spacing:.02em}
header a{color:#dce8f5;text-decoration:none;padding:.2rem .45rem;font-size:.95rem;border-radius:5px}header a:hover{background:rgba(255,255,255,.14);color:#fff}
header .grow{flex:1}header form{display:inline;margin:0}
header button{color:#fff;background:none;border:1px solid rgba(255,255,255,.6);border-radius:5px;padding:.15rem .6rem;cursor:pointer}
main{padding:1.25rem 1.5rem;max-width:1240px;margin:1rem auto;background:#fff;border:1px solid var(--line);border-radius:10px}
h1{font-size:1.45rem;margin:.2rem 0 .8rem;line-height:1.3}h1 a{color:inherit}
h2{font-size:1.1rem;margin:1.75rem 0 .6rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
a{color:var(--link)}
table{border-collapse:separate;border-spacing:0;width:100%;margin:.25rem 0}
th,td{border-bottom:1px solid var(--line);padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:var(--head);font-weight:600;color:#344054;font-size:.92rem}
thead th,table:not(.facts) tr:first-child:not(:has(>td))>th{position:sticky;top:var(--bar);z-index:1}
tbody tr:hover>td{background:#fafbfc}
td.num,th.num,td:has(>.fig),#overview th,table:has(td>.fig) tr:first-child:not(:has(>td))>th:not(:first-child){text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.fig{font-variant-numeric:tabular-nums}
#cases td:first-child,#cases td:nth-last-child(-n+2){white-space:nowrap}
table.facts{width:auto;min-width:50%}table.facts th{width:9rem}
.overdue,.error{color:var(--red)}.overdue{font-weight:600}
input,select,textarea,button{font:inherit;font-size:.95rem}
input,select,textarea{border:1px solid #c9d2dd;border-radius:6px;padding:.3rem .45rem;background:#fff}
input:focus,select:focus,textarea:focus{outline:2px solid #84adff;border-color:var(--link)}
button{background:var(--brand);color:#fff;border:0;border-radius:6px;padding:.35rem .9rem;cursor:pointer}button:hover{filter:brightness(1.12)}
form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin-bottom:1rem;padding:.75rem;background:var(--head);border-radius:8px}
form.filters label,.note-form label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
.pager{display:flex;gap:1rem;align-items:center;margin-top:1rem}
.chart{max-width:720px;margin:1rem 0}
tr.candidate>td{background:var(--amber-bg)}.two{display:flex;gap:1rem;flex-wrap:wrap}.two table{width:auto}
.badge{background:var(--red);color:#fff;border-radius:9px;padding:0 .45rem;font-size:.8rem}tr.unread{font-weight:600}
.hint{color:var(--muted);font-size:.85rem}.muted{color:var(--muted)}
.note-form{display:flex;gap:.5rem;align-items:end;flex-wrap:wrap}
.qr svg{width:100%;height:auto;display:block}
.pill{display:inline-block;border-radius:999px;padding:.1rem .65rem;font-size:.85rem;font-weight:600;border:1px solid transparent;white-space:nowrap;background:var(--grey-bg);color:#344054}
.st-open,.st-reopened{background:var(--amber-bg);color:var(--amber);border-color:#fedf89}
.st-notified,.st-in_repair,.st-repair_reported{background:var(--blue-bg);color:var(--blue);border-color:#b2ddff}
.st-accepted,.st-closed{background:var(--green-bg);color:var(--green);border-color:#abefc6}
.st-disputed,.st-emergency_repair{background:var(--red-bg);color:var(--red);border-color:#fecdca}
.sev-S1{background:var(--red);color:#fff}.sev-S2{background:var(--amber-bg);color:var(--amber);border-color:#fedf89}
.clock{background:var(--blue-bg);color:var(--blue);border-color:#b2ddff;font-weight:500}.late{background:var(--red-bg);color:var(--red);border-color:#fecdca;font-weight:600}
.case-head{margin-bottom:1rem}.head-line{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.photo-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:.75rem}
.photo-grid figure{margin:0;border:1px solid var(--line);border-radius:8px;overflow:hidden;background:var(--head)}
.photo-grid img{display:block;width:100%;aspect-ratio:4/3;object-fit:cover;background:#dde3ea}
.photo-grid figcaption{font-size:.8rem;color:var(--muted);padding:.3rem .5rem}
.no-photo{aspect-ratio:4/3;display:flex;align-items:center;justify-content:center;color:var(--muted)}
#queues tbody,#by-status tbody{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:.75rem}
#queues tr,#by-status tr{display:flex;flex-direction:column-reverse;border:1px solid var(--line);border-radius:10px;padding:.6rem .8rem;background:#fff}
#queues th,#queues td,#by-status th,#by-status td{border:0;padding:0;background:none;position:static;text-align:left}
#queues td,#by-status td{font-size:1.7rem;font-weight:600;font-variant-numeric:tabular-nums}
#queues th,#by-status th{font-weight:400;color:var(--muted)}
#queues tr.due{border-color:#fecdca;background:var(--red-bg)}#queues td a,#by-status td a{text-decoration:none}
article.notice,article.complaint-form,article.fine-slip,article.suggestion-sheet{max-width:210mm;margin:0 auto;padding:10mm 12mm;border:1px solid #c9d2dd;border-radius:4px;background:#fff}
article.notice table th,article.notice table td,article.complaint-form table th,article.complaint-form table td,article.fine-slip table th,article.fine-slip table td,article.suggestion-sheet table th,article.suggestion-sheet table td{border:1px solid #667085;position:static}
article.notice table,article.complaint-form table,article.fine-slip table,article.suggestion-sheet table{border-collapse:collapse}
@page{size:A4;margin:12mm}
@media print{article.notice,article.complaint-form,article.fine-slip,article.suggestion-sheet{border:0;padding:0;max-width:none}body{background:#fff;font-size:12pt}header,.noprint,form{display:none}main{max-width:none;margin:0;border:0;padding:0}th{position:static!important;background:#eee}a{color:inherit;text-decoration:none}.pill{border-color:#999}}
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
