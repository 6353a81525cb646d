//! The 产品建议表 of a month on paper: `GET /reports/suggestions/print` (the table as on the
//! page, without its forms: the candidates' root causes and design changes as written) and
//! `GET /reports/suggestions.pdf` (the same on A4, a section a group, with its sample photos).
//! The PDF goes to product R&D and planning & design as it is, so it is in Chinese whatever
//! the page language, like the Excel file; the print view follows the page's language.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;

use super::suggestions::{cluster_lines, contractor_lines, room_of, table};
use super::{AskedReport, Tab};
use crate::blobs::read_thumbnail;
use crate::paper::{BLANK, Block, Photo};
use crate::reports::{Report, Suggestion};
use crate::state::AppState;
use crate::web::i18n::{Lang, Msg};
use crate::web::labels;
use crate::web::layout::{internal, render};
use crate::web::when::beijing;

/// The title line: the form's name, the project and the month.
fn title(lang: Lang, project: &plumbline_shared::project::Project, report: &Report) -> String {
    format!(
        "{} · {} · {}",
        Tab::Suggestions.title(lang),
        labels::project(project, lang),
        report.month
    )
}

/// `GET /reports/suggestions/print`.
pub async fn print(asked_report: AskedReport) -> Response {
    let (staff, asked, _, project, report) = asked_report.parts();
    let lang = staff.lang;
    let pdf = format!("/reports/suggestions.pdf?{}", asked.query());
    let heading = title(lang, &project, &report);
    let inspected = report
        .figures
        .get("suggest.inspected")
        .map(|f| f.value.shown(lang == Lang::En))
        .unwrap_or_default();
    let body = rsx! {
        article { class: "suggestion-sheet",
            h1 { style: "text-align:center", "{heading}" }
            p { class: "noprint", a { id: "suggestions-pdf", href: "{pdf}", {Msg::DownloadPdf.text(lang)} } }
            p { {Msg::UnitsInspected.text(lang)} ": {inspected}" }
            {table(lang, &staff, &asked, &report, &project, false, false)}
        }
    };
    render(lang, &heading, Some(staff.top_bar()), body).into_response()
}

/// One group as a section of the PDF.
async fn section(
    state: &AppState,
    report: &Report,
    project: &plumbline_shared::project::Project,
    s: &Suggestion,
) -> Result<Vec<Block>, Response> {
    let lang = Lang::Zh;
    let f = &report.figures;
    let shown = |key: &str| {
        f.get(key)
            .map_or_else(|| "—".to_owned(), |x| x.value.shown(false))
    };
    let mut name = format!(
        "{} · {}（{}）",
        labels::room(lang, &room_of(&s.item)),
        labels::item(lang, &s.item),
        labels::category(lang, &s.category)
    );
    if s.candidate.0 {
        name.push_str(" · 建议候选");
    }
    let clusters = cluster_lines(project, lang, s, shown);
    let contractors = contractor_lines(project, lang, s, shown);
    let mut rows = vec![
        (Msg::Cases.text(lang).to_owned(), shown(&s.cases)),
        (Msg::UnitsAffected.text(lang).to_owned(), shown(&s.units)),
        (Msg::ShareOfInspected.text(lang).to_owned(), shown(&s.share)),
        (Msg::Clusters.text(lang).to_owned(), clusters.join("；")),
        (
            Msg::Contractor.text(lang).to_owned(),
            contractors.join("；"),
        ),
        (Msg::MeanRepairTime.text(lang).to_owned(), shown(&s.mttr)),
    ];
    if s.candidate.0 {
        let note = project.suggestion_note(&s.note_key(report.month));
        let written = |text: Option<&str>| {
            text.filter(|t| !t.is_empty())
                .map_or_else(|| BLANK.to_owned(), str::to_owned)
        };
        rows.push((
            Msg::RootCause.text(lang).to_owned(),
            written(note.map(|n| n.root_cause.as_str())),
        ));
        rows.push((
            Msg::DesignChange.text(lang).to_owned(),
            written(note.map(|n| n.design_change.as_str())),
        ));
    }
    let mut blocks = vec![Block::Heading(name), Block::Rows(rows)];
    let mut photos = Vec::new();
    for (unit, photo) in &s.photos {
        let jpeg = read_thumbnail(&*state.blobs, &photo.hash)
            .await
            .map_err(internal)?
            .map(|b| b.to_vec());
        photos.push(Photo {
            jpeg,
            caption: format!(
                "{} · {}",
                labels::unit(project, unit),
                beijing(photo.captured_at)
            ),
        });
    }
    if !photos.is_empty() {
        blocks.push(Block::Photos(photos));
    }
    Ok(blocks)
}

/// `GET /reports/suggestions.pdf`.
pub async fn pdf(State(state): State<AppState>, asked_report: AskedReport) -> Response {
    let (staff, _, _, project, report) = asked_report.parts();
    let lang = Lang::Zh;
    let inspected = report
        .figures
        .get("suggest.inspected")
        .map(|f| f.value.shown(false))
        .unwrap_or_default();
    let mut blocks = vec![
        Block::Title(title(lang, &project, &report)),
        Block::Paragraph(format!("{}：{inspected}", Msg::UnitsInspected.text(lang))),
    ];
    if report.suggestions.is_empty() {
        blocks.push(Block::Paragraph(Msg::ReportNothing.text(lang).to_owned()));
    }
    // Candidates first: they are what the table is sent for.
    let mut groups: Vec<&Suggestion> = report.suggestions.iter().collect();
    groups.sort_by_key(|s| !s.candidate.0);
    for s in groups {
        match section(&state, &report, &project, s).await {
            Ok(section) => blocks.extend(section),
            Err(page) => return page,
        }
    }
    let file = format!("suggestions-{}-{}.pdf", project.id, report.month);
    crate::web::paper_file::answer(&state, &staff, blocks, &file).await
}
