//! `GET /reports/settlement`: the settlement ledger (结算台账) of the month — per contractor,
//! the fine slips approved and still in approval, the emergency repairs charged with their
//! cost and those still without one, and what the month settles — and
//! `GET /reports/settlement.xlsx`, the same ledger as the workbook the center sends to
//! 成本控制部、经济处、财务部 and 合约部.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::project::Project;
use plumbline_shared::time::Timestamp;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{Asked, AskedReport, ReportQuery, Tab, contractor_name, fig};
use crate::reports::{LedgerLine, Report, Value};
use crate::state::AppState;
use crate::web::i18n::{Lang, Msg};
use crate::web::layout::render;
use crate::web::session::Staff;
use crate::web::when::beijing;

/// The ledger's columns after the contractor, each a figure of a [`LedgerLine`].
fn columns(line: &LedgerLine) -> [&String; 5] {
    [
        &line.fines_approved,
        &line.fines_pending,
        &line.emergency_cost,
        &line.emergency_uncosted,
        &line.total,
    ]
}

/// The ledger table, as of `now`.
fn table(lang: Lang, asked: &Asked, report: &Report, project: &Project, now: Timestamp) -> Element {
    let f = &report.figures;
    let ledger = &report.ledger;
    let Some(total) = &ledger.total else {
        return rsx! { p { {Msg::ReportNothing.text(lang)} } };
    };
    let as_of = Msg::SettleAsOf.text(lang).replace("{time}", &beijing(now));
    rsx! {
        p { id: "settlement-as-of", "{as_of}" }
        table { id: "settlement",
            thead {
                tr {
                    th { {Msg::Contractor.text(lang)} }
                    th { {Msg::SettleFinesApproved.text(lang)} }
                    th { {Msg::SettleFinesPending.text(lang)} }
                    th { {Msg::SettleEmergencyCost.text(lang)} }
                    th { {Msg::SettleEmergencyUncosted.text(lang)} }
                    th { {Msg::SettleTotal.text(lang)} }
                }
            }
            tbody {
                for (contractor, line) in ledger.lines.iter() {
                    tr {
                        th { {contractor_name(project, lang, Some(contractor))} }
                        for key in columns(line) {
                            td { {fig(lang, asked, f, key)} }
                        }
                    }
                }
            }
            tfoot {
                tr {
                    th { {Msg::Total.text(lang)} }
                    for key in columns(total) {
                        td { {fig(lang, asked, f, key)} }
                    }
                }
            }
        }
        p { class: "hint", {Msg::SettleHelp.text(lang)} }
        p { class: "noprint",
            a { id: "settlement-xlsx", href: "/reports/settlement.xlsx?{asked.query()}",
                {Msg::ExportXlsx.text(lang)}
            }
        }
    }
}

/// `GET /reports/settlement`.
pub async fn show(State(state): State<AppState>, asked_report: AskedReport) -> Response {
    let head = asked_report.heading(Tab::Settlement);
    let (staff, asked, _, project, report) = asked_report.parts();
    let lang = staff.lang;
    let body = rsx! {
        {head}
        {table(lang, &asked, &report, &project, state.now())}
    };
    render(
        lang,
        Tab::Settlement.title(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}

/// The workbook's columns (Chinese: it goes to other departments as it is).
const COLUMNS: [(&str, f64); 6] = [
    ("施工单位", 28.0),
    ("审批完成的罚款（元）", 18.0),
    ("审批中的罚款（元）", 18.0),
    ("应急维修费用（元）", 18.0),
    ("费用未定的应急维修（项）", 22.0),
    ("应结算合计（元）", 18.0),
];

/// The workbook: a title row (project, month, the instant it is as of), the column heads, one
/// row per contractor, the total.
fn workbook(report: &Report, project: &Project, now: Timestamp) -> Result<Vec<u8>, XlsxError> {
    let f = &report.figures;
    let number = |key: &str| match f.get(key).map(|x| x.value) {
        Some(Value::Money(fen)) => fen as f64 / 100.0,
        Some(Value::Count(n)) => n as f64,
        _ => 0.0,
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(format!("结算台账 {}", report.month))?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let bold_money = Format::new().set_bold().set_num_format("#,##0.00");
    sheet.write_string_with_format(
        0,
        0,
        format!(
            "{} · 结算台账 · {} · 截至 {}",
            project.name_zh,
            report.month,
            beijing(now)
        ),
        &bold,
    )?;
    for (col, (title, width)) in (0u16..).zip(COLUMNS) {
        sheet.write_string_with_format(1, col, title, &bold)?;
        sheet.set_column_width(col, width)?;
    }
    let write_line = |sheet: &mut rust_xlsxwriter::Worksheet,
                      row: u32,
                      name: &str,
                      line: &LedgerLine,
                      bold: bool|
     -> Result<(), XlsxError> {
        let (text, cash) = if bold {
            (Format::new().set_bold(), &bold_money)
        } else {
            (Format::new(), &money)
        };
        sheet.write_string_with_format(row, 0, name, &text)?;
        for (col, key) in (1u16..).zip(columns(line)) {
            if key == &line.emergency_uncosted {
                sheet.write_number_with_format(row, col, number(key), &text)?;
            } else {
                sheet.write_number_with_format(row, col, number(key), cash)?;
            }
        }
        Ok(())
    };
    let mut row = 2u32;
    for (contractor, line) in &report.ledger.lines {
        write_line(
            sheet,
            row,
            &contractor_name(project, Lang::Zh, Some(contractor)),
            line,
            false,
        )?;
        row += 1;
    }
    if let Some(total) = &report.ledger.total {
        write_line(sheet, row, "合计", total, true)?;
    }
    sheet.set_freeze_panes(2, 0)?;
    book.save_to_buffer()
}

/// `GET /reports/settlement.xlsx`.
pub async fn xlsx(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Response {
    let now = state.now();
    super::workbook_download(&state, &staff, query, "settlement", |report, project| {
        workbook(report, project, now)
    })
    .await
}
