//! `GET /cases/export.xlsx` and `GET /cases/export.csv`: the filtered case list, every page,
//! with Chinese headers, for the office's own spreadsheets.
//!
//! Both formats take the list's query parameters and the same table of text cells, so the two
//! files always agree with each other and with the list on screen. Excel is written with
//! `rust_xlsxwriter` (pure Rust, no LibreOffice or template file): a bold frozen header row, an
//! autofilter, and column widths that fit Chinese text. CSV is UTF-8 with a byte-order mark,
//! which Excel needs to read the Chinese text correctly.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use plumbline_shared::ids::ProjectId;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::cases::{ListQuery, MAX_EXPORT_ROWS, parsed, refusal, time_text};
use super::i18n::Lang;
use super::labels;
use super::session::Staff;
use crate::state::AppState;
use crate::store::{CaseRecord, Page};

/// The columns: header and width in Excel's character units.
const COLUMNS: [(&str, f64); 12] = [
    ("房号", 18.0),
    ("房间", 10.0),
    ("检查项", 22.0),
    ("类别", 12.0),
    ("严重程度", 10.0),
    ("问题描述", 40.0),
    ("状态", 10.0),
    ("施工单位", 16.0),
    ("通知单编号", 16.0),
    ("整改期限", 18.0),
    ("登记时间", 18.0),
    ("编号", 28.0),
];

/// One case as the export's text cells, in [`COLUMNS`] order (labels in Chinese, times in
/// Beijing time).
fn cells(c: &CaseRecord) -> [String; 12] {
    [
        c.unit.to_string(),
        labels::room(Lang::Zh, &c.case.room),
        labels::item(Lang::Zh, &c.case.item),
        labels::category(Lang::Zh, &c.case.category),
        c.case.severity.label_zh().to_owned(),
        c.case.description.clone(),
        c.case.status.label_zh().to_owned(),
        c.case
            .contractor
            .as_ref()
            .map_or_else(String::new, ToString::to_string),
        c.case.notice_no.clone().unwrap_or_default(),
        time_text(c.case.repair_deadline),
        time_text(Some(c.case.created_at)),
        c.case.finding.to_string(),
    ]
}

/// The filtered cases, every page up to [`MAX_EXPORT_ROWS`], or the page that says why not.
async fn rows(
    state: &AppState,
    staff: &Staff,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<(ProjectId, Vec<CaseRecord>), Response> {
    let (query, project, filter) =
        parsed(staff, query, state.now()).map_err(|m| refusal(staff, &m))?;
    let filter =
        super::readiness::with_building(state, staff, &project, &query.building, filter).await?;
    let page = Page {
        offset: 0,
        limit: MAX_EXPORT_ROWS,
    };
    match state.store.cases(&filter, page).await {
        Ok(rows) => Ok((project, rows)),
        Err(e) => {
            tracing::error!(error = ?e, "exporting cases");
            Err((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response())
        }
    }
}

pub(super) fn attachment(content_type: &str, file: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The workbook: one sheet, 问题清单.
fn workbook(rows: &[CaseRecord]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("问题清单")?;
    let bold = Format::new().set_bold();
    for (col, (title, width)) in (0u16..).zip(COLUMNS) {
        sheet.write_string_with_format(0, col, title, &bold)?;
        sheet.set_column_width(col, width)?;
    }
    for (row, case) in (1u32..).zip(rows) {
        for (col, text) in (0u16..).zip(cells(case)) {
            sheet.write_string(row, col, within_cell(&text))?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    let last_row = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    sheet.autofilter(0, 0, last_row, (COLUMNS.len() - 1) as u16)?;
    book.save_to_buffer()
}

/// Answers an export request: the filtered rows written by `write` as `cases-<project>.<ext>`.
async fn export<E: std::fmt::Debug>(
    state: &AppState,
    staff: &Staff,
    query: Result<Query<ListQuery>, QueryRejection>,
    (content_type, ext): (&str, &str),
    write: impl FnOnce(&[CaseRecord]) -> Result<Vec<u8>, E>,
) -> Response {
    let (project, rows) = match rows(state, staff, query).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    match write(&rows) {
        Ok(bytes) => attachment(content_type, format!("cases-{project}.{ext}"), bytes),
        Err(e) => {
            tracing::error!(error = ?e, ext, "writing a case export");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Most characters an Excel cell holds; a longer text (a description synced before its bound
/// existed) is cut to it rather than failing the whole export.
const MAX_CELL_CHARS: usize = 32_767;

/// `text`, cut to what one cell holds.
fn within_cell(text: &str) -> &str {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// A CSV cell that a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return is a formula to Excel and LibreOffice (`=HYPERLINK(…)`), so it gets a
/// leading apostrophe, which they show as text. Numbers and times start with none of these.
fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The CSV file: UTF-8 with a byte-order mark.
fn csv_file(rows: &[CaseRecord]) -> Result<Vec<u8>, ::csv::Error> {
    let mut out = ::csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    out.write_record(COLUMNS.map(|(title, _)| title))?;
    for case in rows {
        out.write_record(cells(case).map(|c| inert(within_cell(&c))))?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// `GET /cases/export.xlsx`.
pub async fn xlsx(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let kind = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    );
    export(&state, &staff, query, kind, workbook).await
}

/// `GET /cases/export.csv`.
pub async fn csv(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let kind = ("text/csv; charset=utf-8", "csv");
    export(&state, &staff, query, kind, csv_file).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_made_text_and_long_cells_are_cut() {
        assert_eq!(
            inert("=HYPERLINK(\"http://x\",\"点击\")"),
            "'=HYPERLINK(\"http://x\",\"点击\")"
        );
        for bad in ["+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(inert(bad).starts_with('\''), "{bad}");
        }
        assert_eq!(inert("卫生间渗漏"), "卫生间渗漏");
        assert_eq!(inert("2026-11-27 09:00"), "2026-11-27 09:00");
        let long = "漏".repeat(40_000);
        assert_eq!(within_cell(&long).chars().count(), MAX_CELL_CHARS);
        assert_eq!(within_cell("短"), "短");
    }
}
