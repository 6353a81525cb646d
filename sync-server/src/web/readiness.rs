//! `GET /readiness`: handover readiness (交付准备) per project and building — the reason the
//! pre-handover inspection exists — and, for managers and coordinators, inspection planning
//! ([`super::planning`]) on the same page.
//!
//! For the project and each building the page shows the days to handover (the earliest unit
//! handover in it, from today in Beijing), the units inspected and not yet inspected (with those
//! under way), open defects by severity and the cases overdue now. A building whose handover is
//! [`WARNING_DAYS`] days away or less with a unit not yet inspected is flagged in red; so is the
//! project when any of its buildings is (a project flagged for a building that is months away
//! would send people to the wrong place).
//!
//! What "inspected" means is [`InspectionProgress::state`]: a pre-handover round with every
//! check item marked. The page reads each unit's progress from the store's `unit_inspections`
//! rows, projected whenever a unit document changes, so a project of a thousand units costs one
//! small query, not a thousand document reads.
//!
//! Every figure links to the list behind it and is counted by the same filter that list runs:
//! defect and overdue figures to the case list (`/cases?building=…&open=1&severity=…`), unit
//! figures to [`units`] (`/readiness/units?building=…&state=…`).

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use dioxus::prelude::*;
use plumbline_shared::ids::{BuildingId, ProjectId, UnitId};
use plumbline_shared::inspection_plan::{
    InspectionProgress, InspectionState, WARNING_DAYS, days_to_handover, needs_attention,
};
use plumbline_shared::project::{Project, Unit};
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use serde::Deserialize;

use super::cases::{ListQuery, filter_for, refusal};
use super::i18n::{Lang, Msg};
use super::labels;
use super::layout::{internal, message_page, render};
use super::planning::{AssignmentsView, PlanningView, planning_view};
use super::session::Staff;
use crate::state::AppState;
use crate::store::CaseFilter;

/// The page's query: which project (the person's first by default).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReadinessQuery {
    /// Project id.
    #[serde(default)]
    pub project: String,
}

/// The unit list's query.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UnitsQuery {
    /// Project id.
    #[serde(default)]
    pub project: String,
    /// Building id; empty: every building.
    #[serde(default)]
    pub building: String,
    /// `inspected`, `under_way`, `not_started`, `uninspected` (the last two together) or
    /// `started` (the first two together).
    #[serde(default)]
    pub state: String,
}

/// Narrows a case filter to one building's units, for the case list's `building=` parameter
/// (the readiness page's links). Empty `building`: the filter unchanged. `Err` is the page to
/// answer with: a building the project does not have is a filter that does not parse.
pub(super) async fn with_building(
    state: &AppState,
    staff: &Staff,
    project: &ProjectId,
    building: &str,
    mut filter: CaseFilter,
) -> Result<CaseFilter, Response> {
    if building.is_empty() {
        return Ok(filter);
    }
    let bad = || {
        refusal(
            staff,
            staff.lang.pick(
                "筛选条件“building”无效。",
                "The filter `building` is not valid.",
            ),
        )
    };
    let id = BuildingId::new(building).map_err(|_| bad())?;
    let project = load(state, staff, project).await?;
    let b = project.building(&id).ok_or_else(bad)?;
    filter.units = Some(b.units.iter().map(|u| u.id.clone()).collect());
    Ok(filter)
}

/// The project as its document holds it, or the page to answer with: a project of the
/// person's memberships that this server holds no document of is one that does not exist.
pub(super) async fn load(
    state: &AppState,
    staff: &Staff,
    project: &ProjectId,
) -> Result<Project, Response> {
    match crate::project_read::load_project(state, project).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(super::case_load::not_found(staff)),
        Err(e) => Err(internal(e)),
    }
}

/// Each unit's inspection state, from the projected progress rows (a unit without a row has
/// not started).
async fn unit_states(
    state: &AppState,
    project: &ProjectId,
) -> Result<HashMap<UnitId, (InspectionProgress, InspectionState)>, Response> {
    let items = labels::template().item_count();
    let rows = state
        .store
        .unit_inspections(project)
        .await
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(u, p)| (u, (p, p.state(items))))
        .collect())
}

fn state_of(
    states: &HashMap<UnitId, (InspectionProgress, InspectionState)>,
    unit: &UnitId,
) -> (InspectionProgress, InspectionState) {
    states
        .get(unit)
        .copied()
        .unwrap_or((InspectionProgress::default(), InspectionState::NotStarted))
}

/// Whether a unit in `state` belongs to the unit list's `wanted` state.
fn state_matches(wanted: &str, state: InspectionState) -> bool {
    match wanted {
        "" => true,
        "uninspected" => state != InspectionState::Inspected,
        // A pre-handover round begun: the reports' "units inspected" (docs/reports.md).
        "started" => state != InspectionState::NotStarted,
        w => InspectionState::parse(w) == Some(state),
    }
}

/// One figure and the list behind it.
#[derive(Debug, Clone, PartialEq)]
struct Figure {
    count: u64,
    link: String,
}

/// One row of the table: a building, or the whole project.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    /// Element id prefix: the building id, or `project`.
    key: String,
    name: String,
    units: usize,
    handover: Option<NaiveDate>,
    days: Option<i64>,
    inspected: Figure,
    uninspected: Figure,
    under_way: Figure,
    open: Vec<(Severity, Figure)>,
    overdue: Figure,
    flagged: bool,
}

/// What one group of units (a building, or all) counts, and its links.
async fn row(
    state: &AppState,
    key: String,
    name: String,
    units: &[&Unit],
    building: Option<&BuildingId>,
    ctx: &RowContext<'_>,
) -> Result<Row, Response> {
    let mut inspected = 0u64;
    let mut under_way = 0u64;
    for u in units {
        match state_of(ctx.states, &u.id).1 {
            InspectionState::Inspected => inspected += 1,
            InspectionState::UnderWay => under_way += 1,
            InspectionState::NotStarted => {}
        }
    }
    let uninspected = units.len() as u64 - inspected;
    let building_param = building.map(|b| b.to_string()).unwrap_or_default();
    let unit_link = |wanted: &str| {
        let mut link = format!("/readiness/units?project={}", ctx.project);
        if let Some(b) = building {
            link.push_str(&format!("&building={b}"));
        }
        link.push_str(&format!("&state={wanted}"));
        link
    };
    let mut base = ctx.base.clone();
    if building.is_some() {
        base.units = Some(units.iter().map(|u| u.id.clone()).collect());
    }
    let list = |change: &dyn Fn(&mut ListQuery)| {
        let mut q = ListQuery {
            project: ctx.project.to_string(),
            building: building_param.clone(),
            ..ListQuery::default()
        };
        change(&mut q);
        q.link(1)
    };
    let mut open = Vec::new();
    for s in Severity::ALL {
        let filter = CaseFilter {
            open_only: true,
            severity: Some(s),
            ..base.clone()
        };
        let count = state.store.case_count(&filter).await.map_err(internal)?;
        let link = list(&|q| {
            q.open = "1".into();
            q.severity = s.as_str().into();
        });
        open.push((s, Figure { count, link }));
    }
    let overdue = CaseFilter {
        overdue_at: Some(ctx.at),
        ..base.clone()
    };
    let overdue = Figure {
        count: state.store.case_count(&overdue).await.map_err(internal)?,
        link: list(&|q| q.overdue = "1".into()),
    };
    let days = days_to_handover(units.iter().copied(), ctx.today);
    Ok(Row {
        key,
        name,
        units: units.len(),
        handover: units.iter().map(|u| u.handover).min(),
        days,
        inspected: Figure {
            count: inspected,
            link: unit_link("inspected"),
        },
        uninspected: Figure {
            count: uninspected,
            link: unit_link("uninspected"),
        },
        under_way: Figure {
            count: under_way,
            link: unit_link("under_way"),
        },
        open,
        overdue,
        flagged: days.is_some_and(|d| needs_attention(d, uninspected as usize)),
    })
}

struct RowContext<'a> {
    project: &'a ProjectId,
    base: CaseFilter,
    states: &'a HashMap<UnitId, (InspectionProgress, InspectionState)>,
    today: NaiveDate,
    at: Timestamp,
}

#[component]
fn FigureCell(id: String, figure: Figure) -> Element {
    rsx! {
        td { id: "{id}", a { href: "{figure.link}", "{figure.count}" } }
    }
}

#[derive(Props, Clone, PartialEq)]
struct PageProps {
    lang: Lang,
    project: String,
    project_name: String,
    /// The person's other projects as (id, name), for the switch links.
    others: Vec<(ProjectId, String)>,
    today: NaiveDate,
    rows: Vec<Row>,
    error: Option<String>,
    planning: PlanningView,
}

#[allow(non_snake_case)] // a component
fn ReadinessPage(p: PageProps) -> Element {
    let lang = p.lang;
    let flag = Msg::HandoverFlag.text(lang);
    let rule = match lang {
        Lang::Zh => {
            format!("交付日期前 {WARNING_DAYS} 天内（含已过交付日期）仍有未验收单元的楼栋标红。")
        }
        Lang::En => format!(
            "A building is flagged when its handover is {WARNING_DAYS} days away or less (or past) and a unit is not inspected."
        ),
    };
    rsx! {
        h1 { {Msg::Readiness.text(lang)} " · {p.project_name}" }
        if !p.others.is_empty() {
            p { class: "noprint",
                for (id, name) in p.others.iter() {
                    a { href: "/readiness?project={id}", "{name}" }
                    " "
                }
            }
        }
        if let Some(error) = &p.error {
            p { class: "error", role: "alert", "{error}" }
        }
        p { class: "hint", {Msg::InspectedMeans.text(lang)} " (" {p.today.format("%Y-%m-%d").to_string()} ")" }
        table { id: "readiness",
            thead { tr {
                th { {Msg::Building.text(lang)} }
                th { {Msg::Units.text(lang)} }
                th { {Msg::Handover.text(lang)} }
                th { {Msg::DaysToHandover.text(lang)} }
                th { {Msg::Inspected.text(lang)} }
                th { {Msg::NotInspected.text(lang)} }
                th { {Msg::UnderWay.text(lang)} }
                for s in Severity::ALL {
                    th { {Msg::OpenDefects.text(lang)} " " {s.as_str()} }
                }
                th { {Msg::QueueOverdue.text(lang)} }
                th { }
            } }
            tbody {
                for r in p.rows.iter() {
                    tr { id: "row-{r.key}", class: if r.flagged { "flagged" } else { "" },
                        th { "{r.name}" }
                        td { "{r.units}" }
                        td { {r.handover.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()} }
                        td { id: "{r.key}-days", {r.days.map(|d| d.to_string()).unwrap_or_default()} }
                        FigureCell { id: format!("{}-inspected", r.key), figure: r.inspected.clone() }
                        FigureCell { id: format!("{}-uninspected", r.key), figure: r.uninspected.clone() }
                        FigureCell { id: format!("{}-under_way", r.key), figure: r.under_way.clone() }
                        for (s, f) in r.open.iter() {
                            FigureCell { id: format!("{}-{}", r.key, s.as_str()), figure: f.clone() }
                        }
                        FigureCell { id: format!("{}-overdue", r.key), figure: r.overdue.clone() }
                        td {
                            if r.flagged {
                                strong { id: "flag-{r.key}", class: "overdue", "{flag}" }
                            }
                        }
                    }
                }
            }
        }
        p { class: "hint", "{rule}" }
        AssignmentsView { lang, view: p.planning.clone() }
    }
}

/// The readiness page of `project`, with `error` above it when a planning form was refused.
pub(super) async fn page(
    state: &AppState,
    staff: &Staff,
    project: &ProjectId,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let lang = staff.lang;
    let at = state.now();
    let query = ListQuery {
        project: project.to_string(),
        ..ListQuery::default()
    };
    // The same filter the case list builds for a bare `?project=`: the figures below add to it
    // exactly what their links add to the list's query.
    let (project, base) = match filter_for(staff, &query, at) {
        Ok(f) => f,
        Err(message) => return forbidden(staff, &message),
    };
    let doc = match load(state, staff, &project).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let states = match unit_states(state, &project).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let ctx = RowContext {
        project: &project,
        base,
        states: &states,
        today: at.date_cst(),
        at,
    };
    let mut rows = Vec::new();
    let all: Vec<&Unit> = doc.units().map(|(_, u)| u).collect();
    let mut whole = match row(
        state,
        "project".into(),
        Msg::WholeProject.text(lang).to_owned(),
        &all,
        None,
        &ctx,
    )
    .await
    {
        Ok(r) => r,
        Err(page) => return page,
    };
    for b in &doc.buildings {
        let units: Vec<&Unit> = b.units.iter().collect();
        match row(
            state,
            b.id.to_string(),
            b.name.clone(),
            &units,
            Some(&b.id),
            &ctx,
        )
        .await
        {
            Ok(r) => rows.push(r),
            Err(page) => return page,
        }
    }
    // The project is flagged when one of its buildings is, not for its earliest handover and
    // any uninspected unit anywhere (a far building's units would flag a near, finished one).
    whole.flagged = rows.iter().any(|r| r.flagged);
    rows.insert(0, whole);
    let planning = match planning_view(state, staff, &doc).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let others = staff
        .memberships
        .iter()
        .filter(|m| m.role != plumbline_shared::role::Role::Contractor && m.project != project)
        .map(|m| m.project.clone())
        .collect::<Vec<_>>();
    let others = match super::labels::projects(state, lang, others).await {
        Ok(named) => named,
        Err(e) => return internal(e),
    };
    let props = PageProps {
        lang,
        project: project.to_string(),
        project_name: lang.pick(&doc.name_zh, &doc.name_en).to_owned(),
        others,
        today: ctx.today,
        rows,
        error,
        planning,
    };
    let body = rsx! { ReadinessPage { ..props } };
    (
        status,
        render(lang, Msg::Readiness.text(lang), Some(staff.top_bar()), body),
    )
        .into_response()
}

fn forbidden(staff: &Staff, message: &str) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        staff.lang,
        message,
        Some(staff.top_bar()),
    )
}

/// The project a query names, or the person's first staff project.
#[allow(clippy::result_large_err)] // the error is the page to answer with, made once per request
pub(super) fn chosen(staff: &Staff, asked: &str, now: Timestamp) -> Result<ProjectId, Response> {
    let query = ListQuery {
        project: asked.trim().to_owned(),
        ..ListQuery::default()
    };
    filter_for(staff, &query, now)
        .map(|(p, _)| p)
        .map_err(|m| forbidden(staff, &m))
}

/// `GET /readiness`.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<ReadinessQuery>, QueryRejection>,
) -> Response {
    let asked = query.map(|Query(q)| q.project).unwrap_or_default();
    let project = match chosen(&staff, &asked, state.now()) {
        Ok(p) => p,
        Err(page) => return page,
    };
    page(&state, &staff, &project, StatusCode::OK, None).await
}

#[derive(Debug, Clone, PartialEq)]
struct UnitLine {
    id: String,
    label: String,
    building: String,
    floor: u32,
    handover: NaiveDate,
    state: InspectionState,
    rounds: u32,
    marked: u32,
}

#[component]
fn UnitList(
    lang: Lang,
    project: String,
    title: String,
    lines: Vec<UnitLine>,
    items: usize,
) -> Element {
    let shown = Msg::UnitsShown
        .text(lang)
        .replace("{n}", &lines.len().to_string());
    let label = |s: InspectionState| match s {
        InspectionState::Inspected => Msg::Inspected.text(lang),
        InspectionState::UnderWay => Msg::UnderWay.text(lang),
        InspectionState::NotStarted => Msg::NotStarted.text(lang),
    };
    rsx! {
        h1 { "{title}" }
        p { id: "unit-total", "{shown}" }
        if lines.is_empty() {
            p { {Msg::NoUnits.text(lang)} }
        } else {
            table { id: "units",
                thead { tr {
                    th { {Msg::Unit.text(lang)} }
                    th { {Msg::Building.text(lang)} }
                    th { {Msg::Floor.text(lang)} }
                    th { {Msg::Handover.text(lang)} }
                    th { {Msg::Status.text(lang)} }
                    th { {Msg::Rounds.text(lang)} }
                    th { {Msg::ItemsMarked.text(lang)} }
                } }
                tbody {
                    for u in lines.iter() {
                        tr { class: "unit", id: "unit-{u.id}",
                            td { a { href: "/cases?project={project}&unit={u.id}", "{u.label}" } }
                            td { "{u.building}" }
                            td { "{u.floor}" }
                            td { {u.handover.format("%Y-%m-%d").to_string()} }
                            td { {label(u.state)} }
                            td { "{u.rounds}" }
                            td { "{u.marked}/{items}" }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /readiness/units`: the units behind a readiness figure.
pub async fn units(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<UnitsQuery>, QueryRejection>,
) -> Response {
    let lang = staff.lang;
    let Ok(Query(q)) = query else {
        return refusal(
            &staff,
            lang.pick("筛选条件无效。", "The filter is not valid."),
        );
    };
    let project = match chosen(&staff, &q.project, state.now()) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let bad = |what: &str| {
        refusal(
            &staff,
            lang.pick(
                &format!("筛选条件“{what}”无效。"),
                &format!("The filter `{what}` is not valid."),
            ),
        )
    };
    if !(q.state.is_empty()
        || q.state == "uninspected"
        || q.state == "started"
        || InspectionState::parse(&q.state).is_some())
    {
        return bad("state");
    }
    let doc = match load(&state, &staff, &project).await {
        Ok(p) => p,
        Err(page) => return page,
    };
    let building = if q.building.is_empty() {
        None
    } else {
        match BuildingId::new(q.building.as_str())
            .ok()
            .and_then(|id| doc.building(&id))
        {
            Some(b) => Some(b),
            None => return bad("building"),
        }
    };
    let states = match unit_states(&state, &project).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let lines: Vec<UnitLine> = doc
        .units()
        .filter(|(b, _)| building.is_none_or(|x| x.id == b.id))
        .filter_map(|(b, u)| {
            let (progress, s) = state_of(&states, &u.id);
            state_matches(&q.state, s).then(|| UnitLine {
                id: u.id.to_string(),
                label: u.label.clone(),
                building: b.name.clone(),
                floor: u.floor,
                handover: u.handover,
                state: s,
                rounds: progress.rounds,
                marked: progress.most_marked,
            })
        })
        .collect();
    let mut title = Msg::Readiness.text(lang).to_owned();
    if let Some(b) = building {
        title.push_str(&format!(" · {}", b.name));
    }
    let wanted = match q.state.as_str() {
        "inspected" => Some(Msg::Inspected),
        "uninspected" => Some(Msg::NotInspected),
        "under_way" => Some(Msg::UnderWay),
        "not_started" => Some(Msg::NotStarted),
        "started" => Some(Msg::InspectionStarted),
        _ => None,
    };
    if let Some(w) = wanted {
        title.push_str(&format!(" · {}", w.text(lang)));
    }
    let items = labels::template().item_count();
    let body = rsx! { UnitList { lang, project: project.to_string(), title: title.clone(), lines, items } };
    render(lang, &title, Some(staff.top_bar()), body).into_response()
}
