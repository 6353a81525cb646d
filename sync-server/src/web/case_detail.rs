//! `GET /cases/{unit}/{finding}`: one case — what, where, photos, the timeline with device
//! and server times, conflicting values, anomalies — and the workflow's actions on it.
//!
//! Each action is an event appended to the unit document for the signed-in person (through
//! `unit_write::edit_unit`, the same path as a contractor's action), so it reaches the devices
//! on their next sync. Whether the person's role may take it is checked here, on the server,
//! with the same rule the sync applies (`EventKind::allows`).

use axum::Form;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use dioxus::prelude::*;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::event::{CallbackChannel, Event, EventKind, Satisfaction};
use plumbline_shared::ids::{
    BlobHash, ContractorId, DeviceId, EventId, FindingId, ProjectId, UnitId,
};
use plumbline_shared::project::{Contractor, Project};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::time::{DAY_MS, Timestamp};
use plumbline_shared::workflow::CaseState;
use serde::Deserialize;

use super::case_actions::{MAX_TEXT_CHARS, Step, StepForm};
use super::claims::{ClaimSection, ClaimSectionProps, claim_views};
use super::fines::{
    FineSection, FineSectionProps, display_names, fine_views, penalty_choices, signers,
};
use super::i18n::{Lang, Msg};
use super::labels;
use super::layout::{internal, message_page, render};
use super::merge::{MergeSection, MergeSectionProps, merge_section};
use super::reassign::{ReassignSection, ReassignSectionProps};
use super::session::Staff;
use super::told::{Told, ToldRow, told};
use crate::error::ApiError;
use crate::state::AppState;
use crate::unit_write::edit_unit;

/// Everything the page shows, read under the document's lock.
pub(super) struct Loaded {
    pub(super) project: Project,
    pub(super) finding: Finding,
    pub(super) state: CaseState,
    conflicts: Vec<plumbline_shared::doc::conflict::FieldConflict>,
}

/// The case as it stands now, with its project; `None` when the unit or the finding does not
/// exist.
pub(super) async fn load(
    state: &AppState,
    unit: &UnitId,
    finding: &FindingId,
) -> Result<Option<Loaded>, ApiError> {
    let doc_id = DocId::Unit(unit.clone());
    let unit_doc = {
        let mut guard = state.docs.lock(&doc_id).await;
        match state.docs.get(&mut guard, &doc_id).await? {
            Some(loaded) => UnitDoc::from_trusted(loaded.doc.clone()),
            None => return Ok(None),
        }
    };
    let project_id = unit_doc
        .project_id()
        .map_err(|e| ApiError::Internal(e.into()))?;
    let Ok(f) = unit_doc.finding(finding) else {
        return Ok(None);
    };
    let conflicts = unit_doc
        .conflicts(finding)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let project = load_project(state, &project_id).await?;
    Ok(Some(Loaded {
        state: f.state(state.now(), &state.settings_of(&project_id)),
        finding: f,
        project,
        conflicts,
    }))
}

pub(super) async fn load_project(state: &AppState, id: &ProjectId) -> Result<Project, ApiError> {
    let doc_id = DocId::Project(id.clone());
    let mut guard = state.docs.lock(&doc_id).await;
    let Some(loaded) = state.docs.get(&mut guard, &doc_id).await? else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "project document {id} is missing"
        )));
    };
    let bytes = loaded.doc.save();
    plumbline_shared::doc::project::ProjectDoc::load(&bytes)
        .and_then(|d| d.project())
        .map_err(|e| ApiError::Internal(e.into()))
}

/// Beijing time, to the minute.
pub fn beijing(t: Timestamp) -> String {
    t.to_datetime()
        .map(|d| {
            d.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is valid"))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

#[derive(Props, Clone, PartialEq)]
struct DetailProps {
    lang: Lang,
    unit: UnitId,
    finding: Finding,
    state: CaseState,
    contractors: Vec<Contractor>,
    arrived: Vec<BlobHash>,
    conflicts: Vec<plumbline_shared::doc::conflict::FieldConflict>,
    csrf: String,
    /// The steps of the step form the person's role may record.
    steps: Vec<Step>,
    /// The fine slips and their actions.
    fines: FineSectionProps,
    /// The owner's claims and their actions.
    claims: ClaimSectionProps,
    /// Probable duplicates, what was merged, and the merge action.
    merge: MergeSectionProps,
    /// The reassignment form, when the case may go to another contractor and the person may
    /// send it there.
    reassign: Option<ReassignSectionProps>,
    /// Its reminders and escalations, shown among the timeline's events.
    told: Vec<Told>,
}

/// A row of the timeline: an event of the case, or a reminder about it.
enum TimelineRow<'a> {
    Event(&'a Event),
    Told(&'a Told),
}

#[allow(non_snake_case)] // a component
fn CaseDetail(p: DetailProps) -> Element {
    let lang = p.lang;
    let f = &p.finding;
    let st = &p.state;
    let base = format!("/cases/{}/{}", p.unit, f.id);
    let mut rows: Vec<TimelineRow<'_>> = f
        .events
        .iter()
        .map(TimelineRow::Event)
        .chain(p.told.iter().map(TimelineRow::Told))
        .collect();
    rows.sort_by_key(|r| match r {
        TimelineRow::Event(e) => (e.at, 0, e.id.to_string()),
        TimelineRow::Told(t) => (t.at, 1, t.kind.as_str().to_owned()),
    });
    rsx! {
        h1 { a { href: "/archives/units/{p.unit}", title: Msg::UnitArchive.text(lang), "{p.unit}" } " · {f.description}" }
        table { class: "facts",
            tr { th { {Msg::Status.text(lang)} } td { id: "status", {lang.pick(st.status.label_zh(), st.status.label_en())} } }
            tr { th { {Msg::Room.text(lang)} } td { {labels::room(lang, f.room.as_str())} } }
            tr { th { {Msg::Item.text(lang)} } td { {labels::item(lang, f.item.as_str())} } }
            tr { th { {Msg::Category.text(lang)} } td { {labels::category(lang, f.category.as_str())} } }
            tr { th { {Msg::Severity.text(lang)} } td { {lang.pick(f.severity.label_zh(), f.severity.label_en())} } }
            tr { th { {Msg::Contractor.text(lang)} } td { {st.contractor.as_ref().map(|c| c.to_string()).unwrap_or_default()} } }
            tr { th { {Msg::Origin.text(lang)} } td { {lang.pick(f.origin.label_zh(), f.origin.label_en())} } }
            if let Some(o) = &f.owner {
                tr { th { {Msg::Owner.text(lang)} } td { id: "owner", "{o.name} · " a { href: "tel:{o.phone}", "{o.phone}" } } }
            }
            if let Some(n) = &st.notice {
                tr { th { {Msg::NoticeNo.text(lang)} } td { id: "notice-no", "{n.notice_no} " a { href: "{base}/notice", {Msg::PrintNotice.text(lang)} } } }
                tr { th { {Msg::ResponseDue.text(lang)} } td { class: if st.response_overdue { "overdue" } else { "" }, {beijing(n.response_deadline)} } }
                tr { th { {Msg::Deadline.text(lang)} } td { class: if st.repair_overdue { "overdue" } else { "" }, {beijing(n.repair_deadline)} } }
            }
        }
        h2 { {Msg::Photos.text(lang)} }
        ul { class: "photos",
            for (hash, ev) in f.evidence.iter() {
                li {
                    // The list shows the thumbnail (about 20 KB) where it has arrived; the link
                    // opens the full-size photo.
                    {
                        let thumb = ev.thumbnail.as_ref().map(|t| &t.hash).filter(|t| p.arrived.contains(*t));
                        let full = p.arrived.contains(hash);
                        let src = thumb.unwrap_or(hash);
                        rsx! {
                            if full {
                                a { href: "/photos/{hash}", target: "_blank", img { src: "/photos/{src}", alt: "{hash}", width: 240 } }
                            } else if let Some(t) = thumb {
                                img { src: "/photos/{t}", alt: "{hash}", width: 240 }
                                span { class: "missing", " " {Msg::NotArrived.text(lang)} }
                            } else {
                                span { class: "missing", "{hash} · " {Msg::NotArrived.text(lang)} }
                            }
                        }
                    }
                }
            }
        }
        if !p.conflicts.is_empty() {
            h2 { {Msg::Conflicts.text(lang)} }
            ul {
                for c in p.conflicts.iter() {
                    li { "{c.field:?}: " {c.values.iter().map(|v| v.value.clone()).collect::<Vec<_>>().join(" / ")} }
                }
            }
        }
        if !st.anomalies.is_empty() {
            h2 { {Msg::Anomalies.text(lang)} }
            ul {
                for a in st.anomalies.iter() {
                    li { "{a.detail}" }
                }
            }
        }
        h2 { {Msg::Timeline.text(lang)} }
        table { id: "timeline",
            thead { tr {
                th { {Msg::DeviceTime.text(lang)} }
                th { {Msg::ServerTime.text(lang)} }
                th { {Msg::Who.text(lang)} }
                th { "" }
            } }
            tbody {
                for row in rows {
                    match row {
                        TimelineRow::Event(e) => rsx! {
                            tr {
                                td { {beijing(e.at)} }
                                td { {f.receipts.get(&e.id).map(|r| beijing(r.received_at)).unwrap_or_default()} }
                                td { "{e.actor.user} ({lang.pick(e.actor.role.label_zh(), e.actor.role.label_en())})" }
                                td { {lang.pick(e.kind.label_zh(), e.kind.label_en())} }
                            }
                        },
                        TimelineRow::Told(t) => rsx! { ToldRow { lang, told: t.clone() } },
                    }
                }
            }
        }
        FineSection { ..p.fines.clone() }
        ClaimSection { ..p.claims.clone() }
        MergeSection { ..p.merge.clone() }
        if let Some(reassign) = &p.reassign {
            ReassignSection { ..reassign.clone() }
        }
        section { class: "noprint",
            if !p.steps.is_empty() {
                h2 { {Msg::RecordStep.text(lang)} }
                form { method: "post", action: "{base}/step", id: "step-form",
                    input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                    label { {Msg::Step.text(lang)} " "
                        select { name: "step", required: true,
                            for s in p.steps.iter() {
                                option { value: "{s.code()}", {s.label(lang)} }
                            }
                        }
                    }
                    " "
                    label { {Msg::StepText.text(lang)} " "
                        input { name: "text", maxlength: MAX_TEXT_CHARS as i64, size: 40 }
                    }
                    " "
                    label { {Msg::CostYuan.text(lang)} " " input { name: "cost", inputmode: "decimal", size: 10 } }
                    " "
                    label { {Msg::EvidenceReason.text(lang)} " "
                        select { name: "evidence",
                            option { value: "reshoot", {lang.pick("重拍", "Re-shoot")} }
                            option { value: "wrong_room", {lang.pick("房间不符", "Wrong room")} }
                            option { value: "unclear", {lang.pick("不清晰", "Unclear")} }
                            option { value: "other", {lang.pick("其他", "Other")} }
                        }
                    }
                    " "
                    label { input { r#type: "checkbox", name: "not_a_defect", value: "1" } " " {Msg::NotADefect.text(lang)} }
                    " "
                    button { r#type: "submit", {Msg::Save.text(lang)} }
                }
            }
            h2 { {Msg::IssueNotice.text(lang)} }
            form { method: "post", action: "{base}/notice",
                input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                label { {Msg::Contractor.text(lang)} " "
                    select { name: "contractor", required: true,
                        for c in p.contractors.iter() {
                            option { value: "{c.id}", "{c.name}" }
                        }
                    }
                }
                " "
                label { {Msg::RepairDays.text(lang)} " "
                    input { r#type: "number", name: "days", min: 1, max: 60, value: 3, required: true }
                }
                " "
                button { r#type: "submit", {Msg::IssueNotice.text(lang)} }
            }
            h2 { {Msg::RecordCallback.text(lang)} }
            form { method: "post", action: "{base}/callback",
                input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                label { {Msg::Channel.text(lang)} " "
                    select { name: "channel",
                        option { value: "phone", {Msg::Phone.text(lang)} }
                        option { value: "visit", {Msg::Visit.text(lang)} }
                    }
                }
                " "
                label { {Msg::Satisfaction.text(lang)} " "
                    select { name: "level",
                        for s in Satisfaction::ALL {
                            option { value: "{level_code(s)}", {lang.pick(s.label_zh(), s.label_en())} }
                        }
                    }
                }
                " "
                label { {Msg::Note.text(lang)} " " input { name: "note", maxlength: 500 } }
                " "
                button { r#type: "submit", {Msg::Save.text(lang)} }
            }
        }
    }
}

fn level_code(s: Satisfaction) -> &'static str {
    match s {
        Satisfaction::VerySatisfied => "very_satisfied",
        Satisfaction::Satisfied => "satisfied",
        Satisfaction::BasicallySatisfied => "basically_satisfied",
        Satisfaction::Dissatisfied => "dissatisfied",
    }
}

pub(super) fn ids(unit: &str, finding: &str) -> Option<(UnitId, FindingId)> {
    Some((UnitId::new(unit).ok()?, FindingId::new(finding).ok()?))
}

/// The first checks of every action: the form's CSRF token, then the case's ids from the path.
#[allow(clippy::result_large_err)] // the error is the page to answer with, made once per request
pub(super) fn checked_post(
    staff: &Staff,
    csrf: &str,
    unit: &str,
    finding: &str,
) -> Result<(UnitId, FindingId), Response> {
    if let Some(refused) = staff.csrf_refusal(csrf) {
        return Err(refused);
    }
    ids(unit, finding).ok_or_else(|| not_found(staff))
}

/// The page that says what is wrong with what the person sent (nothing was written).
pub(super) fn bad_request(staff: &Staff, text: &str) -> Response {
    message_page(
        StatusCode::BAD_REQUEST,
        staff.lang,
        text,
        Some(staff.top_bar()),
    )
}

pub(super) fn not_found(staff: &Staff) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        staff.lang,
        Msg::NotFound.text(staff.lang),
        Some(staff.top_bar()),
    )
}

/// `GET /cases/{unit}/{finding}`.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding)): Path<(String, String)>,
) -> Response {
    let Some((unit, finding)) = ids(&unit, &finding) else {
        return not_found(&staff);
    };
    let loaded = match load(&state, &unit, &finding).await {
        Ok(Some(l)) => l,
        Ok(None) => return not_found(&staff),
        Err(e) => return internal(e),
    };
    let role = match staff.role_in(&loaded.project.id) {
        Some(r) if r != Role::Contractor => r,
        _ => return not_found(&staff),
    };
    let mut arrived = Vec::new();
    let mut blobs: Vec<BlobHash> = Vec::new();
    for (hash, ev) in &loaded.finding.evidence {
        blobs.push(hash.clone());
        blobs.extend(ev.thumbnail.as_ref().map(|t| t.hash.clone()));
    }
    for hash in &blobs {
        match state.store.blob_exists(hash).await {
            Ok(true) => arrived.push(hash.clone()),
            Ok(false) => {}
            Err(e) => return internal(e),
        }
    }
    let names = match display_names(&state, signers(&loaded.finding)).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let base = format!("/cases/{unit}/{finding}");
    let fines = FineSectionProps::new(
        staff.lang,
        base.clone(),
        staff.csrf.clone(),
        role,
        fine_views(&loaded.finding, &loaded.state, &loaded.project, &names),
        penalty_choices(&loaded.state, &loaded.project),
    );
    let claims = ClaimSectionProps::new(
        staff.lang,
        base,
        staff.csrf.clone(),
        role,
        claim_views(&loaded.finding, &loaded.state, &names),
    );
    let merge = match merge_section(&state, &staff, role, &unit, &loaded.finding).await {
        Ok(m) => m,
        Err(e) => return internal(e),
    };
    let reassign_probe = EventKind::Reassigned {
        notice_no: String::new(),
        contractor: ContractorId::new("probe").expect("a valid id"),
        repair_deadline: Timestamp(0),
    };
    let reassign = reassign_probe
        .allows(role)
        .then(|| {
            ReassignSectionProps::new(
                staff.lang,
                format!("/cases/{unit}/{finding}"),
                staff.csrf.clone(),
                &loaded.state,
                &loaded.project.contractors,
                state.now(),
            )
        })
        .flatten();
    let told = match told(&state, &finding).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let props = DetailProps {
        lang: staff.lang,
        unit,
        state: loaded.state,
        contractors: loaded.project.contractors.clone(),
        arrived,
        conflicts: loaded.conflicts,
        csrf: staff.csrf.clone(),
        finding: loaded.finding,
        steps: Step::ALL.into_iter().filter(|s| s.allowed(role)).collect(),
        fines,
        claims,
        merge,
        reassign,
        told,
    };
    let title = props.finding.description.clone();
    let body = rsx! { CaseDetail { ..props } };
    render(staff.lang, &title, Some(staff.top_bar()), body).into_response()
}

/// The automerge actor of a person's office web actions: one per person and server instance,
/// so that two servers never write as the same actor.
pub(super) fn web_device(state: &AppState, staff: &Staff) -> Result<DeviceId, ApiError> {
    let instance = state.server.device.as_str().trim_start_matches("server-");
    let short: String = instance.chars().take(8).collect();
    DeviceId::new(format!("web-{short}-{}", staff.user))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("web device id: {e}")))
}

/// The project of a unit and the person's role in it; `Err` is the page to answer with.
pub(super) async fn context(
    state: &AppState,
    staff: &Staff,
    unit: &UnitId,
) -> Result<(Project, Role), Response> {
    let doc_id = DocId::Unit(unit.clone());
    let project_id = {
        let mut guard = state.docs.lock(&doc_id).await;
        match state.docs.get(&mut guard, &doc_id).await {
            Ok(Some(loaded)) => loaded.project.clone(),
            Ok(None) => return Err(not_found(staff)),
            Err(e) => return Err(internal(e)),
        }
    };
    let Some(role) = staff.role_in(&project_id) else {
        return Err(not_found(staff));
    };
    let project = load_project(state, &project_id).await.map_err(internal)?;
    Ok((project, role))
}

/// Refuses `kind` when `role` may not record it (the rule the sync applies too).
pub(super) fn role_refusal(staff: &Staff, role: Role, kind: &EventKind) -> Option<Response> {
    if kind.allows(role) {
        return None;
    }
    tracing::warn!(user = %staff.user, kind = kind.name(), "an office action refused for the role");
    let lang = staff.lang;
    Some(message_page(
        StatusCode::FORBIDDEN,
        lang,
        Msg::Forbidden.text(lang),
        Some(staff.top_bar()),
    ))
}

/// Appends `kind` for the signed-in person (role already checked), then back to the case.
async fn append(
    state: &AppState,
    staff: &Staff,
    unit: &UnitId,
    finding: &FindingId,
    role: Role,
    kind: EventKind,
) -> Response {
    append_checked(state, staff, unit, finding, role, kind, |_| Ok(())).await
}

/// [`append`], after `check` accepted the case as it stands just before the event: a rule of
/// the action (a fine approved in its order, a claim paid once) checked under the document's
/// lock, so that two people acting at once cannot both pass it. `check` answers the sentence
/// that says why not, in the person's language; then nothing is written.
pub(super) async fn append_checked(
    state: &AppState,
    staff: &Staff,
    unit: &UnitId,
    finding: &FindingId,
    role: Role,
    kind: EventKind,
    check: impl FnOnce(&CaseState) -> Result<(), String> + Send,
) -> Response {
    let lang = staff.lang;
    let device = match web_device(state, staff) {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let actor = Actor {
        user: staff.user.clone(),
        role,
        device: device.clone(),
    };
    let event = Event {
        id: EventId::random(),
        kind,
        actor,
        at: state.now(),
    };
    let event_id = event.id.clone();
    let doc_id = DocId::Unit(unit.clone());
    let result = edit_unit(state, &doc_id, Some(&device), 0, |doc, before, project| {
        let settings = state.settings_of(project);
        let at = event.at;
        let Some(current) = before.findings.get(finding) else {
            return Err(ApiError::NotFound(format!("finding {finding}")));
        };
        check(&current.state(at, &settings)).map_err(ApiError::BadRequest)?;
        doc.append(finding, event)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        // A step that does not fit where the case stands (accepting a repair nobody
        // reported, a callback before acceptance) would only become an anomaly for someone
        // to clear up: refuse it now, with the reason, and write nothing.
        let after = doc
            .finding(finding)
            .map_err(|e| ApiError::Internal(e.into()))?
            .state(at, &settings);
        match after
            .anomalies
            .iter()
            .find(|a| a.event.as_ref() == Some(&event_id))
        {
            Some(a) => Err(ApiError::BadRequest(match lang {
                Lang::Zh => format!("这一步不符合案件当前的状态：{}。", a.kind.label_zh()),
                Lang::En => {
                    format!("This step does not fit where the case stands: {}", a.detail)
                }
            })),
            None => Ok(()),
        }
    })
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/cases/{unit}/{finding}")).into_response(),
        Err(ApiError::BadRequest(m)) => bad_request(staff, &m),
        Err(ApiError::NotFound(_)) => not_found(staff),
        Err(e) => internal(e),
    }
}

/// The answer to a form that could not be read at all (a field sent twice, a body that is not
/// a form): nothing is done, and the person is told to fill it in again.
pub(super) fn unreadable_form(staff: &Staff) -> Response {
    let m = staff.lang.pick(
        "表单无法读取，请返回页面重新填写。",
        "The form could not be read; go back and fill it in again.",
    );
    bad_request(staff, m)
}

/// The notice form.
#[derive(Debug, Deserialize)]
pub struct NoticeForm {
    csrf: String,
    contractor: String,
    days: String,
}

/// `POST /cases/{unit}/{finding}/notice`: issues a rectification notice, numbered per year.
pub async fn issue_notice(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding)): Path<(String, String)>,
    Form(form): Form<NoticeForm>,
) -> Response {
    let (unit, finding) = match checked_post(&staff, &form.csrf, &unit, &finding) {
        Ok(ids) => ids,
        Err(page) => return page,
    };
    let lang = staff.lang;
    let days: i64 = match form.days.trim().parse() {
        Ok(d) if (1..=60).contains(&d) => d,
        _ => {
            let m = lang.pick(
                "整改天数须为 1 到 60 天。",
                "Days to repair must be 1 to 60.",
            );
            return bad_request(&staff, m);
        }
    };
    let Ok(contractor) = ContractorId::new(form.contractor.trim()) else {
        let m = lang.pick("请选择施工单位。", "Choose a contractor.");
        return bad_request(&staff, m);
    };
    let (project, role) = match context(&state, &staff, &unit).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    if !project.contractors.iter().any(|c| c.id == contractor) {
        let m = lang.pick(
            "该施工单位不属于本项目。",
            "That contractor is not on this project.",
        );
        return bad_request(&staff, m);
    }
    let at = state.now();
    let probe = EventKind::NoticeIssued {
        notice_no: String::new(),
        contractor: contractor.clone(),
        repair_deadline: at,
    };
    if let Some(refused) = role_refusal(&staff, role, &probe) {
        return refused;
    }
    // The number is taken only once every check passed, so refused attempts use none.
    let year = at.to_datetime().map_or(2026, |d| d.year());
    let number = match state.store.next_notice_number(year).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let kind = EventKind::NoticeIssued {
        notice_no: format!("ZG-{year}-{number:04}"),
        contractor,
        repair_deadline: Timestamp(at.0 + days * DAY_MS),
    };
    append(&state, &staff, &unit, &finding, role, kind).await
}

/// The callback form.
#[derive(Debug, Deserialize)]
pub struct CallbackForm {
    csrf: String,
    channel: String,
    level: String,
    #[serde(default)]
    note: String,
}

/// `POST /cases/{unit}/{finding}/callback`: records a callback; 不满意 reopens the case (the
/// workflow derives that from the event).
pub async fn record_callback(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding)): Path<(String, String)>,
    Form(form): Form<CallbackForm>,
) -> Response {
    let (unit, finding) = match checked_post(&staff, &form.csrf, &unit, &finding) {
        Ok(ids) => ids,
        Err(page) => return page,
    };
    let lang = staff.lang;
    let channel = match form.channel.as_str() {
        "phone" => CallbackChannel::Phone,
        "visit" => CallbackChannel::Visit,
        _ => {
            let m = lang.pick("回访方式无效。", "The channel is not valid.");
            return bad_request(&staff, m);
        }
    };
    let Some(level) = Satisfaction::ALL
        .into_iter()
        .find(|s| level_code(*s) == form.level)
    else {
        let m = lang.pick("满意度无效。", "The satisfaction level is not valid.");
        return bad_request(&staff, m);
    };
    if form.note.chars().count() > 500 {
        let m = lang.pick(
            "备注最多 500 字。",
            "The note may have at most 500 characters.",
        );
        return bad_request(&staff, m);
    }
    let note = form.note.trim().to_owned();
    let (_, role) = match context(&state, &staff, &unit).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let kind = EventKind::Callback {
        channel,
        level,
        note,
    };
    if let Some(refused) = role_refusal(&staff, role, &kind) {
        return refused;
    }
    append(&state, &staff, &unit, &finding, role, kind).await
}

/// The step form.
#[derive(Debug, Deserialize)]
pub struct StepRequest {
    csrf: String,
    step: String,
    #[serde(flatten)]
    fields: StepForm,
}

/// `POST /cases/{unit}/{finding}/step`: records one step of the step form (see
/// `super::case_actions`).
pub async fn record_step(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding)): Path<(String, String)>,
    Form(form): Form<StepRequest>,
) -> Response {
    let (unit, finding) = match checked_post(&staff, &form.csrf, &unit, &finding) {
        Ok(ids) => ids,
        Err(page) => return page,
    };
    let lang = staff.lang;
    let Some(step) = Step::parse(&form.step) else {
        let m = lang.pick("请选择一个步骤。", "Choose a step.");
        return bad_request(&staff, m);
    };
    let kind = match step.event(&form.fields) {
        Ok(kind) => kind,
        Err((zh, en)) => return bad_request(&staff, lang.pick(zh, en)),
    };
    let (_, role) = match context(&state, &staff, &unit).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    if let Some(refused) = role_refusal(&staff, role, &kind) {
        return refused;
    }
    append(&state, &staff, &unit, &finding, role, kind).await
}

/// `GET /cases/{unit}/{finding}/notice`: the printable 工程整改通知单 of the current notice.
pub async fn print_notice(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding)): Path<(String, String)>,
) -> Response {
    let Some((unit, finding)) = ids(&unit, &finding) else {
        return not_found(&staff);
    };
    let loaded = match load(&state, &unit, &finding).await {
        Ok(Some(l)) => l,
        Ok(None) => return not_found(&staff),
        Err(e) => return internal(e),
    };
    if staff.role_in(&loaded.project.id).is_none() {
        return not_found(&staff);
    }
    let Some(notice) = loaded.state.notice.clone() else {
        return not_found(&staff);
    };
    let lang = staff.lang;
    let contractor = loaded
        .project
        .contractors
        .iter()
        .find(|c| c.id == notice.contractor)
        .map_or_else(|| notice.contractor.to_string(), |c| c.name.clone());
    let f = &loaded.finding;
    let project_name = loaded.project.name_zh.clone();
    let body = rsx! {
        article { class: "notice",
            h1 { style: "text-align:center", {Msg::NoticeTitle.text(lang)} }
            p { {Msg::NoticeNo.text(lang)} "：" span { id: "notice-no", "{notice.notice_no}" } }
            table {
                tr { th { {Msg::Project.text(lang)} } td { "{project_name}" } }
                tr { th { {Msg::Unit.text(lang)} } td { "{unit}" } }
                tr { th { {Msg::Contractor.text(lang)} } td { "{contractor}" } }
                tr { th { {Msg::Room.text(lang)} } td { {labels::room(lang, f.room.as_str())} " / " {labels::item(lang, f.item.as_str())} } }
                tr { th { {Msg::Description.text(lang)} } td { "{f.description}" } }
                tr { th { {Msg::Issued.text(lang)} } td { {beijing(notice.issued_at)} } }
                tr { th { {Msg::ResponseDue.text(lang)} } td { {beijing(notice.response_deadline)} } }
                tr { th { {Msg::Deadline.text(lang)} } td { {beijing(notice.repair_deadline)} } }
            }
            p { style: "margin-top:3rem", {Msg::ReplyLine.text(lang)} }
        }
    };
    render(
        lang,
        Msg::NoticeTitle.text(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}

/// `GET /photos/{hash}`: a photo for a signed-in member of a project that references it, or a
/// floor plan of one of their projects.
pub async fn photo(
    State(state): State<AppState>,
    staff: Staff,
    Path(hash): Path<String>,
) -> Response {
    let Ok(hash) = hash.parse::<BlobHash>() else {
        return not_found(&staff);
    };
    let mine: Vec<_> = staff
        .memberships
        .iter()
        .map(|m| m.project.clone())
        .collect();
    match crate::plans::visible_to(&state, &hash, &mine).await {
        Ok(true) => {}
        Ok(false) => return not_found(&staff),
        Err(e) => return internal(e),
    }
    let path = crate::blobs::object_path(&hash);
    match state.blobs.get(&path).await {
        Ok(got) => match got.bytes().await {
            Ok(bytes) => (
                [
                    // Photos are JPEG; signatures and plans may be PNG.
                    (
                        header::CONTENT_TYPE,
                        crate::blobs::ImageType::sniff(&bytes)
                            .map_or("image/jpeg", crate::blobs::ImageType::content_type),
                    ),
                    (
                        header::CACHE_CONTROL,
                        "private, max-age=31536000, immutable",
                    ),
                ],
                Body::from(bytes),
            )
                .into_response(),
            Err(e) => internal(e),
        },
        Err(object_store::Error::NotFound { .. }) => not_found(&staff),
        Err(e) => internal(e),
    }
}
