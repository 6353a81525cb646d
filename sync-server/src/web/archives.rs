//! The archives (档案): everything the center holds about one unit, or about one owner, in one
//! place. They are views of the case records, as DESIGN.md §2 says, never a second copy.
//!
//! - `GET /archives/units/{unit}` (`?q=` searches): every complaint and defect of the unit,
//!   every step of its repairs, its claims, fines and callbacks, and every inspection round
//!   (pre-handover rounds, the owner's handover walk, re-inspections) with its counts of items
//!   passed, defective and not applicable — one table, oldest first. Read from the unit
//!   document itself, the source of truth, so nothing is missing that the document holds.
//!   The search keeps the rows whose text (the case's description, the step's note, reason or
//!   reply) contains the words typed, Chinese included.
//! - `GET /archives/owners?phone=…` or `?name=…`: every case whose owner contact (taken at
//!   intake) has that phone number or that full name, across the units of every project the
//!   person works in. Read from the case table, where the contact is projected and indexed.
//! - `GET /archives/units?unit=…`: the unit box of the owners page, sent on to the unit's page.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::finding::normalise_phone;
use plumbline_shared::doc::round::{Outcome, RoundKind};
use plumbline_shared::doc::unit::{UnitDoc, UnitRecord};
use plumbline_shared::event::EventKind;
use plumbline_shared::ids::{FindingId, ProjectId, UnitId};
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;
use serde::Deserialize;

use super::case_load::{load_project, not_found};
use super::event_text::event_detail;
use super::i18n::{Lang, Msg};
use super::layout::{internal, message_page, render};
use super::session::Staff;
use super::when::beijing;
use crate::state::AppState;
use crate::store::{CaseFilter, CaseRecord, Page};
use plumbline_shared::money::yuan;

/// Longest search text, in characters (as the case list's).
const MAX_SEARCH_CHARS: usize = 100;
/// Most cases an owner's page lists.
const MAX_OWNER_CASES: u32 = 500;

/// What kind of record a row of a unit's archive is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A complaint or a defect found: the case was recorded.
    Complaint,
    /// A step of the repair: notices, the contractor's answers, acceptance, emergency repair.
    Repair,
    /// An owner's claim.
    Claim,
    /// A fine slip.
    Fine,
    /// A callback to the owner.
    Callback,
    /// An inspection round.
    Inspection,
    /// Anything else on a case's timeline (evidence, merging, closing).
    Other,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Complaint,
        Kind::Repair,
        Kind::Claim,
        Kind::Fine,
        Kind::Callback,
        Kind::Inspection,
        Kind::Other,
    ];

    fn label(self) -> Msg {
        match self {
            Kind::Complaint => Msg::ArchiveComplaint,
            Kind::Repair => Msg::ArchiveRepair,
            Kind::Claim => Msg::ArchiveClaim,
            Kind::Fine => Msg::ArchiveFine,
            Kind::Callback => Msg::ArchiveCallback,
            Kind::Inspection => Msg::ArchiveInspection,
            Kind::Other => Msg::ArchiveOther,
        }
    }

    fn of(kind: &EventKind) -> Kind {
        match kind {
            EventKind::Recorded { .. } => Kind::Complaint,
            EventKind::NoticeIssued { .. }
            | EventKind::NoticeRefused { .. }
            | EventKind::ContractorResponded { .. }
            | EventKind::Disputed { .. }
            | EventKind::Reassigned { .. }
            | EventKind::RepairReported { .. }
            | EventKind::AcceptancePassed { .. }
            | EventKind::AcceptanceFailed { .. }
            | EventKind::NoticeReturned { .. }
            | EventKind::EmergencyRepairStarted { .. }
            | EventKind::EmergencyRepairFinished { .. } => Kind::Repair,
            EventKind::ClaimRecorded { .. }
            | EventKind::ClaimAgreed { .. }
            | EventKind::ClaimPaid { .. } => Kind::Claim,
            EventKind::FineDrafted { .. }
            | EventKind::FineApproved { .. }
            | EventKind::FineVoided { .. } => Kind::Fine,
            EventKind::Callback { .. } => Kind::Callback,
            _ => Kind::Other,
        }
    }
}

/// One row of a unit's archive.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// When (device time).
    pub at: Timestamp,
    /// What kind of record.
    pub kind: Kind,
    /// What happened (an event's or a round's name).
    pub title: String,
    /// Its text: a description, a note, a reason, amounts, a round's counts.
    pub detail: String,
    /// The case it belongs to and the case's description.
    pub case: Option<(FindingId, String)>,
    /// Tells rows of the same millisecond apart, so the order never changes between views.
    tie: String,
}

impl Entry {
    /// Whether the search text is in the row's detail or its case's description.
    fn matches(&self, text: &str) -> bool {
        self.detail.contains(text)
            || self.title.contains(text)
            || self.case.as_ref().is_some_and(|(_, d)| d.contains(text))
    }
}

fn round_label(kind: RoundKind, number: u32, lang: Lang) -> String {
    match (kind, lang) {
        (RoundKind::PreHandover, Lang::Zh) => format!("交付前验收 第 {number} 轮"),
        (RoundKind::PreHandover, Lang::En) => format!("Pre-handover inspection, round {number}"),
        (RoundKind::HandoverWalk, Lang::Zh) => format!("业主验房 第 {number} 次"),
        (RoundKind::HandoverWalk, Lang::En) => format!("Owner's handover walk {number}"),
        (RoundKind::Reinspection, Lang::Zh) => format!("复验 第 {number} 次"),
        (RoundKind::Reinspection, Lang::En) => format!("Re-inspection {number}"),
    }
}

/// Every row of a unit's archive, oldest first.
pub fn entries(record: &UnitRecord, project: &Project, lang: Lang) -> Vec<Entry> {
    let mut out = Vec::new();
    for f in record.findings.values() {
        let case = Some((f.id.clone(), f.description.clone()));
        let mut seen = std::collections::BTreeSet::new();
        for e in &f.events {
            if !seen.insert(e.id.clone()) {
                continue;
            }
            let detail = match &e.kind {
                // The case's own words, and where it came from.
                EventKind::Recorded { origin } => format!(
                    "{} · {}",
                    lang.pick(origin.label_zh(), origin.label_en()),
                    f.description
                ),
                other => event_detail(other, lang, &project.contractors),
            };
            out.push(Entry {
                at: e.at,
                kind: Kind::of(&e.kind),
                title: lang.pick(e.kind.label_zh(), e.kind.label_en()).to_owned(),
                detail,
                case: case.clone(),
                tie: format!("{}/{}", f.id, e.id),
            });
        }
    }
    for r in record.rounds.values() {
        let count = |o: Outcome| r.results.values().filter(|x| x.outcome == o).count();
        let detail = format!(
            "{} {} · {} {} · {} {}",
            Msg::RoundPass.text(lang),
            count(Outcome::Pass),
            Msg::RoundDefect.text(lang),
            count(Outcome::Defect),
            Msg::RoundNotApplicable.text(lang),
            count(Outcome::NotApplicable),
        );
        out.push(Entry {
            at: r.started_at,
            kind: Kind::Inspection,
            title: round_label(r.kind, r.number, lang),
            detail,
            case: None,
            tie: format!("round/{}", r.id),
        });
    }
    out.sort_by(|a, b| (a.at, &a.tie).cmp(&(b.at, &b.tie)));
    out
}

/// The search box's parameter.
#[derive(Debug, Default, Deserialize)]
pub struct ArchiveQuery {
    /// Text to find in descriptions and notes.
    #[serde(default)]
    q: String,
}

#[derive(Props, Clone, PartialEq)]
struct UnitArchiveProps {
    lang: Lang,
    unit: UnitId,
    /// The unit as people name it.
    unit_name: String,
    project: String,
    q: String,
    /// Rows per kind, before the search.
    totals: Vec<(Kind, usize)>,
    rows: Vec<Entry>,
}

#[allow(non_snake_case)] // a component
fn UnitArchive(p: UnitArchiveProps) -> Element {
    let lang = p.lang;
    rsx! {
        h1 { {Msg::UnitArchive.text(lang)} " · {p.unit_name}" }
        p { id: "archive-totals", "{p.project} · "
            for (kind, n) in p.totals.iter() {
                span { {kind.label().text(lang)} " {n}　" }
            }
        }
        form { class: "filters noprint", method: "get", action: "/archives/units/{p.unit}",
            label { {Msg::ArchiveSearch.text(lang)}
                input { name: "q", value: "{p.q}", maxlength: MAX_SEARCH_CHARS as i64 }
            }
            button { r#type: "submit", {Msg::Filter.text(lang)} }
        }
        if p.rows.is_empty() {
            p { {Msg::ArchiveEmpty.text(lang)} }
        } else {
            table { id: "archive",
                thead { tr {
                    th { {Msg::When.text(lang)} }
                    th { {Msg::ArchiveKind.text(lang)} }
                    th { {Msg::Step.text(lang)} }
                    th { {Msg::ArchiveDetail.text(lang)} }
                    th { {Msg::Cases.text(lang)} }
                } }
                tbody {
                    for e in p.rows.iter() {
                        tr { class: "archive-row",
                            td { {beijing(e.at)} }
                            td { {e.kind.label().text(lang)} }
                            td { "{e.title}" }
                            td { "{e.detail}" }
                            td {
                                if let Some((id, description)) = &e.case {
                                    a { href: "/cases/{p.unit}/{id}", "{description}" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A search text the pages accept, or the sentence saying why not.
fn search_text(q: &str, lang: Lang) -> Result<String, String> {
    let q = q.trim();
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(lang
            .pick(
                "搜索内容最多 100 字。",
                "The search may have at most 100 characters.",
            )
            .to_owned());
    }
    Ok(q.to_owned())
}

fn refusal(staff: &Staff, status: StatusCode, text: &str) -> Response {
    message_page(status, staff.lang, text, Some(staff.top_bar()))
}

/// `GET /archives/units/{unit}`.
pub async fn unit(
    State(state): State<AppState>,
    staff: Staff,
    Path(unit): Path<String>,
    query: Result<Query<ArchiveQuery>, QueryRejection>,
) -> Response {
    let lang = staff.lang;
    let Ok(Query(query)) = query else {
        let m = lang.pick("搜索条件无效。", "The search is not valid.");
        return refusal(&staff, StatusCode::BAD_REQUEST, m);
    };
    let q = match search_text(&query.q, lang) {
        Ok(q) => q,
        Err(m) => return refusal(&staff, StatusCode::BAD_REQUEST, &m),
    };
    let Ok(unit) = UnitId::new(unit.as_str()) else {
        return not_found(&staff);
    };
    let doc_id = DocId::Unit(unit.clone());
    let record = {
        let mut guard = state.docs.lock(&doc_id).await;
        match state.docs.get(&mut guard, &doc_id).await {
            Ok(Some(loaded)) => UnitDoc::from_trusted(loaded.doc.clone()).read(),
            Ok(None) => return not_found(&staff),
            Err(e) => return internal(e),
        }
    };
    let record = match record {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    // Contractors have no archive: it holds other companies' cases and owners' complaints.
    match staff.role_in(&record.project) {
        Some(Role::Contractor) | None => return not_found(&staff),
        Some(_) => {}
    }
    let project = match load_project(&state, &record.project).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let all = entries(&record, &project, lang);
    let totals = Kind::ALL
        .into_iter()
        .map(|k| (k, all.iter().filter(|e| e.kind == k).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let rows = if q.is_empty() {
        all
    } else {
        all.into_iter().filter(|e| e.matches(&q)).collect()
    };
    let props = UnitArchiveProps {
        lang,
        unit_name: super::labels::unit(&project, &unit),
        unit: unit.clone(),
        project: super::labels::project(&project, lang).to_owned(),
        q,
        totals,
        rows,
    };
    let title = format!("{} · {}", Msg::UnitArchive.text(lang), props.unit_name);
    let body = rsx! { UnitArchive { ..props } };
    render(lang, &title, Some(staff.top_bar()), body).into_response()
}

/// The unit box's parameter.
#[derive(Debug, Default, Deserialize)]
pub struct UnitBox {
    #[serde(default)]
    unit: String,
}

/// `GET /archives/units?unit=…`: on to that unit's archive.
pub async fn unit_box(staff: Staff, query: Result<Query<UnitBox>, QueryRejection>) -> Response {
    match query.map(|Query(q)| UnitId::new(q.unit.trim())) {
        Ok(Ok(unit)) => Redirect::to(&format!("/archives/units/{unit}")).into_response(),
        _ => {
            let m = staff.lang.pick(
                "房号无效，请按项目的房号填写（如 licheng-1-1201）。",
                "That unit id is not valid; type it as the project names it.",
            );
            refusal(&staff, StatusCode::BAD_REQUEST, m)
        }
    }
}

/// The owner search's parameters.
#[derive(Debug, Default, Deserialize)]
pub struct OwnerQuery {
    /// A phone number as typed.
    #[serde(default)]
    phone: String,
    /// A full name.
    #[serde(default)]
    name: String,
}

#[derive(Props, Clone, PartialEq)]
struct OwnerArchiveProps {
    lang: Lang,
    /// Whether the person manages a project (and so reads the access log).
    manager: bool,
    phone: String,
    name: String,
    searched: bool,
    rows: Vec<OwnerCase>,
}

/// One of the owner's cases, with what came of it: the repair and the money.
#[derive(Debug, Clone, PartialEq)]
struct OwnerCase {
    record: CaseRecord,
    /// The unit as people name it.
    unit_name: String,
    /// The notice, its contractor and where the repair stands.
    repair: String,
    /// The owner's claims: claimed, agreed, paid, remaining.
    claims: String,
    /// The last callback's level.
    callback: String,
}

/// What came of the case `record`, read from its document.
async fn owner_case(state: &AppState, record: CaseRecord, lang: Lang) -> anyhow::Result<OwnerCase> {
    let loaded = super::case_load::load(state, &record.unit, &record.case.finding)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let Some(loaded) = loaded else {
        return Ok(OwnerCase {
            unit_name: record.unit.to_string(),
            record,
            repair: String::new(),
            claims: String::new(),
            callback: String::new(),
        });
    };
    let st = &loaded.state;
    let repair = st
        .notice
        .as_ref()
        .map(|n| {
            let company = loaded
                .project
                .contractors
                .iter()
                .find(|c| c.id == n.contractor)
                .map_or_else(|| n.contractor.to_string(), |c| c.name.clone());
            let stage = match n.accepted_at {
                Some(at) => format!("{} {}", lang.pick("验收通过", "accepted"), beijing(at)),
                None => lang
                    .pick(st.status.label_zh(), st.status.label_en())
                    .to_owned(),
            };
            format!("{} · {company} · {stage}", n.notice_no)
        })
        .unwrap_or_default();
    let claims = st
        .claims
        .iter()
        .map(|c| {
            let mut parts = vec![format!(
                "{} {} {}",
                c.damage,
                lang.pick("索赔", "claimed"),
                yuan(c.claimed_fen)
            )];
            if let Some(agreed) = c.agreed_fen {
                parts.push(format!("{} {}", lang.pick("确认", "agreed"), yuan(agreed)));
            }
            if let Some(paid) = c.paid_fen {
                parts.push(format!("{} {}", lang.pick("已付", "paid"), yuan(paid)));
            }
            if let Some(left) = c.remaining_fen().filter(|l| *l > 0 && c.paid_fen.is_some()) {
                parts.push(format!("{} {}", lang.pick("尚余", "remaining"), yuan(left)));
            }
            parts.join(" · ")
        })
        .collect::<Vec<_>>()
        .join(lang.pick("；", "; "));
    let callback = st
        .callbacks
        .last()
        .map(|c| {
            format!(
                "{} {}",
                lang.pick(c.level.label_zh(), c.level.label_en()),
                beijing(c.at)
            )
        })
        .unwrap_or_default();
    Ok(OwnerCase {
        unit_name: super::labels::unit(&loaded.project, &record.unit),
        record,
        repair,
        claims,
        callback,
    })
}

#[allow(non_snake_case)] // a component
fn OwnerArchive(p: OwnerArchiveProps) -> Element {
    let lang = p.lang;
    rsx! {
        h1 { {Msg::OwnerArchive.text(lang)} }
        p { {Msg::OwnerSearchHelp.text(lang)} " " {Msg::ContactLookRecorded.text(lang)} }
        if p.manager {
            p { class: "noprint", a { id: "contact-log-link", href: "/archives/contact-log", {Msg::ContactLog.text(lang)} } }
        }
        form { class: "filters noprint", method: "get", action: "/archives/owners",
            label { {Msg::OwnerPhone.text(lang)} input { r#type: "tel", name: "phone", value: "{p.phone}", maxlength: 24 } }
            label { {Msg::OwnerName.text(lang)} input { name: "name", value: "{p.name}", maxlength: 40 } }
            button { r#type: "submit", {Msg::Filter.text(lang)} }
        }
        form { class: "filters noprint", method: "get", action: "/archives/units",
            label { {Msg::Unit.text(lang)} input { name: "unit", size: 20 } }
            button { r#type: "submit", {Msg::OpenUnitArchive.text(lang)} }
        }
        if p.searched {
            if p.rows.is_empty() {
                p { {Msg::NoCases.text(lang)} }
            } else {
                table { id: "owner-cases",
                    thead { tr {
                        th { {Msg::Unit.text(lang)} }
                        th { {Msg::Description.text(lang)} }
                        th { {Msg::Origin.text(lang)} }
                        th { {Msg::Status.text(lang)} }
                        th { {Msg::Recorded.text(lang)} }
                        th { {lang.pick("整改", "Repair")} }
                        th { {Msg::Claims.text(lang)} }
                        th { {lang.pick("回访", "Callback")} }
                    } }
                    tbody {
                        for o in p.rows.iter() {
                            tr { class: "owner-case",
                                td { a { href: "/archives/units/{o.record.unit}", "{o.unit_name}" } }
                                td { a { href: "/cases/{o.record.unit}/{o.record.case.finding}", "{o.record.case.description}" } }
                                td { {lang.pick(o.record.case.origin.label_zh(), o.record.case.origin.label_en())} }
                                td { {lang.pick(o.record.case.status.label_zh(), o.record.case.status.label_en())} }
                                td { {beijing(o.record.case.created_at)} }
                                td { class: "owner-repair", "{o.repair}" }
                                td { class: "owner-claims", "{o.claims}" }
                                td { class: "owner-callback", "{o.callback}" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /archives/owners`: the search form, and with `phone` or `name` the owner's cases.
pub async fn owners(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<OwnerQuery>, QueryRejection>,
) -> Response {
    let lang = staff.lang;
    let Ok(Query(query)) = query else {
        let m = lang.pick("搜索条件无效。", "The search is not valid.");
        return refusal(&staff, StatusCode::BAD_REQUEST, m);
    };
    let projects: Vec<ProjectId> = staff
        .memberships
        .iter()
        .filter(|m| m.role != Role::Contractor)
        .map(|m| m.project.clone())
        .collect();
    if projects.is_empty() {
        return refusal(&staff, StatusCode::FORBIDDEN, Msg::Forbidden.text(lang));
    }
    let phone = match query.phone.trim() {
        "" => None,
        typed => match normalise_phone(typed) {
            Ok(digits) => Some(digits),
            Err(_) => {
                let m = lang.pick(
                    "联系电话无效：请填写手机号（1 开头的 11 位数字）或固定电话。",
                    "The phone number is not valid: enter a mobile number (11 digits starting \
                     with 1) or a landline.",
                );
                return refusal(&staff, StatusCode::BAD_REQUEST, m);
            }
        },
    };
    let name = query.name.trim();
    if name.chars().count() > plumbline_shared::doc::finding::MAX_OWNER_NAME_CHARS {
        let m = lang.pick(
            "业主姓名最多 40 个字。",
            "The owner's name may have at most 40 characters.",
        );
        return refusal(&staff, StatusCode::BAD_REQUEST, m);
    }
    let name = (!name.is_empty()).then(|| name.to_owned());
    let searched = phone.is_some() || name.is_some();
    let rows = if searched {
        let filter = CaseFilter {
            projects,
            owner_phone: phone,
            owner_name: name,
            ..CaseFilter::default()
        };
        let page = Page {
            offset: 0,
            limit: MAX_OWNER_CASES,
        };
        let records = match state.store.cases(&filter, page).await {
            Ok(rows) => rows,
            Err(e) => return internal(e),
        };
        // A search by number or name tells whose complaints these are: signed for like a look
        // at the contact itself.
        if let Err(e) = super::owner_contact::record_search(&state, &staff, &records).await {
            return internal(e);
        }
        let mut rows = Vec::with_capacity(records.len());
        for record in records {
            match owner_case(&state, record, lang).await {
                Ok(row) => rows.push(row),
                Err(e) => return internal(e),
            }
        }
        rows
    } else {
        Vec::new()
    };
    let props = OwnerArchiveProps {
        lang,
        manager: staff.memberships.iter().any(|m| m.role == Role::Manager),
        phone: query.phone.trim().to_owned(),
        name: query.name.trim().to_owned(),
        searched,
        rows,
    };
    let body = rsx! { OwnerArchive { ..props } };
    render(
        lang,
        Msg::OwnerArchive.text(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}
