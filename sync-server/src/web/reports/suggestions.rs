//! `GET /reports/suggestions`: the product suggestion table (产品建议表) for product R&D and
//! planning & design — the month's defects grouped by check item and category, the groups over
//! the threshold marked as candidates with their root cause and proposed design change —
//! `GET /reports/suggestions.xlsx` (the same table for Excel) and
//! `POST /reports/suggestions/notes` (a candidate's root cause and design change, kept in the
//! project document by the manager or coordinator).

use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::project::{Project, SuggestionNote, SuggestionNoteError};
use plumbline_shared::role::Role;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Deserialize;

use super::{Asked, AskedReport, ReportQuery, Tab, asked, contractor_name, fig};
use crate::project_write::{ProjectEditError, edit_project};
use crate::reports::{Report, Suggestion, Value};
use crate::state::AppState;
use crate::web::i18n::{Lang, Msg};
use crate::web::labels;
use crate::web::layout::{internal, message_page, render};
use crate::web::session::Staff;

/// Whether a role may write the candidates' notes: the manager (who sends the table) and the
/// coordinator.
pub fn may_annotate(role: Role) -> bool {
    matches!(role, Role::Manager | Role::Coordinator)
}

/// A stack's or a floor's name: `1栋 01列` / `1栋 12层`.
pub(super) fn cluster_name(
    project: &Project,
    lang: Lang,
    c: &crate::reports::Cluster,
    stack: bool,
) -> String {
    let building = project
        .building(&c.building)
        .map_or_else(|| c.building.to_string(), |b| b.name.clone());
    match (stack, lang) {
        (true, Lang::Zh) => format!("{building} {:02}列", c.at),
        (true, Lang::En) => format!("{building} stack {:02}", c.at),
        (false, Lang::Zh) => format!("{building} {}层", c.at),
        (false, Lang::En) => format!("{building} floor {}", c.at),
    }
}

/// A group's stacks and floors as "1栋 01列: 3", each with its figure as `value` gives it:
/// the same words in the spreadsheet and on paper.
pub(super) fn cluster_lines(
    project: &Project,
    lang: Lang,
    s: &crate::reports::Suggestion,
    value: impl Fn(&str) -> String,
) -> Vec<String> {
    s.stacks
        .iter()
        .map(|c| (c, true))
        .chain(s.floors.iter().map(|c| (c, false)))
        .map(|(c, stack)| {
            format!(
                "{}: {}",
                cluster_name(project, lang, c, stack),
                value(&c.key)
            )
        })
        .collect()
}

/// A group's contractors as "同泰机电: 2", each with its figure as `value` gives it.
pub(super) fn contractor_lines(
    project: &Project,
    lang: Lang,
    s: &crate::reports::Suggestion,
    value: impl Fn(&str) -> String,
) -> Vec<String> {
    s.contractors
        .iter()
        .map(|(c, key)| {
            format!(
                "{}: {}",
                contractor_name(project, lang, Some(c)),
                value(key)
            )
        })
        .collect()
}

/// The table: every group, candidates marked, with their notes (and, when `editable`, a form
/// to write them for those who may). Also part of the monthly report (`only_candidates`) and
/// of the printed table (not editable).
pub fn table(
    lang: Lang,
    staff: &Staff,
    asked: &Asked,
    report: &Report,
    project: &Project,
    only_candidates: bool,
    editable: bool,
) -> Element {
    let f = &report.figures;
    let rows: Vec<&Suggestion> = report
        .suggestions
        .iter()
        .filter(|s| !only_candidates || s.candidate.0)
        .collect();
    if rows.is_empty() {
        return rsx! { p { {Msg::ReportNothing.text(lang)} } };
    }
    let may_write =
        editable && !only_candidates && staff.role_in(&asked.project).is_some_and(may_annotate);
    let month = report.month;
    rsx! {
        table { id: if only_candidates { "suggestion-candidates" } else { "suggestions" },
            thead { tr {
                th { {Msg::Item.text(lang)} }
                th { {Msg::Category.text(lang)} }
                th { {Msg::Cases.text(lang)} }
                th { {Msg::UnitsAffected.text(lang)} }
                th { {Msg::ShareOfInspected.text(lang)} }
                th { {Msg::Clusters.text(lang)} }
                th { {Msg::Contractor.text(lang)} }
                th { {Msg::MeanRepairTime.text(lang)} }
                th { {Msg::Candidate.text(lang)} }
                if !only_candidates {
                    th { {Msg::SamplePhotos.text(lang)} }
                }
            } }
            tbody {
                for s in rows {
                    tr { class: if s.candidate.0 { "candidate" } else { "" },
                        td { {labels::room(lang, &room_of(&s.item))} " · " {labels::item(lang, &s.item)} }
                        td { {labels::category(lang, &s.category)} }
                        td { {fig(lang, asked, f, &s.cases)} }
                        td { {fig(lang, asked, f, &s.units)} }
                        td { {fig(lang, asked, f, &s.share)} }
                        td {
                            for c in s.stacks.iter() {
                                div { {cluster_name(project, lang, c, true)} ": " {fig(lang, asked, f, &c.key)} }
                            }
                            for c in s.floors.iter() {
                                div { {cluster_name(project, lang, c, false)} ": " {fig(lang, asked, f, &c.key)} }
                            }
                        }
                        td {
                            for (c, key) in s.contractors.iter() {
                                div { {contractor_name(project, lang, Some(c))} ": " {fig(lang, asked, f, key)} }
                            }
                        }
                        td { {fig(lang, asked, f, &s.mttr)} }
                        td {
                            span { hidden: true, {fig(lang, asked, f, &s.candidate.1)} }
                            if s.candidate.0 { {Msg::Yes.text(lang)} }
                        }
                        if !only_candidates {
                            td {
                                for (unit, photo) in s.photos.iter() {
                                    a { href: "/cases/{unit}/{photo.finding}",
                                        img {
                                            src: "/photos/{photo.thumbnail.as_ref().unwrap_or(&photo.hash)}",
                                            alt: "{photo.hash}",
                                            width: 72,
                                        }
                                    }
                                }
                            }
                        }
                    }
                    if s.candidate.0 {
                        {note_row(lang, staff, asked, project, s, month, may_write, only_candidates)}
                    }
                }
            }
        }
    }
}

/// The room of a check item (for its label).
pub(super) fn room_of(item: &str) -> String {
    item.parse()
        .ok()
        .and_then(|id| labels::template().item(&id))
        .map(|(room, _)| room.id.to_string())
        .unwrap_or_default()
}

/// A candidate's note: shown, or a form for those who may write it.
#[allow(clippy::too_many_arguments)] // one row of one table; a struct would only rename them
fn note_row(
    lang: Lang,
    staff: &Staff,
    asked: &Asked,
    project: &Project,
    s: &Suggestion,
    month: crate::reports::Month,
    may_write: bool,
    only_candidates: bool,
) -> Element {
    let key = s.note_key(month);
    let note = project.suggestion_note(&key);
    let root_cause = note.map(|n| n.root_cause.clone()).unwrap_or_default();
    let design_change = note.map(|n| n.design_change.clone()).unwrap_or_default();
    let columns = if only_candidates { 9 } else { 10 };
    let (min_units, min_share) = asked.params.threshold.form_values();
    rsx! {
        tr { class: "note",
            td { colspan: columns,
                if may_write {
                    form { method: "post", action: "/reports/suggestions/notes", class: "note-form",
                        input { r#type: "hidden", name: "csrf", value: "{staff.csrf}" }
                        input { r#type: "hidden", name: "project", value: "{asked.project}" }
                        input { r#type: "hidden", name: "month", value: "{month}" }
                        input { r#type: "hidden", name: "item", value: "{s.item}" }
                        input { r#type: "hidden", name: "category", value: "{s.category}" }
                        input { r#type: "hidden", name: "min_units", value: "{min_units}" }
                        input { r#type: "hidden", name: "min_share", value: "{min_share}" }
                        label { {Msg::RootCause.text(lang)}
                            textarea { name: "root_cause", rows: 2, cols: 50, maxlength: 2000, "{root_cause}" }
                        }
                        label { {Msg::DesignChange.text(lang)}
                            textarea { name: "design_change", rows: 2, cols: 50, maxlength: 2000, "{design_change}" }
                        }
                        button { r#type: "submit", {Msg::Save.text(lang)} }
                    }
                } else {
                    p { strong { {Msg::RootCause.text(lang)} ": " } "{root_cause}" }
                    p { strong { {Msg::DesignChange.text(lang)} ": " } "{design_change}" }
                }
            }
        }
    }
}

/// `GET /reports/suggestions`.
pub async fn show(asked_report: AskedReport) -> Response {
    let head = asked_report.heading(Tab::Suggestions);
    let (staff, asked, _, project, report) = asked_report.parts();
    let lang = staff.lang;
    let (min_units, min_share) = asked.params.threshold.form_values();
    let month = report.month.to_string();
    // Units, not cases: this figure opens the list of the units themselves.
    let inspected = report
        .figures
        .get("suggest.inspected")
        .map(|f| (f.value.exact(), f.value.shown(lang == Lang::En)))
        .unwrap_or_default();
    let xlsx = format!("/reports/suggestions.xlsx?{}", asked.query());
    let print = format!("/reports/suggestions/print?{}", asked.query());
    let body = rsx! {
        {head}
        form { class: "filters noprint", method: "get", action: "/reports/suggestions",
            input { r#type: "hidden", name: "project", value: "{asked.project}" }
            input { r#type: "hidden", name: "month", value: "{month}" }
            label { {Msg::ThresholdUnits.text(lang)}
                input { r#type: "number", name: "min_units", min: 1, value: "{min_units}" }
            }
            label { {Msg::ThresholdShare.text(lang)}
                input { r#type: "number", name: "min_share", min: 0.1, max: 100, step: 0.1, value: "{min_share}" }
            }
            button { r#type: "submit", {Msg::Show.text(lang)} }
            a { href: "{xlsx}", id: "suggestions-xlsx", {Msg::ExportXlsx.text(lang)} }
            a { href: "{print}", id: "suggestions-print", {Msg::PrintView.text(lang)} }
        }
        p { {Msg::UnitsInspected.text(lang)} ": "
            // Units with an inspection round or any finding: no one list holds exactly them.
            span { id: "fig-suggest.inspected", class: "fig", "data-value": "{inspected.0}", "{inspected.1}" }
        }
        {table(lang, &staff, &asked, &report, &project, false, true)}
    };
    render(
        lang,
        Tab::Suggestions.title(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}

/// The Excel columns (Chinese: the table goes to other departments as it is).
const COLUMNS: [(&str, f64); 12] = [
    ("检查项", 24.0),
    ("类别", 12.0),
    ("案件数", 8.0),
    ("户数", 8.0),
    ("占已开始验收户比例", 16.0),
    ("集中楼栋列/楼层", 28.0),
    ("施工单位", 28.0),
    ("平均整改天数", 12.0),
    ("候选", 6.0),
    ("根本原因", 40.0),
    ("设计改进建议", 40.0),
    ("编号", 30.0),
];

fn workbook(report: &Report, project: &Project) -> Result<Vec<u8>, XlsxError> {
    let lang = Lang::Zh;
    let f = &report.figures;
    let count = |key: &str| match f.get(key).map(|x| x.value) {
        Some(Value::Count(n)) => n as f64,
        _ => 0.0,
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("产品建议表")?;
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let days = Format::new().set_num_format("0.0");
    for (col, (title, width)) in (0u16..).zip(COLUMNS) {
        sheet.write_string_with_format(0, col, title, &bold)?;
        sheet.set_column_width(col, width)?;
    }
    for (row, s) in (1u32..).zip(&report.suggestions) {
        let note = project.suggestion_note(&s.note_key(report.month));
        sheet.write_string(
            row,
            0,
            format!(
                "{} · {}",
                labels::room(lang, &room_of(&s.item)),
                labels::item(lang, &s.item)
            ),
        )?;
        sheet.write_string(row, 1, labels::category(lang, &s.category))?;
        sheet.write_number(row, 2, count(&s.cases))?;
        sheet.write_number(row, 3, count(&s.units))?;
        match f.get(&s.share).map(|x| x.value) {
            Some(Value::Share { part, whole }) if whole > 0 => {
                sheet.write_number_with_format(row, 4, part as f64 / whole as f64, &percent)?;
            }
            _ => {
                sheet.write_string(row, 4, "—")?;
            }
        }
        let clusters = cluster_lines(project, lang, s, |k| count(k).to_string());
        sheet.write_string(row, 5, clusters.join("；"))?;
        let contractors = contractor_lines(project, lang, s, |k| count(k).to_string());
        sheet.write_string(row, 6, contractors.join("；"))?;
        match f.get(&s.mttr).map(|x| x.value) {
            Some(v @ Value::Mean { n, .. }) if n > 0 => {
                sheet.write_number_with_format(row, 7, v.number(), &days)?;
            }
            _ => {
                sheet.write_string(row, 7, "—")?;
            }
        }
        sheet.write_string(row, 8, if s.candidate.0 { "是" } else { "" })?;
        sheet.write_string(row, 9, note.map_or("", |n| n.root_cause.as_str()))?;
        sheet.write_string(row, 10, note.map_or("", |n| n.design_change.as_str()))?;
        sheet.write_string(row, 11, format!("{}/{}", s.item, s.category))?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let last_row = u32::try_from(report.suggestions.len()).unwrap_or(u32::MAX);
    sheet.autofilter(0, 0, last_row, (COLUMNS.len() - 1) as u16)?;
    book.save_to_buffer()
}

/// `GET /reports/suggestions.xlsx`.
pub async fn xlsx(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Response {
    super::workbook_download(&state, &staff, query, "suggestions", workbook).await
}

/// The note form.
#[derive(Debug, Clone, Deserialize)]
pub struct NoteForm {
    /// The session's form token.
    #[serde(default)]
    pub csrf: String,
    /// Project id.
    #[serde(default)]
    pub project: String,
    /// `YYYY-MM`.
    #[serde(default)]
    pub month: String,
    /// Check item id.
    #[serde(default)]
    pub item: String,
    /// Category id.
    #[serde(default)]
    pub category: String,
    /// The root cause.
    #[serde(default)]
    pub root_cause: String,
    /// The proposed design change.
    #[serde(default)]
    pub design_change: String,
    /// The page's threshold, to come back to it.
    #[serde(default)]
    pub min_units: String,
    /// The page's threshold, to come back to it.
    #[serde(default)]
    pub min_share: String,
}

/// `POST /reports/suggestions/notes`: checks who and what, then writes the note into the
/// project document (or changes nothing and says why).
pub async fn save_note(
    State(state): State<AppState>,
    staff: Staff,
    form: Result<Form<NoteForm>, FormRejection>,
) -> Response {
    let lang = staff.lang;
    let refuse =
        |status: StatusCode, text: &str| message_page(status, lang, text, Some(staff.top_bar()));
    let Ok(Form(form)) = form else {
        return refuse(StatusCode::BAD_REQUEST, Msg::FormExpired.text(lang));
    };
    if let Some(refused) = staff.csrf_refusal(&form.csrf) {
        return refused;
    }
    let query = ReportQuery {
        project: form.project.clone(),
        month: form.month.clone(),
        min_units: form.min_units.clone(),
        min_share: form.min_share.clone(),
        ..ReportQuery::default()
    };
    let (asked, _) = match asked(&staff, state.now(), Ok(Query(query))) {
        Ok(a) => a,
        Err(page) => return page,
    };
    if !staff.role_in(&asked.project).is_some_and(may_annotate) {
        return refuse(StatusCode::FORBIDDEN, Msg::Forbidden.text(lang));
    }
    let item_known = form
        .item
        .parse()
        .ok()
        .and_then(|id| labels::template().item(&id))
        .is_some();
    let category_known = form
        .category
        .parse()
        .ok()
        .and_then(|id| labels::template().category(&id))
        .is_some();
    if !item_known || !category_known {
        return refuse(
            StatusCode::BAD_REQUEST,
            &Msg::ReportBadParameter
                .text(lang)
                .replace("{name}", "item/category"),
        );
    }
    let note = SuggestionNote {
        key: format!("{}/{}/{}", asked.params.month, form.item, form.category),
        root_cause: form.root_cause,
        design_change: form.design_change,
        updated_by: staff.user.clone(),
        updated_at: state.now(),
    };
    match edit_project(&state, &asked.project, |p| p.put_suggestion_note(note)).await {
        Ok(()) => {
            tracing::info!(user = %staff.user, project = %asked.project, month = %asked.params.month, item = %form.item, "a product suggestion note saved");
            Redirect::to(&format!("/reports/suggestions?{}", asked.query())).into_response()
        }
        Err(ProjectEditError::Refused(SuggestionNoteError::TooLong)) => {
            refuse(StatusCode::BAD_REQUEST, Msg::NoteTooLong.text(lang))
        }
        Err(ProjectEditError::Refused(e @ SuggestionNoteError::BadKey(_))) => {
            refuse(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Err(ProjectEditError::NoSuchProject(p)) => internal(format!("project {p} has no document")),
        Err(ProjectEditError::Other(e)) => internal(e),
    }
}
