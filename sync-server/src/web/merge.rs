//! Probable duplicates (疑似重复) and merging them: `POST /cases/{unit}/{finding}/merge`.
//!
//! The same defect often reaches the center twice: an owner calls about a leak, then comes to
//! the front desk about it; an inspector records what the owner already reported. Two findings
//! of the same unit, room and check item recorded within [`DUPLICATE_WINDOW_MS`] of each other
//! are *probable duplicates*: the case page flags them (`probable_duplicates`), and the
//! dashboard's "疑似重复" queue (`Queue::ProbableDuplicates`, the same rule in SQL) lists every
//! case that has one. Neither a cancelled nor a merged finding is a candidate: there is nothing
//! left to merge.
//!
//! A merge keeps both findings, both evidence sets and both timelines; it only appends
//! `merged_into { survivor }` to the one merged away and `merged_from { merged }` to the
//! survivor, both in one document change ([`UnitDoc::append_together`]), so no replica ever
//! sees half a merge. From then on the merged finding's status is "merged" and it counts
//! nowhere (`CaseState::counts`); lists and figures count the pair once, at the survivor.
//!
//! [`UnitDoc::append_together`]: plumbline_shared::doc::unit::UnitDoc::append_together

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use dioxus::prelude::*;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::event::{Event, EventKind};
use plumbline_shared::ids::{EventId, FindingId, UnitId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::{CaseState, FineStatus, Status, WorkflowSettings};
use serde::Deserialize;

use super::case_kit::{CaseForm, WebError};
use super::case_load::web_device;
use super::i18n::{Lang, Msg};
use super::posted::posted_with_csrf_field;
use super::session::Staff;
use super::when::beijing;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::DUPLICATE_WINDOW_MS;
use crate::unit_write::edit_unit;

/// Whether a finding may still take part in a merge: not cancelled, not merged already.
fn mergeable(state: &CaseState) -> bool {
    !matches!(state.status, Status::Cancelled | Status::Merged)
}

/// Whether two different findings look like the same defect: same room and check item,
/// recorded within the window (inclusive) of each other. The unit is the document's.
fn near(a: &Finding, b: &Finding) -> bool {
    a.id != b.id
        && a.room == b.room
        && a.item == b.item
        && (a.created_at.0 - b.created_at.0).abs() <= DUPLICATE_WINDOW_MS
}

/// The findings of a unit (`all`) that are probable duplicates of `of`, oldest first; none
/// when `of` itself is cancelled or merged. The rule of the dashboard's queue, in Rust.
pub(super) fn probable_duplicates<'a>(
    all: &'a BTreeMap<FindingId, Finding>,
    of: &Finding,
    at: Timestamp,
    settings: &WorkflowSettings,
) -> Vec<&'a Finding> {
    if !mergeable(&of.state(at, settings)) {
        return Vec::new();
    }
    let mut out: Vec<&Finding> = all
        .values()
        .filter(|f| near(f, of) && mergeable(&f.state(at, settings)))
        .collect();
    out.sort_by_key(|f| (f.created_at, f.id.clone()));
    out
}

/// One probable duplicate as the case page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateView {
    finding: FindingId,
    description: String,
    recorded: String,
    status: Status,
}

/// What the case page shows about duplicates and merges.
#[derive(Props, Debug, Clone, PartialEq)]
pub struct MergeSectionProps {
    lang: Lang,
    unit: UnitId,
    finding: FindingId,
    csrf: String,
    /// The person's role may merge (`EventKind::MergedInto.allows`).
    may_merge: bool,
    /// The case this one was merged into, and its description.
    merged_into: Option<(FindingId, String)>,
    /// The cases merged into this one, each with its description.
    merged_from: Vec<(FindingId, String)>,
    duplicates: Vec<DuplicateView>,
}

impl MergeSectionProps {
    /// The cases this one was merged with, by id, with their descriptions: for the timeline's
    /// merge events.
    pub fn described(&self) -> BTreeMap<FindingId, String> {
        self.merged_into
            .iter()
            .chain(&self.merged_from)
            .cloned()
            .collect()
    }
}

/// A case of the unit with its description (its id, when the unit no longer holds it).
fn described(all: &BTreeMap<FindingId, Finding>, id: &FindingId) -> (FindingId, String) {
    let text = all
        .get(id)
        .map_or_else(|| id.to_string(), |f| f.description.clone());
    (id.clone(), text)
}

/// Builds the section for the case `finding` of `unit`, reading the unit's other findings.
pub(super) async fn merge_section(
    state: &AppState,
    staff: &Staff,
    role: Role,
    unit: &UnitId,
    finding: &Finding,
) -> Result<MergeSectionProps, ApiError> {
    let doc_id = DocId::Unit(unit.clone());
    let (all, settings) = {
        let mut guard = state.docs.lock(&doc_id).await;
        match state.docs.get(&mut guard, &doc_id).await? {
            Some(loaded) => (
                UnitDoc::from_trusted(loaded.doc.clone())
                    .findings()
                    .map_err(|e| ApiError::Internal(e.into()))?,
                state.settings_of(&loaded.project),
            ),
            None => (BTreeMap::new(), WorkflowSettings::default()),
        }
    };
    let at = state.now();
    let case = finding.state(at, &settings);
    let duplicates = probable_duplicates(&all, finding, at, &settings)
        .into_iter()
        .map(|f| DuplicateView {
            finding: f.id.clone(),
            description: f.description.clone(),
            recorded: beijing(f.created_at),
            status: f.state(at, &settings).status,
        })
        .collect();
    Ok(MergeSectionProps {
        lang: staff.lang,
        unit: unit.clone(),
        finding: finding.id.clone(),
        csrf: staff.csrf.clone(),
        may_merge: merge_probe(&finding.id).allows(role),
        merged_into: case.merged_into.as_ref().map(|f| described(&all, f)),
        merged_from: case
            .merged_from
            .iter()
            .map(|f| described(&all, f))
            .collect(),
        duplicates,
    })
}

/// An event of the kind a merge appends, for asking who may append it. `MergedInto` and
/// `MergedFrom` allow the same roles; the server checks both anyway.
fn merge_probe(other: &FindingId) -> EventKind {
    EventKind::MergedInto {
        other: other.clone(),
    }
}

/// The duplicates flag, the merge links and the merge forms of a case.
#[allow(non_snake_case)] // a component
pub fn MergeSection(p: MergeSectionProps) -> Element {
    let lang = p.lang;
    let base = format!("/cases/{}/{}", p.unit, p.finding);
    rsx! {
        if let Some((into, text)) = &p.merged_into {
            p { id: "merged-into", {Msg::MergedInto.text(lang)} " "
                a { href: "/cases/{p.unit}/{into}", "{text}" }
            }
        }
        if !p.merged_from.is_empty() {
            p { id: "merged-from", {Msg::MergedFrom.text(lang)} " "
                for (other, text) in p.merged_from.iter() {
                    a { href: "/cases/{p.unit}/{other}", "{text}" }
                    " "
                }
            }
        }
        if !p.duplicates.is_empty() {
            section { id: "duplicates",
                h2 { class: "overdue", {Msg::QueueDuplicates.text(lang)} }
                p { {Msg::DuplicatesHint.text(lang)} }
                table {
                    thead { tr {
                        th { {Msg::Description.text(lang)} }
                        th { {Msg::Recorded.text(lang)} }
                        th { {Msg::Status.text(lang)} }
                        if p.may_merge { th { class: "noprint", {Msg::MergeTitle.text(lang)} } }
                    } }
                    tbody {
                        for d in p.duplicates.iter() {
                            tr { id: "duplicate-{d.finding}",
                                td { a { href: "/cases/{p.unit}/{d.finding}", "{d.description}" } }
                                td { "{d.recorded}" }
                                td { {lang.pick(d.status.label_zh(), d.status.label_en())} }
                                if p.may_merge {
                                    td { class: "noprint",
                                        form { method: "post", action: "{base}/merge",
                                            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                            input { r#type: "hidden", name: "other_unit", value: "{p.unit}" }
                                            input { r#type: "hidden", name: "other", value: "{d.finding}" }
                                            select { name: "keep",
                                                option { value: "this", {Msg::KeepThis.text(lang)} }
                                                option { value: "other", {Msg::KeepOther.text(lang)} }
                                            }
                                            " "
                                            button { r#type: "submit", {Msg::Merge.text(lang)} }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The merge form.
#[derive(Debug, Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    csrf: String,
    /// The other finding's unit, when the form names it: a merge never crosses units.
    #[serde(default)]
    other_unit: String,
    /// The other finding.
    #[serde(default)]
    other: String,
    /// `this`: the finding of the address survives; `other`: the other one does.
    #[serde(default)]
    keep: String,
}

/// Why `merged` may not be merged into `survivor`, checked on the unit as it stands under the
/// document's lock; `None` when it may.
fn merge_refusal(
    findings: &BTreeMap<FindingId, Finding>,
    merged: &FindingId,
    survivor: &FindingId,
    at: Timestamp,
    settings: &WorkflowSettings,
    lang: Lang,
) -> Result<(), String> {
    let (Some(m), Some(s)) = (findings.get(merged), findings.get(survivor)) else {
        return Err(lang
            .pick(
                "在本房号找不到要合并的案件；只能合并同一房号的案件。",
                "The case to merge is not on this unit; only cases of the same unit can be merged.",
            )
            .to_owned());
    };
    for f in [m, s] {
        let state = f.state(at, settings);
        match state.status {
            Status::Merged => {
                return Err(lang
                    .pick(
                        "其中一个案件已经合并到其他案件，不能再合并。",
                        "One of the cases is already merged into another; it cannot be merged again.",
                    )
                    .to_owned());
            }
            Status::Cancelled => {
                return Err(lang
                    .pick(
                        "已取消的案件不能合并。",
                        "A cancelled case cannot be merged.",
                    )
                    .to_owned());
            }
            _ => {}
        }
    }
    // A merged case takes no further approvals: a slip still waiting for one would be stuck.
    let waiting = m
        .state(at, settings)
        .fines
        .iter()
        .any(|f| matches!(f.status, FineStatus::Drafted | FineStatus::LeaderApproved));
    if waiting {
        return Err(lang
            .pick(
                "要合并掉的案件还有待审批的罚款单：请保留该案件，或先完成或作废罚款单。",
                "The case to be merged away has a fine slip awaiting approval: keep that case, or \
                 approve or void the slip first.",
            )
            .to_owned());
    }
    Ok(())
}

posted_with_csrf_field!(MergeForm);

/// `POST /cases/{unit}/{finding}/merge`: merges a duplicate; the survivor is the case of the
/// address (`keep=this`) or the other one (`keep=other`).
pub async fn merge(
    State(state): State<AppState>,
    action: CaseForm<MergeForm>,
) -> Result<Response, WebError> {
    let (staff, unit, finding, form) = (&action.staff, &action.unit, &action.finding, &action.form);
    let lang = staff.lang;
    let role = action.role;
    action.role_may(&merge_probe(finding))?;
    action.role_may(&EventKind::MergedFrom {
        other: finding.clone(),
    })?;
    let other_unit = form.other_unit.trim();
    if !other_unit.is_empty() && other_unit != unit.as_str() {
        return Err(action.bad_pick(
            "不能合并不同房号的案件。",
            "Cases of different units cannot be merged.",
        ));
    }
    let other = FindingId::new(form.other.trim())
        .map_err(|_| action.bad_pick("请选择要合并的案件。", "Choose the case to merge."))?;
    if &other == finding {
        return Err(action.bad_pick(
            "案件不能与自身合并。",
            "A case cannot be merged with itself.",
        ));
    }
    let (survivor, merged) = match form.keep.as_str() {
        "this" => (finding.clone(), other),
        "other" => (other, finding.clone()),
        _ => return Err(action.bad_pick("请选择保留哪一个案件。", "Choose which case to keep.")),
    };
    let device = web_device(&state, staff).map_err(WebError::internal)?;
    let actor = Actor {
        user: staff.user.clone(),
        role,
        device: device.clone(),
    };
    let at = state.now();
    let into = Event {
        id: EventId::random(),
        kind: EventKind::MergedInto {
            other: survivor.clone(),
        },
        actor: actor.clone(),
        at,
    };
    let from = Event {
        id: EventId::random(),
        kind: EventKind::MergedFrom {
            other: merged.clone(),
        },
        actor,
        at,
    };
    let new_events = [into.id.clone(), from.id.clone()];
    let doc_id = DocId::Unit(unit.clone());
    let result = edit_unit(&state, &doc_id, Some(&device), 0, |doc, before, project| {
        let settings = state.settings_of(project);
        merge_refusal(&before.findings, &merged, &survivor, at, &settings, lang)
            .map_err(ApiError::BadRequest)?;
        doc.append_together(vec![(merged.clone(), into), (survivor.clone(), from)])
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        // Neither event may leave an anomaly for someone to clear up (the checks above should
        // have caught every such case; this is the workflow's own word on it).
        for id in [&merged, &survivor] {
            let after = doc
                .finding(id)
                .map_err(|e| ApiError::Internal(e.into()))?
                .state(at, &settings);
            if let Some(a) = after
                .anomalies
                .iter()
                .find(|a| a.event.as_ref().is_some_and(|e| new_events.contains(e)))
            {
                return Err(ApiError::BadRequest(match lang {
                    Lang::Zh => format!("不能合并：{}。", a.kind.label_zh()),
                    Lang::En => format!("These cases cannot be merged: {}", a.detail),
                }));
            }
        }
        Ok(())
    })
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{unit}/{survivor}")).into_response()),
        Err(ApiError::BadRequest(m)) => Err(action.bad(&m)),
        Err(ApiError::NotFound(_)) => Err(action.not_found()),
        Err(e) => Err(WebError::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use plumbline_shared::doc::unit::NewFinding;
    use plumbline_shared::event::Origin;
    use plumbline_shared::ids::{DeviceId, ProjectId, UserId};
    use plumbline_shared::severity::Severity;
    use plumbline_shared::time::HOUR_MS;

    fn actor() -> Actor {
        Actor {
            user: UserId::new("wangli").unwrap(),
            role: Role::Inspector,
            device: DeviceId::new("phone-1").unwrap(),
        }
    }

    fn new(room: &str, item: &str) -> NewFinding {
        NewFinding {
            origin: Origin::Inspection,
            round: None,
            room: room.parse().unwrap(),
            item: item.parse().unwrap(),
            category: "waterproofing".parse().unwrap(),
            severity: Severity::S2,
            description: "渗漏".into(),
        }
    }

    #[test]
    fn same_room_and_item_within_a_day_are_probable_duplicates_and_merged_ones_are_not() {
        let mut doc = UnitDoc::new(
            &ProjectId::new("licheng").unwrap(),
            &UnitId::new("licheng-b1-101").unwrap(),
        );
        let a = actor();
        let t0 = Timestamp(1_000_000_000_000);
        let item = ("bathroom", "bathroom.ponding_test");
        let first = doc.record_finding(&a, t0, new(item.0, item.1)).unwrap();
        // Exactly 24 hours later still counts; a minute more does not.
        let day = doc
            .record_finding(
                &a,
                Timestamp(t0.0 + DUPLICATE_WINDOW_MS),
                new(item.0, item.1),
            )
            .unwrap();
        let late = doc
            .record_finding(
                &a,
                Timestamp(t0.0 + DUPLICATE_WINDOW_MS + 60_000),
                new(item.0, item.1),
            )
            .unwrap();
        let other_item = doc
            .record_finding(&a, t0, new("kitchen", "kitchen.drain"))
            .unwrap();
        let settings = WorkflowSettings::default();
        let now = Timestamp(t0.0 + 3 * HOUR_MS);
        let all = doc.findings().unwrap();
        let dups = |of: &FindingId, all: &BTreeMap<FindingId, Finding>| {
            probable_duplicates(all, &all[of], now, &settings)
                .into_iter()
                .map(|f| f.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(dups(&first, &all), vec![day.clone()]);
        assert_eq!(dups(&day, &all), vec![first.clone(), late.clone()]);
        assert!(dups(&other_item, &all).is_empty());

        // Merged: `first` into `day`, both events in one change.
        let changes_before = doc.automerge_mut().get_changes(&[]).len();
        let ev = |kind| Event {
            id: EventId::random(),
            kind,
            actor: a.clone(),
            at: now,
        };
        doc.append_together(vec![
            (
                first.clone(),
                ev(EventKind::MergedInto { other: day.clone() }),
            ),
            (
                day.clone(),
                ev(EventKind::MergedFrom {
                    other: first.clone(),
                }),
            ),
        ])
        .unwrap();
        assert_eq!(
            doc.automerge_mut().get_changes(&[]).len(),
            changes_before + 1
        );
        let all = doc.findings().unwrap();
        assert!(dups(&first, &all).is_empty());
        assert_eq!(dups(&day, &all), vec![late.clone()]);
        let refusal = merge_refusal(&all, &first, &late, now, &settings, Lang::En).unwrap_err();
        assert!(refusal.contains("already merged"), "{refusal}");
    }
}
