//! `GET /reports/monthly`: the monthly report (月度报告) the center sends the company — the
//! month's intake and closures, the open backlog and its age, the charts, the product
//! suggestion candidates, the contractor scorecards and satisfaction.

use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::project::Project;

use super::{Asked, AskedReport, Tab, contractor_name, fig};
use crate::reports::chart::{self, Bar, Series};
use crate::reports::{Report, Value};
use crate::web::cases::time_text;
use crate::web::i18n::{Lang, Msg};
use crate::web::labels;
use crate::web::layout::render;

/// A figure's value as a chart bar, linked to its cases.
fn bar(report: &Report, asked: &Asked, key: &str, label: String) -> Bar {
    Bar {
        label,
        value: report.figures.get(key).map_or(0.0, |f| f.value.number()),
        href: Some(asked.figure_link(key)),
    }
}

/// The three charts, as SVG.
fn charts(lang: Lang, asked: &Asked, report: &Report, project: &Project) -> [String; 3] {
    let m = &report.monthly;
    let pareto_bars: Vec<Bar> = m
        .by_category
        .iter()
        .map(|(category, key)| bar(report, asked, key, labels::category(lang, category)))
        .collect();
    let pareto = chart::pareto(
        Msg::ChartPareto.text(lang),
        &pareto_bars,
        Msg::ChartCumulative.text(lang),
    );
    let months: Vec<String> = m
        .trend
        .iter()
        .map(|(month, _, _)| month.to_string())
        .collect();
    let series =
        |label: Msg, pick: fn(&(crate::reports::Month, String, String)) -> &String| Series {
            label: label.text(lang).to_owned(),
            values: m
                .trend
                .iter()
                .map(|t| {
                    report
                        .figures
                        .get(pick(t))
                        .map_or(0.0, |f| f.value.number())
                })
                .collect(),
            hrefs: m
                .trend
                .iter()
                .map(|t| Some(asked.figure_link(pick(t))))
                .collect(),
        };
    let trend = chart::trend(
        Msg::ChartTrend.text(lang),
        &months,
        &[
            series(Msg::MonthIntake, |t| &t.1),
            series(Msg::Closures, |t| &t.2),
        ],
    );
    let response_bars: Vec<Bar> = report
        .scorecards
        .iter()
        .filter(|s| {
            matches!(
                report.figures.get(&s.response_time).map(|f| f.value),
                Some(Value::Mean { n, .. }) if n > 0
            )
        })
        .map(|s| {
            bar(
                report,
                asked,
                &s.response_time,
                contractor_name(project, lang, Some(&s.contractor)),
            )
        })
        .collect();
    let hours = chart::hbars(
        Msg::ChartResponseHours.text(lang),
        &response_bars,
        Msg::Hours.text(lang),
    );
    [pareto, trend, hours]
}

/// `GET /reports/monthly`.
pub async fn show(asked_report: AskedReport) -> Response {
    let head = asked_report.heading(Tab::Monthly);
    let (staff, asked, _, project, report) = asked_report.parts();
    let lang = staff.lang;
    let f = &report.figures;
    let m = &report.monthly;
    let [pareto, trend, hours] = charts(lang, &asked, &report, &project);
    let as_of = time_text(Some(m.backlog.as_of));
    let bands = [Msg::Age0to7, Msg::Age8to30, Msg::Age31to90, Msg::AgeOver90];
    let body = rsx! {
        {head}
        h2 { {Msg::MonthOverview.text(lang)} }
        table { id: "overview",
            thead { tr {
                th { {Msg::MonthIntake.text(lang)} }
                th { {Msg::Closures.text(lang)} }
                th { {Msg::Backlog.text(lang)} " (" {Msg::AsOf.text(lang)} " {as_of})" }
            } }
            tbody { tr {
                td { {fig(lang, &asked, f, &m.intake)} }
                td { {fig(lang, &asked, f, &m.closures)} }
                td { {fig(lang, &asked, f, &m.backlog.total)} }
            } }
        }
        div { class: "two",
            table { id: "intake-by-origin",
                thead { tr { th { {Msg::Origin.text(lang)} } th { {Msg::MonthIntake.text(lang)} } } }
                tbody {
                    for (origin, key) in m.intake_by_origin.iter() {
                        tr {
                            th { {lang.pick(origin.label_zh(), origin.label_en())} }
                            td { {fig(lang, &asked, f, key)} }
                        }
                    }
                }
            }
            table { id: "backlog-by-age",
                thead { tr { th { {Msg::BacklogAge.text(lang)} } th { {Msg::Backlog.text(lang)} } } }
                tbody {
                    for (band, key) in bands.iter().zip(m.backlog.ages.iter()) {
                        tr {
                            th { {band.text(lang)} }
                            td { {fig(lang, &asked, f, key)} }
                        }
                    }
                }
            }
        }
        div { class: "chart", dangerous_inner_html: "{pareto}" }
        div { class: "chart", dangerous_inner_html: "{trend}" }
        div { class: "chart", dangerous_inner_html: "{hours}" }
        h2 { {Msg::SuggestionCandidates.text(lang)} }
        {super::suggestions::table(lang, &staff, &asked, &report, &project, true, false)}
        h2 { {Tab::Scorecards.title(lang)} }
        {super::scorecards::table(lang, &asked, &report, &project)}
        h2 { {Tab::Satisfaction.title(lang)} }
        {super::satisfaction::summary(lang, &asked, &report)}
    };
    render(lang, Tab::Monthly.title(lang), Some(staff.top_bar()), body).into_response()
}
