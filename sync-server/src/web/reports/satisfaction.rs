//! `GET /reports/satisfaction`: callbacks (回访) by satisfaction level — per month for a year,
//! per project the person can see, per contractor — and the cases a 不满意 reopened.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::event::Satisfaction as Level;
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;

use super::{Asked, AskedReport, Tab, contractor_name, fig, report_of};
use crate::reports::{Figures, Report};
use crate::state::AppState;
use crate::web::i18n::{Lang, Msg};
use crate::web::layout::{internal, render};

/// The header row of a table by level.
fn level_headers(lang: Lang, first: &str) -> Element {
    rsx! {
        tr {
            th { "{first}" }
            for level in Level::ALL {
                th { {lang.pick(level.label_zh(), level.label_en())} }
            }
        }
    }
}

/// The month's callbacks of the project by level, and the reopened cases: the part the
/// monthly report shows.
pub fn summary(lang: Lang, asked: &Asked, report: &Report) -> Element {
    let f = &report.figures;
    let s = &report.satisfaction;
    rsx! {
        table { id: "satisfaction-summary",
            thead { {level_headers(lang, "")} }
            tbody {
                tr {
                    th { {Msg::Callbacks.text(lang)} }
                    for key in s.project.iter() {
                        td { {fig(lang, asked, f, key)} }
                    }
                }
            }
        }
        p { {Msg::ReopenedAfterDissatisfied.text(lang)} ": " {fig(lang, asked, f, &s.reopened)} }
    }
}

/// One row per other project: (the project's report query, its name, its figures and keys).
struct OtherProject {
    asked: Asked,
    name: String,
    figures: Figures,
    keys: [String; 4],
}

/// Every other office project of the person, for the month asked: one small report each.
async fn other_projects(
    state: &AppState,
    asked_report: &AskedReport,
) -> anyhow::Result<Vec<OtherProject>> {
    let (staff, asked, project) = (
        &asked_report.staff,
        &asked_report.asked,
        &asked_report.project,
    );
    let mut others = Vec::new();
    for m in staff
        .memberships
        .iter()
        .filter(|m| m.role != Role::Contractor && m.project != project.id)
    {
        let Some(other) = crate::project_read::load_project(state, &m.project).await? else {
            continue;
        };
        let (other, r) = report_of(state, other, &asked.params).await?;
        others.push(OtherProject {
            asked: Asked {
                project: other.id.clone(),
                params: asked.params,
            },
            name: staff.lang.pick(&other.name_zh, &other.name_en).to_owned(),
            keys: r.satisfaction.project.clone(),
            figures: r.figures,
        });
    }
    Ok(others)
}

/// `GET /reports/satisfaction`.
pub async fn show(State(state): State<AppState>, asked_report: AskedReport) -> Response {
    let others = match other_projects(&state, &asked_report).await {
        Ok(o) => o,
        Err(e) => return internal(e),
    };
    let head = asked_report.heading(Tab::Satisfaction);
    let (staff, asked, _, project, report) = asked_report.parts();
    let lang = staff.lang;
    let body = rsx! {
        {head}
        {page(lang, &asked, &report, &project, &others)}
    };
    render(
        lang,
        Tab::Satisfaction.title(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}

fn page(
    lang: Lang,
    asked: &Asked,
    report: &Report,
    project: &Project,
    others: &[OtherProject],
) -> Element {
    let f = &report.figures;
    let s = &report.satisfaction;
    let project_name = lang.pick(&project.name_zh, &project.name_en).to_owned();
    rsx! {
        h2 { {Msg::ByMonth.text(lang)} }
        table { id: "satisfaction-months",
            thead { {level_headers(lang, Msg::ReportMonth.text(lang))} }
            tbody {
                for (month, keys) in s.by_month.iter() {
                    tr {
                        th { "{month}" }
                        for key in keys.iter() {
                            td { {fig(lang, asked, f, key)} }
                        }
                    }
                }
            }
        }
        h2 { {Msg::ByProject.text(lang)} }
        table { id: "satisfaction-projects",
            thead { {level_headers(lang, Msg::Project.text(lang))} }
            tbody {
                tr {
                    th { "{project_name}" }
                    for key in s.project.iter() {
                        td { {fig(lang, asked, f, key)} }
                    }
                }
                for o in others.iter() {
                    tr {
                        th { "{o.name}" }
                        for key in o.keys.iter() {
                            td { {fig(lang, &o.asked, &o.figures, key)} }
                        }
                    }
                }
            }
        }
        h2 { {Msg::ByContractor.text(lang)} }
        if s.by_contractor.is_empty() {
            p { {Msg::ReportNothing.text(lang)} }
        } else {
            table { id: "satisfaction-contractors",
                thead { {level_headers(lang, Msg::Contractor.text(lang))} }
                tbody {
                    for (contractor, keys) in s.by_contractor.iter() {
                        tr {
                            th { {contractor_name(project, lang, Some(contractor))} }
                            for key in keys.iter() {
                                td { {fig(lang, asked, f, key)} }
                            }
                        }
                    }
                }
            }
        }
        p { {Msg::ReopenedAfterDissatisfied.text(lang)} ": " {fig(lang, asked, f, &s.reopened)} }
    }
}
