//! `GET /cases/{unit}/{finding}`: one case — what, where, photos, the timeline with device
//! and server times, conflicting values, anomalies — and the workflow's actions on it.
//!
//! The page offers exactly the actions the workflow's preconditions
//! (`plumbline_shared::workflow::may`) allow this person on the case as it stands now: the
//! steps, the notice, the callback, each slip's approval and each claim's settlement. The
//! actions themselves are in [`super::case_actions`], [`super::fines`], [`super::claims`],
//! [`super::merge`] and [`super::reassign`]; each is checked again by the same precondition
//! when it is posted ([`super::case_kit`]).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::doc::evidence::EvidenceRef;
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::event::{CallbackChannel, Event, EventKind, Origin, Satisfaction};
use plumbline_shared::ids::{BlobHash, ContractorId, UnitId, UserId};
use plumbline_shared::project::Contractor;
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::CaseState;
use plumbline_shared::workflow::may::{Person, may};

use super::badges::{ClockBadge, SeverityBadge, StatusBadge};
use super::case_actions::{MAX_TEXT_CHARS, Step, level_code};
use super::case_load::{load_for_page, not_found};
use super::claims::{ClaimSection, ClaimSectionProps, claim_views};
use super::event_text::event_detail;
use super::fines::{
    FineSection, FineSectionProps, display_names, fine_views, penalty_choices, signers,
};
use super::i18n::{Lang, Msg};
use super::labels;
use super::layout::{internal, render};
use super::merge::{MergeSection, MergeSectionProps, merge_section};
use super::people;
use super::reassign::{ReassignSection, ReassignSectionProps};
use super::session::Staff;
use super::told::{Told, ToldRow, told};
use super::walk_sheet::walk_state;
use super::when::beijing;
use crate::case_read::WalkStatus;
use crate::state::AppState;

#[derive(Props, Clone, PartialEq)]
struct DetailProps {
    lang: Lang,
    unit: UnitId,
    /// The unit as people name it (`1栋1201`).
    unit_name: String,
    /// Display names of everyone on the timeline.
    names: BTreeMap<UserId, String>,
    finding: Finding,
    state: CaseState,
    contractors: Vec<Contractor>,
    arrived: Vec<BlobHash>,
    conflicts: Vec<plumbline_shared::doc::conflict::FieldConflict>,
    csrf: String,
    /// The steps of the step form the workflow allows the person now.
    steps: Vec<Step>,
    /// Whether a rectification notice may be issued now.
    may_notice: bool,
    /// Whether the owner may be called back now.
    may_callback: bool,
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
    /// The owner's signed walks that list it.
    walks: Vec<WalkStatus>,
    /// The instant the page is read at: the clock in the header counts from it.
    now: Timestamp,
}

/// A case's photos, oldest capture first: the order they were taken in the unit.
fn photos_in_capture_order(f: &Finding) -> Vec<&EvidenceRef> {
    let mut photos: Vec<&EvidenceRef> = f.evidence.values().collect();
    photos.sort_by_key(|e| (e.captured_at, e.hash.to_string()));
    photos
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
        div { class: "case-head",
            h1 { a { href: "/archives/units/{p.unit}", title: Msg::UnitArchive.text(lang), "{p.unit_name}" } " · {f.description}" }
            div { class: "head-line",
                StatusBadge { lang, status: st.status, id: "status" }
                SeverityBadge { lang, severity: f.severity }
                if let Some(clock) = st.running_clock() {
                    ClockBadge { lang, clock, now: p.now }
                }
                if st.emergency_required {
                    span { class: "pill late", id: "emergency-due", {Msg::QueueEmergencyRequired.text(lang)} }
                }
            }
        }
        table { class: "facts",
            tr { th { {Msg::Room.text(lang)} } td { {labels::room(lang, f.room.as_str())} } }
            tr { th { {Msg::Item.text(lang)} } td { {labels::item(lang, f.item.as_str())} } }
            tr { th { {Msg::Category.text(lang)} } td { {labels::category(lang, f.category.as_str())} } }
            tr { th { {Msg::Contractor.text(lang)} } td { {st.contractor.as_ref().map(|c| p.contractors.iter().find(|k| &k.id == c).map_or_else(|| c.to_string(), |k| k.name.clone())).unwrap_or_default()} } }
            tr { th { {Msg::Origin.text(lang)} } td { {lang.pick(f.origin.label_zh(), f.origin.label_en())} } }
            if let Some(o) = &f.owner {
                // The masked form the document holds; the full contact is a recorded look away.
                tr { th { {Msg::Owner.text(lang)} } td { id: "owner", "{o.masked().name} · {o.masked().phone} " a { id: "owner-contact-link", href: "{base}/contact", {Msg::ShowOwnerContact.text(lang)} } } }
                if matches!(f.origin, Origin::OwnerCall | Origin::OwnerVisit) {
                    tr { th { "" } td { a { id: "complaint-form-link", href: "{base}/complaint", {Msg::PrintComplaint.text(lang)} } } }
                }
            }
            if let Some(n) = &st.notice {
                tr { th { {Msg::NoticeNo.text(lang)} } td { id: "notice-no", "{n.notice_no} " a { href: "{base}/notice", {Msg::PrintNotice.text(lang)} } } }
                tr { th { {Msg::ResponseDue.text(lang)} } td { class: if st.response_overdue { "overdue" } else { "" }, {beijing(n.response_deadline)} } }
                tr { th { {Msg::Deadline.text(lang)} } td { class: if st.repair_overdue { "overdue" } else { "" }, {beijing(n.repair_deadline)} } }
            }
        }
        p { class: "noprint", a { id: "pack-link", href: "{base}/pack", {Msg::DisputePack.text(lang)} } }
        if !p.walks.is_empty() {
            h2 { {Msg::JointWalks.text(lang)} }
            table { id: "walks",
                tr {
                    th { {Msg::WalkVersion.text(lang)} }
                    th { {Msg::SignedAt.text(lang)} }
                    th { {Msg::OwnerSigned.text(lang)} }
                    th { {Msg::Status.text(lang)} }
                    th {}
                }
                for w in p.walks.iter() {
                    tr {
                        td { "{w.version}" }
                        td { {beijing(w.walk.snapshot.signed_at)} }
                        td { "{w.walk.snapshot.owner.name} · {w.walk.snapshot.owner.phone}" }
                        td { class: if w.changes.is_empty() { "" } else { "overdue" }, {walk_state(lang, w)} }
                        td { a { href: "/units/{p.unit}/walks/{w.walk.id}", {Msg::PrintWalkSheet.text(lang)} } }
                    }
                }
            }
        }
        h2 { {Msg::Photos.text(lang)} }
        if f.evidence.is_empty() {
            p { class: "hint", {Msg::NoPhotos.text(lang)} }
        }
        div { class: "photo-grid", id: "photos",
            for ev in photos_in_capture_order(f) {
                figure {
                    // A photo that arrived shows the server's thumbnail of it and opens full
                    // size; one still on its way shows the phone's thumbnail where that arrived
                    // first, marked as such.
                    {
                        let hash = &ev.hash;
                        let thumb = ev.thumbnail.as_ref().map(|t| &t.hash).filter(|t| p.arrived.contains(*t));
                        let full = p.arrived.contains(hash);
                        rsx! {
                            if full {
                                a { href: "/photos/{hash}", target: "_blank", title: Msg::OpenFullSize.text(lang),
                                    img { src: "/photos/{hash}/thumb", alt: "{hash}", loading: "lazy" }
                                }
                            } else if let Some(t) = thumb {
                                img { src: "/photos/{t}", alt: "{hash}" }
                            } else {
                                div { class: "no-photo", {Msg::NotArrived.text(lang)} }
                            }
                            figcaption {
                                {beijing(ev.captured_at)}
                                " · "
                                {p.names.get(&ev.author).cloned().unwrap_or_else(|| ev.author.to_string())}
                                if !full {
                                    span { class: "missing", " · " {Msg::NotArrived.text(lang)} }
                                }
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
                    li { class: "anomaly", "data-kind": "{a.kind:?}",
                        {lang.pick(a.kind.label_zh(), a.kind.label_en())}
                        if lang == Lang::En {
                            span { class: "muted", ": {a.detail}" }
                        }
                    }
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
                th { {lang.pick("内容", "Details")} }
            } }
            tbody {
                for row in rows {
                    match row {
                        TimelineRow::Event(e) => rsx! {
                            tr {
                                td { {beijing(e.at)} }
                                td { {f.receipts.get(&e.id).map(|r| beijing(r.received_at)).unwrap_or_default()} }
                                // The device is a hover away: a clerk reads who, an auditor may ask which phone.
                                td { title: "{Msg::Device.text(lang)}: {e.actor.device}", {people::acting(&p.names, &e.actor, lang)} }
                                td { {lang.pick(e.kind.label_zh(), e.kind.label_en())} }
                                td { class: "detail",
                                    // A merge names the other case by its description, linked.
                                    if let EventKind::MergedInto { other } | EventKind::MergedFrom { other } = &e.kind {
                                        a { href: "/cases/{p.unit}/{other}", {p.merge.described().get(other).cloned().unwrap_or_else(|| event_detail(&e.kind, lang, &p.contractors))} }
                                    } else {
                                        {event_detail(&e.kind, lang, &p.contractors)}
                                    }
                                }
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
            if p.may_notice {
            h2 { {Msg::IssueNotice.text(lang)} }
            form { method: "post", action: "{base}/notice", id: "notice-form",
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
            }
            if p.may_callback {
            h2 { {Msg::RecordCallback.text(lang)} }
            form { method: "post", action: "{base}/callback", id: "callback-form",
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
                label { {Msg::Note.text(lang)} " " input { name: "note", maxlength: 500, placeholder: lang.pick("不满意须填写原因", "a reason is required if dissatisfied") } }
                " "
                button { r#type: "submit", {Msg::Save.text(lang)} }
            }
            }
        }
    }
}

/// `GET /cases/{unit}/{finding}`.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding)): Path<(String, String)>,
) -> Response {
    let (unit, finding, loaded) = match load_for_page(&state, &staff, &unit, &finding).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let role = match staff.role_in(&loaded.project.id) {
        Some(r) if r != Role::Contractor => r,
        _ => return not_found(&staff),
    };
    let person = Person {
        user: &staff.user,
        role,
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
    let mut people_named = signers(&loaded.finding);
    people_named.extend(loaded.finding.events.iter().map(|e| e.actor.user.clone()));
    people_named.extend(loaded.finding.evidence.values().map(|e| e.author.clone()));
    let names = match display_names(&state, people_named).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let base = format!("/cases/{unit}/{finding}");
    let fines = FineSectionProps::new(
        staff.lang,
        base.clone(),
        staff.csrf.clone(),
        role,
        fine_views(
            &loaded.finding,
            &loaded.state,
            &loaded.project,
            &names,
            person,
        ),
        penalty_choices(&loaded.state, &loaded.project, person),
    );
    let claims = ClaimSectionProps::new(
        staff.lang,
        base,
        staff.csrf.clone(),
        role,
        claim_views(&loaded.finding, &loaded.state, &names, person),
    );
    let merge = match merge_section(&state, &staff, role, &unit, &loaded.finding).await {
        Ok(m) => m,
        Err(e) => return internal(e),
    };
    let reassign = ReassignSectionProps::new(
        staff.lang,
        format!("/cases/{unit}/{finding}"),
        staff.csrf.clone(),
        (&loaded.state, person),
        &loaded.project.contractors,
        state.now(),
    );
    let allowed = |kind: &EventKind| may(kind, person, &loaded.state).is_ok();
    let steps = Step::ALL
        .into_iter()
        .filter(|s| allowed(&s.event_probe()))
        .collect();
    let may_notice = allowed(&EventKind::NoticeIssued {
        notice_no: String::new(),
        contractor: ContractorId::new("probe").expect("a valid id"),
        repair_deadline: Timestamp(i64::MAX),
    });
    let may_callback = allowed(&EventKind::Callback {
        channel: CallbackChannel::Phone,
        level: Satisfaction::Satisfied,
        note: String::new(),
    });
    let walks = match crate::case_read::walks_listing(&state, &unit, &finding).await {
        Ok(w) => w,
        Err(e) => return internal(e),
    };
    let told = match told(&state, &finding, staff.lang).await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let props = DetailProps {
        lang: staff.lang,
        unit_name: labels::unit(&loaded.project, &unit),
        unit,
        names,
        state: loaded.state,
        contractors: loaded.project.contractors.clone(),
        arrived,
        conflicts: loaded.conflicts,
        csrf: staff.csrf.clone(),
        finding: loaded.finding,
        steps,
        may_notice,
        may_callback,
        fines,
        claims,
        merge,
        reassign,
        told,
        walks,
        now: state.now(),
    };
    let title = props.finding.description.clone();
    let body = rsx! { CaseDetail { ..props } };
    render(staff.lang, &title, Some(staff.top_bar()), body).into_response()
}
