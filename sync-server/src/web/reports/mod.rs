//! The report pages (`/reports/…`): the monthly report, product suggestions, contractor
//! scorecards, satisfaction and the settlement ledger, for one project and month, and the list
//! of cases behind any figure on them.
//!
//! The figures come from [`crate::reports`], through the cache of rows and settled reports
//! ([`crate::report_cache`]); this module only asks, renders, and links. Every figure is
//! rendered by [`fig`] as a link with its exact value in `data-value`, to
//! `/reports/cases?…&figure=<key>` ([`drill`]), which takes the same report and lists exactly
//! the cases the figure was counted from.
//!
//! Who may read them: every office role of the project (contractors may not), as for the case
//! list. Who may write the suggestion notes: the manager and the coordinator.

pub mod drill;
pub mod figure_label;
pub mod monthly;
pub mod satisfaction;
pub mod scorecards;
pub mod settlement;
pub mod suggestion_sheet;
pub mod suggestions;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use dioxus::prelude::*;
use plumbline_shared::ids::{ContractorId, ProjectId};
use plumbline_shared::project::Project;
use plumbline_shared::time::Timestamp;
use serde::Deserialize;

use super::cases::encode;
use super::i18n::{Lang, Msg};
use super::layout::{internal, message_page};
use super::session::Staff;
use crate::reports::{Figures, Month, Report, ReportParams, Threshold};
use crate::state::AppState;

/// Every report page's query parameters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportQuery {
    /// Project id (default: the person's first office project).
    #[serde(default)]
    pub project: String,
    /// `YYYY-MM` (default: this month in Beijing).
    #[serde(default)]
    pub month: String,
    /// Product suggestions: a group with this many units affected is a candidate.
    #[serde(default)]
    pub min_units: String,
    /// Product suggestions: a group with this share (percent, one decimal) of the units
    /// inspected is a candidate too (either threshold makes one).
    #[serde(default)]
    pub min_share: String,
    /// The list behind a figure: its key.
    #[serde(default)]
    pub figure: String,
    /// The list behind a figure: its page, from 1 (text, so a bad one is named in the answer).
    #[serde(default)]
    pub page: String,
}

/// What a report page was asked for, checked.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The project.
    pub project: ProjectId,
    /// Month and threshold.
    pub params: ReportParams,
}

impl Asked {
    /// The query string that names this report (project, month, threshold), for links.
    pub fn query(&self) -> String {
        let threshold = match self.params.threshold.form_values() {
            (units, share) if share.is_empty() => format!("min_units={units}"),
            (units, share) if units.is_empty() => format!("min_share={share}"),
            (units, share) => format!("min_units={units}&min_share={share}"),
        };
        format!(
            "project={}&month={}&{threshold}",
            encode(self.project.as_str()),
            self.params.month
        )
    }

    /// The link to the cases behind the figure `key`.
    pub fn figure_link(&self, key: &str) -> String {
        format!("/reports/cases?{}&figure={}", self.query(), encode(key))
    }
}

/// The most units a threshold may ask for, and the share's upper bound: anything above is a
/// typing mistake, not a threshold.
const MAX_MIN_UNITS: u32 = 100_000;
/// The last page a figure's list may be asked for (50 rows a page).
const MAX_PAGE: u32 = 100_000;

impl ReportQuery {
    /// The page asked for (checked by [`asked`]), 1 when none.
    pub fn page_number(&self) -> u32 {
        self.page.parse().unwrap_or(1)
    }
}

/// Checks the query: the project is one of the person's office projects (403 otherwise), the
/// month and the threshold parse (400 with a sentence naming the parameter otherwise).
#[allow(clippy::result_large_err)] // the error is the page to answer with
pub fn asked(
    staff: &Staff,
    now: Timestamp,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<(Asked, ReportQuery), Response> {
    let lang = staff.lang;
    let bad = |what: &str| {
        message_page(
            StatusCode::BAD_REQUEST,
            lang,
            &Msg::ReportBadParameter.text(lang).replace("{name}", what),
            Some(staff.top_bar()),
        )
    };
    let Ok(Query(q)) = query else {
        return Err(bad("?"));
    };
    let project = super::readiness::chosen(staff, &q.project, now)?;
    let month = match q.month.trim() {
        "" => Month::of(now),
        text => Month::parse(text).map_err(|_| bad("month"))?,
    };
    if !q.page.is_empty()
        && q.page
            .parse::<u32>()
            .map_or(true, |p| !(1..=MAX_PAGE).contains(&p))
    {
        return Err(bad("page"));
    }
    let units = match q.min_units.trim() {
        "" => None,
        units => match units.parse::<u32>() {
            Ok(n) if (1..=MAX_MIN_UNITS).contains(&n) => Some(n),
            _ => return Err(bad("min_units")),
        },
    };
    let share = match q.min_share.trim() {
        "" => None,
        share => Some(share_tenths(share).ok_or_else(|| bad("min_share"))?),
    };
    let threshold = match (units, share) {
        (None, None) => Threshold::default(),
        (units, share_tenths) => Threshold {
            units,
            share_tenths,
        },
    };
    Ok((
        Asked {
            project,
            params: ReportParams { month, threshold },
        },
        q,
    ))
}

/// A percentage with at most one decimal, above 0 and at most 100, in tenths: `2.5` → 25.
fn share_tenths(text: &str) -> Option<u32> {
    let (whole, tenth) = match text.split_once('.') {
        Some((w, t)) if t.len() == 1 => (w, t),
        Some(_) => return None,
        None => (text, "0"),
    };
    if whole.is_empty()
        || whole.len() > 3
        || !whole
            .chars()
            .chain(tenth.chars())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let tenths = whole.parse::<u32>().ok()? * 10 + tenth.parse::<u32>().ok()?;
    (1..=1000).contains(&tenths).then_some(tenths)
}

/// A report page's request, read: the person, what they asked for (or the page saying what is
/// wrong with it), the project and its report. Every report page starts from this.
#[derive(Debug)]
pub struct AskedReport {
    /// The person.
    pub staff: Staff,
    /// The project, month and threshold asked for.
    pub asked: Asked,
    /// The query as sent.
    pub query: ReportQuery,
    /// The project.
    pub project: Project,
    /// Its report.
    pub report: Report,
    /// The projects the person may switch to, as (id, name): the heading's project picker.
    pub switch: Vec<(String, String)>,
    /// The month of the instant the page is read at: the month picker's latest choice.
    pub this_month: Month,
}

impl AskedReport {
    /// The page's head: title, tabs, and the project and month picker.
    pub fn heading(&self, tab: Tab) -> Element {
        heading(
            self.staff.lang,
            &self.switch,
            &self.asked,
            &self.project,
            tab,
            self.this_month,
        )
    }

    /// Its parts: the person, what they asked, the query, the project, the report.
    pub fn parts(self) -> (Staff, Asked, ReportQuery, Project, Report) {
        (
            self.staff,
            self.asked,
            self.query,
            self.project,
            self.report,
        )
    }
}

impl FromRequestParts<AppState> for AskedReport {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let staff = Staff::from_request_parts(parts, state).await?;
        let query = Query::<ReportQuery>::from_request_parts(parts, state).await;
        let (asked, query, project, report) = requested(state, &staff, query).await?;
        let offices = staff
            .memberships
            .iter()
            .filter(|m| m.role != plumbline_shared::role::Role::Contractor)
            .map(|m| m.project.clone())
            .collect::<Vec<_>>();
        let switch = super::labels::projects(state, staff.lang, offices)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect();
        Ok(Self {
            staff,
            asked,
            query,
            project,
            report,
            switch,
            this_month: Month::of(state.now()),
        })
    }
}

/// Everything a report page needs, from its query: what was asked, the project and its report.
/// `Err` is the page to answer with (400, 403 or 500).
pub async fn requested(
    state: &AppState,
    staff: &Staff,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<(Asked, ReportQuery, Project, Report), Response> {
    let (asked, query) = asked(staff, state.now(), query)?;
    let (project, report) = report(state, staff, &asked).await?;
    Ok((asked, query, project, report))
}

/// A report's workbook as a download named `<name>-<project>-<month>.xlsx`, made by `build`
/// from the report the query asks for (or the page that says why not).
pub async fn workbook_download(
    state: &AppState,
    staff: &Staff,
    query: Result<Query<ReportQuery>, QueryRejection>,
    name: &str,
    build: impl FnOnce(&Report, &Project) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError>,
) -> Response {
    let (_, _, project, report) = match requested(state, staff, query).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    match build(&report, &project) {
        Ok(bytes) => crate::web::case_export::attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{name}-{}-{}.xlsx", project.id, report.month),
            bytes,
        ),
        Err(e) => internal(e),
    }
}

/// The project's document and its report for `asked`.
pub async fn report(
    state: &AppState,
    staff: &Staff,
    asked: &Asked,
) -> Result<(Project, Report), Response> {
    let project = super::readiness::load(state, staff, &asked.project).await?;
    let (project, report) = report_of(state, project, &asked.params)
        .await
        .map_err(internal)?;
    Ok((project, report))
}

/// The report of a loaded project, at the server's now: from the rows and settled report kept
/// since the project's rows last changed ([`crate::report_cache`]).
pub(super) async fn report_of(
    state: &AppState,
    project: Project,
    params: &ReportParams,
) -> anyhow::Result<(Project, Report)> {
    Ok(state
        .reports
        .report(&*state.store, project, params, state.now())
        .await?)
}

/// A contractor's name as the project lists it (its id when no longer listed; "未指定" for
/// none).
pub fn contractor_name(project: &Project, lang: Lang, id: Option<&ContractorId>) -> String {
    match id {
        None => Msg::NoContractor.text(lang).to_owned(),
        Some(id) => project
            .contractors
            .iter()
            .find(|c| &c.id == id)
            .map_or_else(|| id.to_string(), |c| c.name.clone()),
    }
}

/// One figure: a link to the cases behind it, its exact value in `data-value`. A key the
/// report does not have (it should not happen) shows "—".
pub fn fig(lang: Lang, asked: &Asked, figures: &Figures, key: &str) -> Element {
    let Some(f) = figures.get(key) else {
        return rsx! { span { "—" } };
    };
    let exact = f.value.exact();
    let shown = f.value.shown(lang == Lang::En);
    let href = asked.figure_link(key);
    rsx! {
        a { id: "fig-{key}", class: "fig", "data-value": "{exact}", href: "{href}", "{shown}" }
    }
}

/// How many months the month picker offers, newest first: three years.
const MONTHS_OFFERED: usize = 36;

/// A month as a person names it: `2026年11月`, `Nov 2026`.
pub fn month_label(lang: Lang, m: Month) -> String {
    m.start()
        .to_china()
        .map(|d| match lang {
            Lang::Zh => d.format("%Y年%-m月").to_string(),
            Lang::En => d.format("%b %Y").to_string(),
        })
        .unwrap_or_else(|| m.to_string())
}

/// Which report a page is, for the tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// 月度报告.
    Monthly,
    /// 产品建议表.
    Suggestions,
    /// 施工单位考评.
    Scorecards,
    /// 满意度.
    Satisfaction,
    /// 结算台账.
    Settlement,
}

impl Tab {
    const ALL: [Tab; 5] = [
        Tab::Monthly,
        Tab::Suggestions,
        Tab::Scorecards,
        Tab::Satisfaction,
        Tab::Settlement,
    ];

    fn path(self) -> &'static str {
        match self {
            Tab::Monthly => "/reports/monthly",
            Tab::Suggestions => "/reports/suggestions",
            Tab::Scorecards => "/reports/scorecards",
            Tab::Satisfaction => "/reports/satisfaction",
            Tab::Settlement => "/reports/settlement",
        }
    }

    /// The tab's title.
    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Tab::Monthly => Msg::ReportMonthly.text(lang),
            Tab::Suggestions => Msg::ReportSuggestions.text(lang),
            Tab::Scorecards => Msg::ReportScorecards.text(lang),
            Tab::Satisfaction => Msg::ReportSatisfaction.text(lang),
            Tab::Settlement => Msg::ReportSettlement.text(lang),
        }
    }
}

/// The head of every report page: the title, the tabs, and the project and month picker.
fn heading(
    lang: Lang,
    projects: &[(String, String)],
    asked: &Asked,
    project: &Project,
    tab: Tab,
    this_month: Month,
) -> Element {
    let query = asked.query();
    let project_name = lang.pick(&project.name_zh, &project.name_en).to_owned();
    rsx! {
        h1 { "{project_name} · {tab.title(lang)} · " {month_label(lang, asked.params.month)} }
        nav { class: "noprint tabs",
            for t in Tab::ALL {
                if t == tab {
                    strong { {t.title(lang)} }
                } else {
                    a { href: "{t.path()}?{query}", {t.title(lang)} }
                }
                " "
            }
        }
        form { class: "filters noprint", method: "get", action: "{tab.path()}",
            label { {Msg::Project.text(lang)}
                select { name: "project",
                    for (id, name) in projects.iter() {
                        option { value: "{id}", selected: id == project.id.as_str(), "{name}" }
                    }
                }
            }
            label { {Msg::ReportMonth.text(lang)}
                select { name: "month", id: "month-picker",
                    for m in this_month.max(asked.params.month).trailing(MONTHS_OFFERED).into_iter().rev() {
                        option { value: "{m}", selected: m == asked.params.month, {month_label(lang, m)} }
                    }
                }
            }
            button { r#type: "submit", {Msg::Show.text(lang)} }
            span { class: "hint", {Msg::PrintHint.text(lang)} }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_take_at_most_one_decimal_and_stay_within_a_hundred_percent() {
        assert_eq!(share_tenths("2.5"), Some(25));
        assert_eq!(share_tenths("10"), Some(100));
        assert_eq!(share_tenths("100"), Some(1000));
        for bad in [
            "0", "0.0", "100.1", "2.55", "-1", "abc", "", ".5", "1e2", "2.",
        ] {
            assert_eq!(share_tenths(bad), None, "{bad}");
        }
    }
}
