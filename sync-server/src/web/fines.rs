//! Fine slips (罚款单) on a case: drafting one, its approvals in their order, voiding it with a
//! reason, and the printable slip.
//!
//! A fine slip is a run of events on the finding's timeline, never a row to edit:
//! `FineDrafted` (the penalty condition, the contractor, the amount), then `FineApproved` by
//! the team leader and then by the manager ([`FineApprovalStep`]), or `FineVoided` with a
//! reason at any point. The workflow derives where each slip stands ([`Fine`],
//! [`FineStatus`]); voided slips stay on the case and on paper, marked void.
//!
//! What the rules allow is the workflow's precondition (`plumbline_shared::workflow::may`),
//! which the page asks to offer the actions and the kit ([`super::case_kit`]) asks again under
//! the document's lock when one is posted:
//! - a slip cites a penalty condition that holds on the case against that contractor, once per
//!   time it came to hold (a form sent twice does not fine twice), for at least 5,000 CNY
//!   ([`FINE_MINIMUM_FEN`]);
//! - approvals come in their order, leader then manager, each by its role and by a second
//!   person: whoever drafted the slip approves no step of it, and nobody gives both;
//! - a slip is voided once, with a reason.
//!
//! Slips drafted here are numbered per year, `FK-2026-0001`, the number taken in the same
//! transaction as the slip ([`crate::store::NumberClaim`]), so the series has no gaps; the
//! number is the fine's id, so the paper and the record name the slip alike. A slip drafted on
//! a device keeps its random id as its number.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::State;
use axum::response::Response;
use dioxus::prelude::*;
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::event::{Event, EventKind, FineApprovalStep};
use plumbline_shared::ids::{ContractorId, FineId, UserId};
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::may::{Person, may};
use plumbline_shared::workflow::{CaseState, FINE_MINIMUM_FEN, Fine, FineStatus, PenaltyCondition};
use serde::Deserialize;

use super::case_actions::MAX_TEXT_CHARS;
use super::case_kit::{CaseForm, NewEvent, WebError};
use super::i18n::{Lang, Msg};
use super::posted::posted_with_csrf_field;
use super::when::beijing;
use crate::state::AppState;
use crate::store::Series;
use plumbline_shared::money::{parse_yuan, yuan};

/// Who did something to a slip, and when (by the event's time).
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// Their login.
    pub user: UserId,
    /// Their display name, or the login when the account is unknown here.
    pub name: String,
    /// The role they acted in.
    pub role: Role,
    /// When.
    pub at: Timestamp,
}

impl Signature {
    /// Who appended `event`, with their name from `names`.
    pub(super) fn of(event: &Event, names: &BTreeMap<UserId, String>) -> Self {
        let user = event.actor.user.clone();
        Signature {
            name: names
                .get(&user)
                .cloned()
                .unwrap_or_else(|| user.to_string()),
            user,
            role: event.actor.role,
            at: event.at,
        }
    }

    /// "name（role） time" in the page's language.
    pub(super) fn text(&self, lang: Lang) -> String {
        let (open, close) = match lang {
            Lang::Zh => ("（", "）"),
            Lang::En => (" (", ")"),
        };
        format!(
            "{}{open}{}{close} {}",
            self.name,
            lang.pick(self.role.label_zh(), self.role.label_en()),
            beijing(self.at)
        )
    }
}

/// A slip as the pages show it: the derived fine and who signed what.
#[derive(Debug, Clone, PartialEq)]
pub struct FineView {
    /// The fine as the workflow derives it.
    pub fine: Fine,
    /// The contractor's name.
    pub contractor_name: String,
    /// The notice under which its condition came to hold, when the case shows it.
    pub notice_no: Option<String>,
    /// Who drafted it.
    pub drafted: Option<Signature>,
    /// The approvals the workflow accepted, in order, with who gave them.
    pub approvals: Vec<(FineApprovalStep, Signature)>,
    /// Who voided it, for a voided slip.
    pub voided: Option<Signature>,
    /// The approval the person looking may give now, if any.
    pub approve: Option<FineApprovalStep>,
    /// Whether the person looking may void it now.
    pub may_void: bool,
}

/// A penalty condition a slip may cite now: the condition, the contractor it holds against,
/// and the contractor's name.
#[derive(Debug, Clone, PartialEq)]
pub struct PenaltyChoice {
    /// The condition.
    pub condition: PenaltyCondition,
    /// The contractor.
    pub contractor: ContractorId,
    /// The contractor's name.
    pub name: String,
}

impl PenaltyChoice {
    /// The form value: `2:hengzhu-civil`.
    fn code(&self) -> String {
        format!("{}:{}", self.condition.number(), self.contractor)
    }
}

fn contractor_name(project: &Project, id: &ContractorId) -> String {
    project
        .contractors
        .iter()
        .find(|c| &c.id == id)
        .map_or_else(|| id.to_string(), |c| c.name.clone())
}

/// The timeline in the order the pages show it, each event once.
fn ordered(finding: &Finding) -> Vec<&Event> {
    let mut events: Vec<&Event> = finding.events.iter().collect();
    events.sort_by_key(|e| (e.at, e.id.clone()));
    let mut seen = BTreeSet::new();
    events.retain(|e| seen.insert(e.id.clone()));
    events
}

/// The users who signed any slip or claim of a finding, for [`display_names`].
pub(super) fn signers(finding: &Finding) -> BTreeSet<UserId> {
    finding
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::FineDrafted { .. }
                    | EventKind::FineApproved { .. }
                    | EventKind::FineVoided { .. }
                    | EventKind::ClaimRecorded { .. }
                    | EventKind::ClaimAgreed { .. }
                    | EventKind::ClaimPaid { .. }
            )
        })
        .map(|e| e.actor.user.clone())
        .collect()
}

/// Display names of `users`; an account that is gone keeps its login on the slip.
pub(super) async fn display_names(
    state: &AppState,
    users: BTreeSet<UserId>,
) -> Result<BTreeMap<UserId, String>, crate::store::StoreError> {
    let mut names = BTreeMap::new();
    for user in users {
        if let Some((name, _)) = state.store.user(&user).await? {
            names.insert(user, name);
        }
    }
    Ok(names)
}

/// Every slip of the case, with who drafted, approved and voided it, and what `person` may do
/// to it now.
pub(super) fn fine_views(
    finding: &Finding,
    state: &CaseState,
    project: &Project,
    names: &BTreeMap<UserId, String>,
    person: Person<'_>,
) -> Vec<FineView> {
    let events = ordered(finding);
    state
        .fines
        .iter()
        .map(|fine| {
            let mut drafted = None;
            let mut approvals = Vec::new();
            let mut voided = None;
            for e in &events {
                match &e.kind {
                    EventKind::FineDrafted { fine: id, .. } if id == &fine.id => {
                        drafted.get_or_insert_with(|| Signature::of(e, names));
                    }
                    // The workflow kept the approvals it accepted, in order; the events that
                    // gave them are the first of each step, in that order (an approval it
                    // refused is on the timeline and among the anomalies, not here).
                    EventKind::FineApproved { fine: id, step }
                        if id == &fine.id && fine.approvals.get(approvals.len()) == Some(step) =>
                    {
                        approvals.push((*step, Signature::of(e, names)));
                    }
                    EventKind::FineVoided { fine: id, reason }
                        if id == &fine.id
                            && fine.status == FineStatus::Voided
                            && !reason.trim().is_empty() =>
                    {
                        voided.get_or_insert_with(|| Signature::of(e, names));
                    }
                    _ => {}
                }
            }
            let notice_no = state
                .penalties
                .iter()
                .find(|p| p.condition == fine.condition && p.contractor == fine.contractor)
                .map(|p| p.notice_no.clone());
            let approve = next_step(fine.status).filter(|step| {
                let kind = EventKind::FineApproved {
                    fine: fine.id.clone(),
                    step: *step,
                };
                may(&kind, person, state).is_ok()
            });
            let void = EventKind::FineVoided {
                fine: fine.id.clone(),
                reason: "-".into(),
            };
            FineView {
                approve,
                may_void: may(&void, person, state).is_ok(),
                contractor_name: contractor_name(project, &fine.contractor),
                fine: fine.clone(),
                notice_no,
                drafted,
                approvals,
                voided,
            }
        })
        .collect()
}

/// The conditions a new slip may cite now: those that hold on the case, per contractor, in
/// the order they came to hold, and not yet cited as often as they held.
pub(super) fn penalty_choices(
    state: &CaseState,
    project: &Project,
    person: Person<'_>,
) -> Vec<PenaltyChoice> {
    let mut seen = BTreeSet::new();
    state
        .penalties
        .iter()
        .filter(|p| seen.insert((p.condition, p.contractor.clone())))
        .filter(|p| {
            let kind = EventKind::FineDrafted {
                fine: probe_id(),
                contractor: p.contractor.clone(),
                condition: p.condition,
                amount_fen: FINE_MINIMUM_FEN,
            };
            may(&kind, person, state).is_ok()
        })
        .map(|p| PenaltyChoice {
            condition: p.condition,
            contractor: p.contractor.clone(),
            name: contractor_name(project, &p.contractor),
        })
        .collect()
}

/// The status of a slip in words.
pub fn status_label(status: FineStatus, lang: Lang) -> &'static str {
    match status {
        FineStatus::Drafted => Msg::FineAwaitingLeader,
        FineStatus::LeaderApproved => Msg::FineAwaitingManager,
        FineStatus::Approved => Msg::FineApproved,
        FineStatus::Voided => Msg::FineVoided,
    }
    .text(lang)
}

/// An approval step in words.
pub fn step_label(step: FineApprovalStep, lang: Lang) -> &'static str {
    match step {
        FineApprovalStep::Leader => Msg::ApprovalLeader,
        FineApprovalStep::Manager => Msg::ApprovalManager,
    }
    .text(lang)
}

fn step_code(step: FineApprovalStep) -> &'static str {
    match step {
        FineApprovalStep::Leader => "leader",
        FineApprovalStep::Manager => "manager",
    }
}

/// The approval a slip waits for.
fn next_step(status: FineStatus) -> Option<FineApprovalStep> {
    match status {
        FineStatus::Drafted => Some(FineApprovalStep::Leader),
        FineStatus::LeaderApproved => Some(FineApprovalStep::Manager),
        FineStatus::Approved | FineStatus::Voided => None,
    }
}

pub(super) fn condition_text(condition: PenaltyCondition, lang: Lang) -> String {
    format!(
        "{}. {}",
        condition.number(),
        lang.pick(condition.label_zh(), condition.label_en())
    )
}

/// A placeholder slip id for the precondition of a slip not yet numbered.
fn probe_id() -> FineId {
    FineId::new("probe").expect("`probe` is a valid id")
}

/// A placeholder contractor, for the role check before the form is read.
fn probe_contractor() -> ContractorId {
    ContractorId::new("probe").expect("`probe` is a valid id")
}

/// The section of the case page: the slips, their actions for the person's role, and the
/// drafting form.
#[derive(Debug, Props, Clone, PartialEq)]
pub struct FineSectionProps {
    lang: Lang,
    /// The case page's path.
    base: String,
    csrf: String,
    /// The person's role in the project.
    role: Role,
    fines: Vec<FineView>,
    choices: Vec<PenaltyChoice>,
}

impl FineSectionProps {
    /// The props of the section on the page of the case at `base`.
    pub fn new(
        lang: Lang,
        base: String,
        csrf: String,
        role: Role,
        fines: Vec<FineView>,
        choices: Vec<PenaltyChoice>,
    ) -> Self {
        Self {
            lang,
            base,
            csrf,
            role,
            fines,
            choices,
        }
    }
}

/// The slips of a case (see [`FineSectionProps`]).
#[allow(non_snake_case)] // a component
pub fn FineSection(p: FineSectionProps) -> Element {
    let lang = p.lang;
    let role = p.role;
    let may_draft = EventKind::FineDrafted {
        fine: probe_id(),
        contractor: ContractorId::new("probe").expect("`probe` is a valid id"),
        condition: PenaltyCondition::Refused,
        amount_fen: FINE_MINIMUM_FEN,
    }
    .allows(role);
    let minimum = yuan(FINE_MINIMUM_FEN);
    rsx! {
        section { id: "fines",
            h2 { {Msg::Fines.text(lang)} }
            if p.fines.is_empty() {
                p { {Msg::NoFines.text(lang)} }
            } else {
                table { id: "fine-list",
                    thead { tr {
                        th { {Msg::FineNo.text(lang)} }
                        th { {Msg::Contractor.text(lang)} }
                        th { {Msg::PenaltyCondition.text(lang)} }
                        th { {Msg::AmountYuan.text(lang)} }
                        th { {Msg::Status.text(lang)} }
                        th { {Msg::Approvals.text(lang)} }
                        th { class: "noprint", "" }
                    } }
                    tbody {
                        for v in p.fines.iter() {
                            tr { id: "fine-{v.fine.id}",
                                td {
                                    a { href: "{p.base}/fines/{v.fine.id}", "{v.fine.id}" }
                                    " "
                                    a { class: "noprint", href: "{p.base}/fines/{v.fine.id}", {Msg::PrintFine.text(lang)} }
                                }
                                td { "{v.contractor_name}" }
                                td { {condition_text(v.fine.condition, lang)} }
                                td { {yuan(v.fine.amount_fen)} }
                                td { class: "fine-status",
                                    {status_label(v.fine.status, lang)}
                                    if let Some(reason) = &v.fine.void_reason {
                                        br {}
                                        span { class: "void-reason", {Msg::VoidReason.text(lang)} "：{reason}" }
                                    }
                                    if let Some(sig) = &v.voided {
                                        br {}
                                        span { {sig.text(lang)} }
                                    }
                                }
                                td {
                                    for (step, sig) in v.approvals.iter() {
                                        div { {step_label(*step, lang)} "：" {sig.text(lang)} }
                                    }
                                }
                                td { class: "noprint",
                                    if let Some(step) = v.approve {
                                        form { method: "post", action: "{p.base}/fines/{v.fine.id}/approve",
                                            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                            input { r#type: "hidden", name: "step", value: step_code(step) }
                                            button { r#type: "submit", {step_label(step, lang)} " · " {Msg::Approve.text(lang)} }
                                        }
                                    }
                                    if v.may_void {
                                        form { method: "post", action: "{p.base}/fines/{v.fine.id}/void",
                                            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                            input { name: "reason", required: true, maxlength: MAX_TEXT_CHARS as i64, placeholder: Msg::VoidReason.text(lang), size: 16 }
                                            " "
                                            button { r#type: "submit", {Msg::VoidFine.text(lang)} }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if may_draft {
                div { class: "noprint",
                    h3 { {Msg::DraftFine.text(lang)} }
                    if p.choices.is_empty() {
                        p { id: "no-penalty", {Msg::NoPenaltyHolds.text(lang)} }
                    } else {
                        form { method: "post", action: "{p.base}/fines", id: "fine-form",
                            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                            label { {Msg::PenaltyCondition.text(lang)} " "
                                select { name: "penalty", required: true,
                                    for c in p.choices.iter() {
                                        option { value: "{c.code()}", {condition_text(c.condition, lang)} " · {c.name}" }
                                    }
                                }
                            }
                            " "
                            label { {Msg::AmountYuan.text(lang)} " "
                                input { name: "amount", required: true, inputmode: "decimal", size: 12, placeholder: "{minimum}" }
                            }
                            " "
                            span { class: "hint", {Msg::FineMinimum.text(lang)} }
                            " "
                            button { r#type: "submit", {Msg::DraftFine.text(lang)} }
                        }
                    }
                }
            }
        }
    }
}

/// The drafting form.
#[derive(Debug, Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    csrf: String,
    /// `N:contractor`, from [`PenaltyChoice::code`].
    #[serde(default)]
    penalty: String,
    /// Yuan, as typed.
    #[serde(default)]
    amount: String,
}

/// The approval form.
#[derive(Debug, Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    csrf: String,
    /// `leader` or `manager`.
    #[serde(default)]
    step: String,
}

/// The void form.
#[derive(Debug, Deserialize)]
pub struct VoidForm {
    #[serde(default)]
    csrf: String,
    /// Why; required.
    #[serde(default)]
    reason: String,
}

posted_with_csrf_field!(DraftForm, ApproveForm, VoidForm);

/// `POST /cases/{unit}/{finding}/fines`: drafts a fine slip, numbered in the year's series
/// (`FK-YYYY-NNNN`) when it is stored.
pub async fn draft(
    State(state): State<AppState>,
    action: CaseForm<DraftForm>,
) -> Result<Response, WebError> {
    let probe = |condition, contractor| EventKind::FineDrafted {
        fine: probe_id(),
        contractor,
        condition,
        amount_fen: FINE_MINIMUM_FEN,
    };
    action.role_may(&probe(PenaltyCondition::Refused, probe_contractor()))?;
    let penalty = action.form.penalty.trim();
    if penalty.is_empty() {
        return Err(action.bad_pick("请选择处罚条件。", "Choose the penalty condition."));
    }
    let (condition, contractor) = penalty
        .split_once(':')
        .and_then(|(n, c)| {
            let condition = PenaltyCondition::ALL
                .into_iter()
                .find(|x| x.number().to_string() == n)?;
            Some((condition, ContractorId::new(c).ok()?))
        })
        .ok_or_else(|| action.bad_pick("处罚条件无效。", "The penalty condition is not valid."))?;
    let amount_fen = parse_yuan(&action.form.amount).map_err(|e| {
        let (zh, en) = e.text();
        action.bad_pick(zh, en)
    })?;
    let make = move |number: String| EventKind::FineDrafted {
        fine: FineId::new(number).expect("a formatted slip number is a valid id"),
        contractor: contractor.clone(),
        condition,
        amount_fen,
    };
    action.append_numbered(&state, Series::Fine, make).await
}

/// `POST /cases/{unit}/{finding}/fines/{fine}/approve`: one approval, in its order, by the
/// role that gives it and by a person who neither drafted the slip nor gave its other step.
pub async fn approve(
    State(state): State<AppState>,
    action: CaseForm<ApproveForm>,
) -> Result<Response, WebError> {
    let fine: FineId = action.param("fine").ok_or_else(|| no_such_fine(&action))?;
    let step = match action.form.step.as_str() {
        "leader" => FineApprovalStep::Leader,
        "manager" => FineApprovalStep::Manager,
        _ => return Err(action.bad_pick("审批步骤无效。", "The approval step is not valid.")),
    };
    let kind = EventKind::FineApproved { fine, step };
    action.append(&state, NewEvent::Plain(kind)).await
}

/// `POST /cases/{unit}/{finding}/fines/{fine}/void`: voids a slip with a reason. The slip stays
/// on the case and on paper, marked void.
pub async fn void(
    State(state): State<AppState>,
    action: CaseForm<VoidForm>,
) -> Result<Response, WebError> {
    let fine: FineId = action.param("fine").ok_or_else(|| no_such_fine(&action))?;
    let reason = action.form.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(action.bad_pick(
            "作废罚款单须填写原因。",
            "Write why the fine slip is voided.",
        ));
    }
    if reason.chars().count() > MAX_TEXT_CHARS {
        return Err(action.bad_pick(
            "作废原因最多 500 字。",
            "The reason may have at most 500 characters.",
        ));
    }
    let kind = EventKind::FineVoided { fine, reason };
    action.append(&state, NewEvent::Plain(kind)).await
}

/// The answer to a slip number that names no slip.
fn no_such_fine<F>(action: &CaseForm<F>) -> WebError {
    super::fine_slip::fine_not_found(&action.staff).into()
}
