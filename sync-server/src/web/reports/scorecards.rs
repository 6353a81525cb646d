//! `GET /reports/scorecards`: contractor scorecards (施工单位考评) — how each contractor kept
//! the promises of the month's notices, and what its fines and emergency repairs came to.

use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::project::Project;

use super::{Asked, AskedReport, Tab, contractor_name, fig};
use crate::reports::Report;
use crate::web::i18n::{Lang, Msg};
use crate::web::layout::render;

/// The scorecard table: one row per contractor with a notice, fine or emergency repair in the
/// month. Also part of the monthly report.
pub fn table(lang: Lang, asked: &Asked, report: &Report, project: &Project) -> Element {
    let f = &report.figures;
    if report.scorecards.is_empty() {
        return rsx! { p { {Msg::ReportNothing.text(lang)} } };
    }
    rsx! {
        table { id: "scorecards",
            thead {
                tr {
                    th { rowspan: 2, {Msg::Contractor.text(lang)} }
                    th { rowspan: 2, {Msg::ScoreNotices.text(lang)} }
                    th { colspan: 4, {Msg::ScoreResponse.text(lang)} }
                    th { colspan: 4, {Msg::ScoreRepair.text(lang)} }
                    th { rowspan: 2, {Msg::ScoreFirstTime.text(lang)} }
                    th { rowspan: 2, {Msg::ScoreResponseTime.text(lang)} }
                    th { colspan: 3, {Msg::ScoreFines.text(lang)} }
                    th { colspan: 2, {Msg::ScoreEmergency.text(lang)} }
                }
                tr {
                    th { {Msg::KeptMet.text(lang)} }
                    th { {Msg::KeptMissed.text(lang)} }
                    th { {Msg::KeptStopped.text(lang)} }
                    th { {Msg::KeptPending.text(lang)} }
                    th { {Msg::KeptOnTime.text(lang)} }
                    th { {Msg::KeptLate.text(lang)} }
                    th { {Msg::KeptStopped.text(lang)} }
                    th { {Msg::KeptPending.text(lang)} }
                    th { {Msg::Count.text(lang)} }
                    th { {Msg::Amount.text(lang)} }
                    th { {Msg::Voided.text(lang)} }
                    th { {Msg::Count.text(lang)} }
                    th { {Msg::Cost.text(lang)} }
                }
            }
            tbody {
                for s in report.scorecards.iter() {
                    tr {
                        th { {contractor_name(project, lang, Some(&s.contractor))} }
                        td { {fig(lang, asked, f, &s.notices)} }
                        for key in s.response.iter() {
                            td { {fig(lang, asked, f, key)} }
                        }
                        for key in s.repair.iter() {
                            td { {fig(lang, asked, f, key)} }
                        }
                        td { {fig(lang, asked, f, &s.first_time)} }
                        td { {fig(lang, asked, f, &s.response_time)} }
                        td { {fig(lang, asked, f, &s.fines)} }
                        td { {fig(lang, asked, f, &s.fines_total)} }
                        td { {fig(lang, asked, f, &s.fines_voided)} }
                        td { {fig(lang, asked, f, &s.emergency)} }
                        td { {fig(lang, asked, f, &s.emergency_cost)} }
                    }
                }
            }
        }
        p { class: "hint", {Msg::ScoreHelp.text(lang)} }
    }
}

/// `GET /reports/scorecards`.
pub async fn show(asked_report: AskedReport) -> Response {
    let head = asked_report.heading(Tab::Scorecards);
    let (staff, asked, _, project, report) = asked_report.parts();
    let lang = staff.lang;
    let body = rsx! {
        {head}
        {table(lang, &asked, &report, &project)}
    };
    render(
        lang,
        Tab::Scorecards.title(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}
