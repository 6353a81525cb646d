//! `GET /cases`: the case list with filters and paging (exports: `super::case_export`).
//!
//! Filters are plain query parameters, so a filtered list is a link that can be bookmarked,
//! sent to a colleague, or put behind a dashboard figure.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::event::Origin;
use plumbline_shared::ids::{ContractorId, ProjectId, UnitId};
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::short_name::short_name;
use plumbline_shared::time::DAY_MS;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::Status;
use serde::Deserialize;

use super::badges::{SeverityBadge, StatusBadge};
use super::date_field::{DateInput, Toward, parse_day};
use super::i18n::{Lang, Msg};
use super::labels;
use super::layout::{message_page, render};
use super::session::Staff;
use super::sorting;
use crate::state::AppState;
use crate::store::{CaseFilter, CaseRecord, Page, Queue, SortKey};

/// Rows per page.
pub const PAGE_SIZE: u32 = 50;
/// Most rows one export holds.
pub const MAX_EXPORT_ROWS: u32 = 20_000;

/// The list's query parameters; empty values mean "any".
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ListQuery {
    /// Project (default: the person's first).
    #[serde(default)]
    pub project: String,
    /// Unit id.
    #[serde(default)]
    pub unit: String,
    /// Status (`open`, `notified`, …).
    #[serde(default)]
    pub status: String,
    /// Severity (`S1` … `S4`).
    #[serde(default)]
    pub severity: String,
    /// Category id.
    #[serde(default)]
    pub category: String,
    /// Room id (from the checklist template).
    #[serde(default)]
    pub room: String,
    /// Contractor id.
    #[serde(default)]
    pub contractor: String,
    /// Text in the description.
    #[serde(default)]
    pub q: String,
    /// `1`: only overdue cases, the response window or the repair deadline passed (the
    /// queues `response_overdue` and `repair_overdue` together; kept for links made before
    /// the dashboard counted them apart).
    #[serde(default)]
    pub overdue: String,
    /// A dashboard queue: `review`, `evidence`, `emergency`, `fines` (slips awaiting
    /// approval), `duplicates` (probable duplicates), `urgent` (S1 awaiting a notice),
    /// `unreturned` (notices not returned in time, as of now), `callbacks` (accepted, the
    /// owner not called back yet), `response_overdue` (no response within the 4-hour window,
    /// as of now) or `repair_overdue` (the repair deadline passed, as of now).
    #[serde(default)]
    pub queue: String,
    /// How the case came in (`inspection`, `owner_call`, …).
    #[serde(default)]
    pub origin: String,
    /// Recorded on or after this day (`YYYY-MM-DD`, Beijing time).
    #[serde(default)]
    pub from: String,
    /// Recorded on or before this day (`YYYY-MM-DD`, Beijing time).
    #[serde(default)]
    pub to: String,
    /// The order (see [`super::sorting`]); empty: newest first.
    #[serde(default)]
    pub sort: String,
    /// Only cases of this building's units (a building id; the readiness page's links).
    #[serde(default)]
    pub building: String,
    /// `1`: only open defects (see [`CaseFilter::open_only`]).
    #[serde(default)]
    pub open: String,
    /// Page, from 1.
    #[serde(default)]
    pub page: Option<u32>,
}

impl ListQuery {
    /// The query string for this filter on another page.
    pub(super) fn link(&self, page: u32) -> String {
        let pairs = [
            ("project", self.project.as_str()),
            ("unit", &self.unit),
            ("status", &self.status),
            ("severity", &self.severity),
            ("category", &self.category),
            ("room", &self.room),
            ("contractor", &self.contractor),
            ("q", &self.q),
            ("overdue", &self.overdue),
            ("queue", &self.queue),
            ("origin", &self.origin),
            ("from", &self.from),
            ("to", &self.to),
            ("sort", &self.sort),
            ("building", &self.building),
            ("open", &self.open),
        ];
        let mut out = String::from("/cases?");
        for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            out.push_str(k);
            out.push('=');
            out.push_str(&encode(v));
            out.push('&');
        }
        out.push_str(&format!("page={page}"));
        out
    }
}

/// Percent-encodes a query value.
pub(super) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A filter that does not parse: the message names the parameter.
fn bad(lang: Lang, what: &str) -> String {
    lang.pick(
        &format!("筛选条件“{what}”无效。"),
        &format!("The filter `{what}` is not valid."),
    )
    .to_owned()
}

/// Turns the query into a store filter the person may run.
pub(super) fn filter_for(
    staff: &Staff,
    q: &ListQuery,
    at: Timestamp,
) -> Result<(ProjectId, CaseFilter), String> {
    let lang = staff.lang;
    let project = if q.project.is_empty() {
        staff
            .memberships
            .iter()
            .find(|m| m.role != Role::Contractor)
            .map(|m| m.project.clone())
            .ok_or_else(|| Msg::Forbidden.text(lang).to_owned())?
    } else {
        ProjectId::new(q.project.as_str()).map_err(|_| bad(lang, "project"))?
    };
    match staff.role_in(&project) {
        Some(Role::Contractor) | None => return Err(Msg::Forbidden.text(lang).to_owned()),
        Some(_) => {}
    }
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let status = match q.status.as_str() {
        "" => None,
        s => Some(
            Status::ALL
                .into_iter()
                .find(|x| x.as_str() == s)
                .ok_or_else(|| bad(lang, "status"))?,
        ),
    };
    let severity = match q.severity.as_str() {
        "" => None,
        s => Some(
            Severity::ALL
                .into_iter()
                .find(|x| x.as_str() == s)
                .ok_or_else(|| bad(lang, "severity"))?,
        ),
    };
    let unit = opt(&q.unit)
        .map(UnitId::new)
        .transpose()
        .map_err(|_| bad(lang, "unit"))?;
    let contractor = opt(&q.contractor)
        .map(ContractorId::new)
        .transpose()
        .map_err(|_| bad(lang, "contractor"))?;
    if q.q.chars().count() > 100 {
        return Err(bad(lang, "q"));
    }
    // Rooms and categories come from the checklist template: anything else is a mistyped
    // address, answered as such rather than listed as "no cases".
    if !q.room.is_empty() && !labels::rooms(lang).iter().any(|(id, _)| *id == q.room) {
        return Err(bad(lang, "room"));
    }
    if !q.category.is_empty()
        && !labels::categories(lang)
            .iter()
            .any(|(id, _)| *id == q.category)
    {
        return Err(bad(lang, "category"));
    }
    let queue = match q.queue.as_str() {
        "" => None,
        "review" => Some(Queue::Review),
        "evidence" => Some(Queue::EvidenceRequested),
        "new_evidence" => Some(Queue::EvidenceAfterAcceptance),
        "emergency" => Some(Queue::EmergencyRequired),
        "fines" => Some(Queue::FinesAwaitingApproval),
        "duplicates" => Some(Queue::ProbableDuplicates),
        "urgent" => Some(Queue::UrgentAwaitingNotice),
        "unreturned" => Some(Queue::NoticeNotReturned(at)),
        "callbacks" => Some(Queue::CallbacksDue),
        "response_overdue" => Some(Queue::ResponseOverdue(at)),
        "repair_overdue" => Some(Queue::RepairOverdue(at)),
        _ => return Err(bad(lang, "queue")),
    };
    let origin = match q.origin.as_str() {
        "" => None,
        o => Some(
            Origin::ALL
                .into_iter()
                .find(|x| x.as_str() == o)
                .ok_or_else(|| bad(lang, "origin"))?,
        ),
    };
    let day = |text: &str, what: &str| -> Result<Option<Timestamp>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        let date = parse_day(text).ok_or_else(|| {
            let shown: String = text.chars().take(24).collect();
            lang.pick(
                &format!("{what}“{shown}”不是日期，请写成 2026-12-07 或 2026年12月7日。"),
                &format!("{what} `{shown}` is not a date; write it as 2026-12-07."),
            )
            .to_owned()
        })?;
        let start = date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_local_timezone(plumbline_shared::time::china())
            .single()
            .ok_or_else(|| bad(lang, what))?;
        Ok(Some(Timestamp(start.timestamp_millis())))
    };
    let created_from = day(q.from.trim(), Msg::DateFrom.text(lang))?;
    // "To" a day includes that whole day: before the next midnight.
    let created_before = day(q.to.trim(), Msg::DateTo.text(lang))?.map(|t| Timestamp(t.0 + DAY_MS));
    if let (Some(from), Some(before)) = (created_from, created_before)
        && from >= before
    {
        return Err(bad(lang, "from/to"));
    }
    let order = super::sorting::parse(&q.sort, lang)?;
    Ok((
        project.clone(),
        CaseFilter {
            projects: vec![project],
            unit,
            contractor,
            status,
            severity,
            category: opt(&q.category),
            room: opt(&q.room),
            text: opt(q.q.trim()),
            overdue_at: (q.overdue == "1").then_some(at),
            queue,
            origin,
            created_from,
            created_before,
            // A merged case counts at the case it was merged into: it is listed only when the
            // merged status is asked for.
            exclude_merged: status != Some(Status::Merged),
            owner_phone: None,
            owner_name: None,
            order,
            // Filled in from the project document by `super::readiness::with_building`, which
            // needs the document and so cannot run here.
            units: None,
            findings: None,
            open_only: q.open == "1",
        },
    ))
}

pub(super) fn time_text(t: Option<Timestamp>) -> String {
    t.map(Timestamp::china_minute).unwrap_or_default()
}

/// Whether a case is overdue now (the stored flags are as of its last change).
fn overdue_now(c: &CaseRecord, at: Timestamp) -> bool {
    let passed = |t: Option<Timestamp>| t.is_some_and(|t| t < at);
    match c.case.status {
        Status::Notified => passed(c.case.response_deadline) || passed(c.case.repair_deadline),
        Status::InRepair => passed(c.case.repair_deadline),
        _ => false,
    }
}

/// The name of the unit or contractor `id`, or the id when it has none.
fn named(names: &BTreeMap<String, String>, id: &str) -> String {
    names.get(id).cloned().unwrap_or_else(|| id.to_owned())
}

#[derive(Props, Clone, PartialEq)]
struct ListProps {
    lang: Lang,
    query: ListQuery,
    project: String,
    rows: Vec<CaseRecord>,
    total: u64,
    page: u32,
    now: Timestamp,
    error: Option<String>,
    /// The project's buildings, id and name, for the building filter.
    buildings: Vec<(String, String)>,
    /// The listed units and contractors as people name them, by id.
    names: BTreeMap<String, String>,
}

#[allow(non_snake_case)] // a component
fn CaseList(p: ListProps) -> Element {
    let lang = p.lang;
    let q = &p.query;
    let pages = p.total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let summary = Msg::PageOf
        .text(lang)
        .replace("{page}", &format!("{}/{pages}", p.page))
        .replace("{total}", &p.total.to_string());
    let export = q.link(1).replacen("/cases?", "/cases/export.csv?", 1);
    let export_xlsx = q.link(1).replacen("/cases?", "/cases/export.xlsx?", 1);
    // The list only renders after its query parsed, so the order is a known one.
    let order = sorting::parse(&q.sort, lang).unwrap_or_default();
    let header = |key: SortKey| {
        let mut sorted = q.clone();
        sorted.sort = sorting::toggled(order, key);
        sorted.link(1)
    };
    rsx! {
        h1 { {Msg::Cases.text(lang)} }
        if let Some(error) = &p.error {
            p { class: "error", role: "alert", "{error}" }
        }
        form { class: "filters noprint", method: "get", action: "/cases",
            input { r#type: "hidden", name: "project", value: "{p.project}" }
            if !q.sort.is_empty() {
                input { r#type: "hidden", name: "sort", value: "{q.sort}" }
            }
            if q.open == "1" {
                input { r#type: "hidden", name: "open", value: "1" }
            }
            label { {Msg::Status.text(lang)}
                select { name: "status",
                    option { value: "", {Msg::Any.text(lang)} }
                    for s in Status::ALL {
                        option { value: s.as_str(), selected: q.status == s.as_str(),
                            {lang.pick(s.label_zh(), s.label_en())}
                        }
                    }
                }
            }
            label { {Msg::Severity.text(lang)}
                select { name: "severity",
                    option { value: "", {Msg::Any.text(lang)} }
                    for s in Severity::ALL {
                        option { value: s.as_str(), selected: q.severity == s.as_str(),
                            {lang.pick(s.label_zh(), s.label_en())}
                        }
                    }
                }
            }
            label { {Msg::Unit.text(lang)} input { name: "unit", value: "{q.unit}", size: 16 } }
            label { {Msg::Building.text(lang)}
                select { name: "building",
                    option { value: "", {Msg::Any.text(lang)} }
                    for (id, name) in p.buildings.clone() {
                        option { value: "{id}", selected: q.building == id, "{name}" }
                    }
                }
            }
            label { {Msg::Room.text(lang)}
                select { name: "room",
                    option { value: "", {Msg::Any.text(lang)} }
                    for (id, name) in labels::rooms(lang) {
                        option { value: "{id}", selected: q.room == id, "{name}" }
                    }
                }
            }
            label { {Msg::Category.text(lang)}
                select { name: "category",
                    option { value: "", {Msg::Any.text(lang)} }
                    for (id, name) in labels::categories(lang) {
                        option { value: "{id}", selected: q.category == id, "{name}" }
                    }
                }
            }
            label { {Msg::Contractor.text(lang)} input { name: "contractor", value: "{q.contractor}", size: 14 } }
            label { {Msg::Search.text(lang)} input { name: "q", value: "{q.q}", maxlength: 100 } }
            label { {Msg::Origin.text(lang)}
                select { name: "origin",
                    option { value: "", {Msg::Any.text(lang)} }
                    for o in Origin::ALL {
                        option { value: o.as_str(), selected: q.origin == o.as_str(),
                            {lang.pick(o.label_zh(), o.label_en())}
                        }
                    }
                }
            }
            label { {Msg::From.text(lang)} DateInput { lang, name: "from", value: q.from.clone(), today: p.now.date_cst(), toward: Toward::Past } }
            label { {Msg::To.text(lang)} DateInput { lang, name: "to", value: q.to.clone(), today: p.now.date_cst(), toward: Toward::Past } }
            label { {Msg::OnlyOverdue.text(lang)}
                input { r#type: "checkbox", name: "overdue", value: "1", checked: q.overdue == "1" }
            }
            button { r#type: "submit", {Msg::Filter.text(lang)} }
            a { href: "{export_xlsx}", {Msg::ExportXlsx.text(lang)} }
            " "
            a { href: "{export}", {Msg::ExportCsv.text(lang)} }
        }
        if p.rows.is_empty() {
            p { {Msg::NoCases.text(lang)} }
        } else {
            table { id: "cases",
                thead { tr {
                    th { a { href: "{header(SortKey::Unit)}", {Msg::Unit.text(lang)} {sorting::mark(order, SortKey::Unit)} } }
                    th { {Msg::Room.text(lang)} }
                    th { {Msg::Category.text(lang)} }
                    th { a { href: "{header(SortKey::Severity)}", {Msg::Severity.text(lang)} {sorting::mark(order, SortKey::Severity)} } }
                    th { {Msg::Description.text(lang)} }
                    th { a { href: "{header(SortKey::Status)}", {Msg::Status.text(lang)} {sorting::mark(order, SortKey::Status)} } }
                    th { {Msg::Contractor.text(lang)} }
                    th { a { href: "{header(SortKey::Deadline)}", {Msg::Deadline.text(lang)} {sorting::mark(order, SortKey::Deadline)} } }
                    th { a { href: "{header(SortKey::Created)}", {Msg::Recorded.text(lang)} {sorting::mark(order, SortKey::Created)} } }
                } }
                tbody {
                    for c in p.rows.iter() {
                        tr { class: if overdue_now(c, p.now) { "overdue" } else { "" },
                            td { a { href: "/archives/units/{c.unit}", {named(&p.names, c.unit.as_str())} } }
                            td { {labels::room(lang, &c.case.room)} }
                            td { {labels::category(lang, &c.case.category)} }
                            td { SeverityBadge { lang, severity: c.case.severity } }
                            td { a { href: "/cases/{c.unit}/{c.case.finding}", "{c.case.description}" } }
                            td {
                                StatusBadge { lang, status: c.case.status }
                                if overdue_now(c, p.now) { " " span { class: "pill late", {Msg::Overdue.text(lang)} } }
                            }
                            {
                                // The short name where the column is narrow, the full one a hover away.
                                let full = c.case.contractor.as_ref().map(|x| named(&p.names, x.as_str())).unwrap_or_default();
                                rsx! { td { title: "{full}", {short_name(&full)} } }
                            }
                            td { {time_text(c.case.repair_deadline)} }
                            td { {time_text(Some(c.case.created_at))} }
                        }
                    }
                }
            }
        }
        div { class: "pager noprint",
            if p.page > 1 {
                a { href: "{q.link(p.page - 1)}", {Msg::Previous.text(lang)} }
            }
            span { id: "list-total", "data-total": "{p.total}", "{summary}" }
            if u64::from(p.page) < pages {
                a { href: "{q.link(p.page + 1)}", {Msg::Next.text(lang)} }
            }
        }
    }
}

/// The query as a filter the person may run, or the sentence saying why not.
pub(super) fn parsed(
    staff: &Staff,
    query: Result<Query<ListQuery>, QueryRejection>,
    at: Timestamp,
) -> Result<(ListQuery, ProjectId, CaseFilter), String> {
    let Ok(Query(query)) = query else {
        return Err(bad(staff.lang, "?"));
    };
    let (project, filter) = filter_for(staff, &query, at)?;
    Ok((query, project, filter))
}

/// A filter that cannot run, answered with its reason.
pub(super) fn refusal(staff: &Staff, message: &str) -> Response {
    message_page(
        StatusCode::BAD_REQUEST,
        staff.lang,
        message,
        Some(staff.top_bar()),
    )
}

/// `GET /cases`.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let lang = staff.lang;
    let at = state.now();
    let (query, project, filter) = match parsed(&staff, query, at) {
        Ok(parsed) => parsed,
        Err(message) => return refusal(&staff, &message),
    };
    let filter =
        match super::readiness::with_building(&state, &staff, &project, &query.building, filter)
            .await
        {
            Ok(filter) => filter,
            Err(refused) => return refused,
        };
    let page = query.page.unwrap_or(1).clamp(1, 100_000);
    let rows = state
        .store
        .cases(
            &filter,
            Page {
                offset: (page - 1) * PAGE_SIZE,
                limit: PAGE_SIZE,
            },
        )
        .await;
    let total = state.store.case_count(&filter).await;
    let (rows, total) = match (rows, total) {
        (Ok(r), Ok(t)) => (r, t),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = ?e, "listing cases");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let loaded = match super::readiness::load(&state, &staff, &project).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let buildings = loaded
        .buildings
        .iter()
        .map(|b| (b.id.to_string(), b.name.clone()))
        .collect();
    let mut names: BTreeMap<String, String> = loaded
        .contractors
        .iter()
        .map(|c| (c.id.to_string(), c.name.clone()))
        .collect();
    for c in &rows {
        names.insert(c.unit.to_string(), labels::unit(&loaded, &c.unit));
    }
    let props = ListProps {
        lang,
        buildings,
        query,
        project: project.to_string(),
        rows,
        total,
        page,
        now: at,
        error: None,
        names,
    };
    let body = rsx! { CaseList { ..props } };
    render(lang, Msg::Cases.text(lang), Some(staff.top_bar()), body).into_response()
}
