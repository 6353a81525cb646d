//! `GET /reports/cases?…&figure=<key>`: the cases behind one report figure.
//!
//! The report is computed again for the same project, month and threshold, and the figure's
//! own case set is listed, through the store's ordinary case listing (newest first, 50 a
//! page). So the list is exactly what the figure counted — never a filter that restates it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;

use super::{AskedReport, contractor_name, figure_label};
use crate::state::AppState;
use crate::store::{CaseFilter, Page};
use crate::web::cases::{PAGE_SIZE, encode, time_text};
use crate::web::i18n::Msg;
use crate::web::labels;
use crate::web::layout::{internal, message_page, render};

/// `GET /reports/cases`.
pub async fn list(State(state): State<AppState>, asked_report: AskedReport) -> Response {
    let (staff, asked, q, project, report) = asked_report.parts();
    let lang = staff.lang;
    let Some(figure) = report.figures.get(&q.figure) else {
        return message_page(
            StatusCode::NOT_FOUND,
            lang,
            Msg::NoSuchFigure.text(lang),
            Some(staff.top_bar()),
        );
    };
    let total = figure.cases.len() as u64;
    let page = q.page_number();
    let filter = CaseFilter {
        projects: vec![asked.project.clone()],
        findings: Some(figure.cases.iter().cloned().collect()),
        ..CaseFilter::default()
    };
    let rows = match state
        .store
        .cases(
            &filter,
            Page {
                offset: (page - 1) * PAGE_SIZE,
                limit: PAGE_SIZE,
            },
        )
        .await
    {
        Ok(rows) => rows,
        Err(e) => return internal(e),
    };
    let pages = total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let link = |p: u32| {
        format!(
            "/reports/cases?{}&figure={}&page={p}",
            asked.query(),
            encode(&q.figure)
        )
    };
    let shown = figure.value.shown(lang == crate::web::i18n::Lang::En);
    let summary = Msg::PageOf
        .text(lang)
        .replace("{page}", &format!("{page}/{pages}"))
        .replace("{total}", &total.to_string());
    let body = rsx! {
        h1 { {Msg::CasesBehindFigure.text(lang)} }
        p {
            strong { id: "figure-name", {figure_label::label(&q.figure, &project, lang)} }
            " · {asked.params.month} · "
            {Msg::Value.text(lang)} ": {shown} · "
            {Msg::Cases.text(lang)} ": "
            span { id: "row-count", "{total}" }
        }
        if rows.is_empty() {
            p { {Msg::NoCases.text(lang)} }
        } else {
            table { id: "cases",
                thead { tr {
                    th { {Msg::Unit.text(lang)} }
                    th { {Msg::Item.text(lang)} }
                    th { {Msg::Category.text(lang)} }
                    th { {Msg::Severity.text(lang)} }
                    th { {Msg::Description.text(lang)} }
                    th { {Msg::Status.text(lang)} }
                    th { {Msg::Contractor.text(lang)} }
                    th { {Msg::Recorded.text(lang)} }
                } }
                tbody {
                    for c in rows.iter() {
                        tr { class: "case-row",
                            td { a { href: "/archives/units/{c.unit}", {labels::unit(&project, &c.unit)} } }
                            td { {labels::item(lang, &c.case.item)} }
                            td { {labels::category(lang, &c.case.category)} }
                            td { {lang.pick(c.case.severity.label_zh(), c.case.severity.label_en())} }
                            td { a { href: "/cases/{c.unit}/{c.case.finding}", "{c.case.description}" } }
                            td { {lang.pick(c.case.status.label_zh(), c.case.status.label_en())} }
                            td { {contractor_name(&project, lang, c.case.contractor.as_ref())} }
                            td { {time_text(Some(c.case.created_at))} }
                        }
                    }
                }
            }
        }
        div { class: "pager noprint",
            if page > 1 {
                a { href: "{link(page - 1)}", {Msg::Previous.text(lang)} }
            }
            span { "{summary}" }
            if u64::from(page) < pages {
                a { href: "{link(page + 1)}", {Msg::Next.text(lang)} }
            }
        }
    };
    render(
        lang,
        Msg::CasesBehindFigure.text(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}
