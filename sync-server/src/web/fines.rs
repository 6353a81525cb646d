//! Fine slips (罚款单) on a case: drafting one, its approvals in their order, voiding it with a
//! reason, and the printable slip.
//!
//! A fine slip is a run of events on the finding's timeline, never a row to edit:
//! `FineDrafted` (the penalty condition, the contractor, the amount), then `FineApproved` by
//! the team leader and then by the manager ([`FineApprovalStep`]), or `FineVoided` with a
//! reason at any point. The workflow derives where each slip stands ([`Fine`],
//! [`FineStatus`]); voided slips stay on the case and on paper, marked void.
//!
//! What the rules allow, and where it is enforced:
//! - A slip cites a penalty condition that holds on the case against that contractor (the
//!   workflow flags any other as an anomaly), so the form offers exactly those; and one slip
//!   per time a condition came to hold, so a form sent twice does not fine twice.
//! - The amount is at least 5,000 CNY ([`FINE_MINIMUM_FEN`]).
//! - Who may draft, approve each step and void is `EventKind::allows`, the rule the sync
//!   applies to devices too; the page only hides what the role may not do.
//! - The order of approvals and "void once" are checked under the document's lock
//!   (`case_detail::append_checked`), and the workflow's anomalies are the backstop.
//!
//! Slips drafted here are numbered per year, `FK-2026-0001`; the number is the fine's id, so
//! the paper and the record name the slip alike. A slip drafted on a device keeps its random id
//! as its number.

use std::collections::{BTreeMap, BTreeSet};

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use dioxus::prelude::*;
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::event::{Event, EventKind, FineApprovalStep};
use plumbline_shared::ids::{ContractorId, FineId, UserId};
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::{CaseState, FINE_MINIMUM_FEN, Fine, FineStatus, PenaltyCondition};
use serde::Deserialize;

use super::case_actions::MAX_TEXT_CHARS;
use super::case_detail::{
    append_checked, bad_request, beijing, checked_post, context, ids, load, not_found,
    role_refusal, unreadable_form,
};
use super::i18n::{Lang, Msg};
use super::labels;
use super::layout::{internal, message_page, render};
use super::money::{capital, parse_yuan, yuan};
use super::session::Staff;
use crate::state::AppState;

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

/// Every slip of the case, with who drafted, approved and voided it.
pub(super) fn fine_views(
    finding: &Finding,
    state: &CaseState,
    project: &Project,
    names: &BTreeMap<UserId, String>,
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
            FineView {
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

/// The conditions a new slip may cite: those that hold on the case, per contractor, in the
/// order they came to hold.
pub(super) fn penalty_choices(state: &CaseState, project: &Project) -> Vec<PenaltyChoice> {
    let mut seen = BTreeSet::new();
    state
        .penalties
        .iter()
        .filter(|p| seen.insert((p.condition, p.contractor.clone())))
        .map(|p| PenaltyChoice {
            condition: p.condition,
            contractor: p.contractor.clone(),
            name: contractor_name(project, &p.contractor),
        })
        .collect()
}

/// Why a new slip citing `condition` against `contractor` may not be drafted on the case as it
/// stands, in `lang`: the condition does not hold, or every time it came to hold already has a
/// slip that is not void.
fn draft_refusal(
    state: &CaseState,
    condition: PenaltyCondition,
    contractor: &ContractorId,
    lang: Lang,
) -> Option<String> {
    let held = state
        .penalties
        .iter()
        .filter(|p| p.condition == condition && &p.contractor == contractor)
        .count();
    if held == 0 {
        return Some(
            lang.pick(
                "该处罚条件在本案件中对该施工单位不成立，不能据此开具罚款单。",
                "That penalty condition does not hold against that contractor on this case, so \
                 no fine slip can cite it.",
            )
            .to_owned(),
        );
    }
    let open: Vec<&Fine> = state
        .fines
        .iter()
        .filter(|f| {
            f.condition == condition
                && &f.contractor == contractor
                && f.status != FineStatus::Voided
        })
        .collect();
    if open.len() >= held {
        let numbers = open
            .iter()
            .map(|f| f.id.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Some(match lang {
            Lang::Zh => format!(
                "该处罚条件已开具罚款单 {numbers}；同一条件只开一张。如需改开，请先作废原罚款单。"
            ),
            Lang::En => format!(
                "Fine slip {numbers} already cites that condition; one slip per condition. To \
                 redo it, void that slip first."
            ),
        });
    }
    None
}

/// Why approving `fine` at `step` is out of order, in `lang`.
fn approval_refusal(fine: &Fine, step: FineApprovalStep, lang: Lang) -> Option<String> {
    let (zh, en) = match (fine.status, step) {
        (FineStatus::Drafted, FineApprovalStep::Leader)
        | (FineStatus::LeaderApproved, FineApprovalStep::Manager) => return None,
        (FineStatus::Voided, _) => (
            "该罚款单已作废，不能审批。",
            "This fine slip is void; it cannot be approved.",
        ),
        (FineStatus::Drafted, FineApprovalStep::Manager) => (
            "审批须按顺序：先由组长（总协调员）审批，再由经理审批。",
            "Approvals go in order: the team leader first, then the manager.",
        ),
        (FineStatus::LeaderApproved, FineApprovalStep::Leader)
        | (FineStatus::Approved, FineApprovalStep::Leader) => (
            "组长（总协调员）已审批过该罚款单。",
            "The team leader has already approved this fine slip.",
        ),
        (FineStatus::Approved, FineApprovalStep::Manager) => (
            "经理已审批过该罚款单。",
            "The manager has already approved this fine slip.",
        ),
    };
    Some(lang.pick(zh, en).to_owned())
}

fn void_refusal(fine: &Fine, lang: Lang) -> Option<String> {
    (fine.status == FineStatus::Voided).then(|| {
        lang.pick(
            "该罚款单已作废，不能再次作废。",
            "This fine slip is already void.",
        )
        .to_owned()
    })
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

fn condition_text(condition: PenaltyCondition, lang: Lang) -> String {
    format!(
        "{}. {}",
        condition.number(),
        lang.pick(condition.label_zh(), condition.label_en())
    )
}

/// A placeholder slip id for role checks, which depend on the kind of event only.
fn probe_id() -> FineId {
    FineId::new("probe").expect("`probe` is a valid id")
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
    let may_void = EventKind::FineVoided {
        fine: probe_id(),
        reason: String::new(),
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
                                    if let Some(step) = next_step(v.fine.status).filter(|s| {
                                        EventKind::FineApproved { fine: probe_id(), step: *s }.allows(role)
                                    }) {
                                        form { method: "post", action: "{p.base}/fines/{v.fine.id}/approve",
                                            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                            input { r#type: "hidden", name: "step", value: step_code(step) }
                                            button { r#type: "submit", {step_label(step, lang)} " · " {Msg::Approve.text(lang)} }
                                        }
                                    }
                                    if may_void && v.fine.status != FineStatus::Voided {
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

/// `POST /cases/{unit}/{finding}/fines`: drafts a fine slip.
pub async fn draft(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding)): Path<(String, String)>,
    form: Result<Form<DraftForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return unreadable_form(&staff);
    };
    let (unit, finding) = match checked_post(&staff, &form.csrf, &unit, &finding) {
        Ok(ids) => ids,
        Err(page) => return page,
    };
    let lang = staff.lang;
    let (_, role) = match context(&state, &staff, &unit).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let probe = EventKind::FineDrafted {
        fine: probe_id(),
        contractor: ContractorId::new("probe").expect("`probe` is a valid id"),
        condition: PenaltyCondition::Refused,
        amount_fen: FINE_MINIMUM_FEN,
    };
    if let Some(refused) = role_refusal(&staff, role, &probe) {
        return refused;
    }
    let penalty = form.penalty.trim();
    if penalty.is_empty() {
        let m = lang.pick("请选择处罚条件。", "Choose the penalty condition.");
        return bad_request(&staff, m);
    }
    let parsed = penalty.split_once(':').and_then(|(n, c)| {
        let condition = PenaltyCondition::ALL
            .into_iter()
            .find(|x| x.number().to_string() == n)?;
        Some((condition, ContractorId::new(c).ok()?))
    });
    let Some((condition, contractor)) = parsed else {
        let m = lang.pick("处罚条件无效。", "The penalty condition is not valid.");
        return bad_request(&staff, m);
    };
    let amount_fen = match parse_yuan(&form.amount) {
        Ok(fen) => fen,
        Err(e) => {
            let (zh, en) = e.text();
            return bad_request(&staff, lang.pick(zh, en));
        }
    };
    if amount_fen < FINE_MINIMUM_FEN {
        let m = lang.pick(
            "罚款金额不得低于 5,000 元。",
            "A fine may not be below 5,000 yuan.",
        );
        return bad_request(&staff, m);
    }
    let loaded = match load(&state, &unit, &finding).await {
        Ok(Some(l)) => l,
        Ok(None) => return not_found(&staff),
        Err(e) => return internal(e),
    };
    if let Some(m) = draft_refusal(&loaded.state, condition, &contractor, lang) {
        return bad_request(&staff, &m);
    }
    // The number is taken only once every check passed, so refused attempts use none.
    let at = state.now();
    let year = at.to_datetime().map_or(2026, |d| d.year());
    let number = match state.store.next_fine_number(year).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let fine = match FineId::new(format!("FK-{year}-{number:04}")) {
        Ok(id) => id,
        Err(e) => return internal(e),
    };
    let kind = EventKind::FineDrafted {
        fine,
        contractor: contractor.clone(),
        condition,
        amount_fen,
    };
    append_checked(&state, &staff, &unit, &finding, role, kind, move |st| {
        draft_refusal(st, condition, &contractor, lang).map_or(Ok(()), Err)
    })
    .await
}

/// The page for a slip number the case does not hold.
fn fine_not_found(staff: &Staff) -> Response {
    let m = staff.lang.pick(
        "本案件没有这张罚款单。",
        "This case has no fine slip with that number.",
    );
    message_page(StatusCode::NOT_FOUND, staff.lang, m, Some(staff.top_bar()))
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

/// `POST /cases/{unit}/{finding}/fines/{fine}/approve`: one approval, in its order, by the
/// role that gives it.
pub async fn approve(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding, fine)): Path<(String, String, String)>,
    form: Result<Form<ApproveForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return unreadable_form(&staff);
    };
    let (unit, finding) = match checked_post(&staff, &form.csrf, &unit, &finding) {
        Ok(ids) => ids,
        Err(page) => return page,
    };
    let lang = staff.lang;
    let Ok(fine) = FineId::new(fine) else {
        return fine_not_found(&staff);
    };
    let step = match form.step.as_str() {
        "leader" => FineApprovalStep::Leader,
        "manager" => FineApprovalStep::Manager,
        _ => {
            let m = lang.pick("审批步骤无效。", "The approval step is not valid.");
            return bad_request(&staff, m);
        }
    };
    let (_, role) = match context(&state, &staff, &unit).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let kind = EventKind::FineApproved {
        fine: fine.clone(),
        step,
    };
    if let Some(refused) = role_refusal(&staff, role, &kind) {
        return refused;
    }
    let loaded = match load(&state, &unit, &finding).await {
        Ok(Some(l)) => l,
        Ok(None) => return not_found(&staff),
        Err(e) => return internal(e),
    };
    // Slips are never deleted, so one found now is still there under the lock.
    let Some(current) = loaded.state.fines.iter().find(|f| f.id == fine) else {
        return fine_not_found(&staff);
    };
    if let Some(m) = approval_refusal(current, step, lang) {
        return bad_request(&staff, &m);
    }
    append_checked(
        &state,
        &staff,
        &unit,
        &finding,
        role,
        kind,
        move |st| match st.fines.iter().find(|f| f.id == fine) {
            Some(f) => approval_refusal(f, step, lang).map_or(Ok(()), Err),
            None => Err(lang
                .pick("本案件没有这张罚款单。", "This case has no such fine slip.")
                .to_owned()),
        },
    )
    .await
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

/// `POST /cases/{unit}/{finding}/fines/{fine}/void`: voids a slip with a reason. The slip stays
/// on the case and on paper, marked void.
pub async fn void(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding, fine)): Path<(String, String, String)>,
    form: Result<Form<VoidForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return unreadable_form(&staff);
    };
    let (unit, finding) = match checked_post(&staff, &form.csrf, &unit, &finding) {
        Ok(ids) => ids,
        Err(page) => return page,
    };
    let lang = staff.lang;
    let Ok(fine) = FineId::new(fine) else {
        return fine_not_found(&staff);
    };
    let (_, role) = match context(&state, &staff, &unit).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let probe = EventKind::FineVoided {
        fine: fine.clone(),
        reason: String::new(),
    };
    if let Some(refused) = role_refusal(&staff, role, &probe) {
        return refused;
    }
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() {
        let m = lang.pick(
            "作废罚款单须填写原因。",
            "Write why the fine slip is voided.",
        );
        return bad_request(&staff, m);
    }
    if reason.chars().count() > MAX_TEXT_CHARS {
        let m = lang.pick(
            "作废原因最多 500 字。",
            "The reason may have at most 500 characters.",
        );
        return bad_request(&staff, m);
    }
    let loaded = match load(&state, &unit, &finding).await {
        Ok(Some(l)) => l,
        Ok(None) => return not_found(&staff),
        Err(e) => return internal(e),
    };
    let Some(current) = loaded.state.fines.iter().find(|f| f.id == fine) else {
        return fine_not_found(&staff);
    };
    if let Some(m) = void_refusal(current, lang) {
        return bad_request(&staff, &m);
    }
    let kind = EventKind::FineVoided {
        fine: fine.clone(),
        reason,
    };
    append_checked(
        &state,
        &staff,
        &unit,
        &finding,
        role,
        kind,
        move |st| match st.fines.iter().find(|f| f.id == fine) {
            Some(f) => void_refusal(f, lang).map_or(Ok(()), Err),
            None => Err(lang
                .pick("本案件没有这张罚款单。", "This case has no such fine slip.")
                .to_owned()),
        },
    )
    .await
}

/// The departments that receive a copy of every slip (DESIGN.md §2).
const COPIES_ZH: &str = "成本控制部、经济处、财务部、合约部";
const COPIES_EN: &str = "Cost control, economic office, finance, contracts";

/// `GET /cases/{unit}/{finding}/fines/{fine}`: the printable 罚款单.
pub async fn print(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding, fine)): Path<(String, String, String)>,
) -> Response {
    let Some((unit, finding)) = ids(&unit, &finding) else {
        return not_found(&staff);
    };
    let Ok(fine) = FineId::new(fine) else {
        return fine_not_found(&staff);
    };
    let loaded = match load(&state, &unit, &finding).await {
        Ok(Some(l)) => l,
        Ok(None) => return not_found(&staff),
        Err(e) => return internal(e),
    };
    // Office staff only, like the case page: a slip names amounts and signatures that are the
    // center's business until it is sent.
    if !matches!(staff.role_in(&loaded.project.id), Some(r) if r != Role::Contractor) {
        return not_found(&staff);
    }
    let names = match display_names(&state, signers(&loaded.finding)).await {
        Ok(n) => n,
        Err(e) => return internal(e),
    };
    let Some(v) = fine_views(&loaded.finding, &loaded.state, &loaded.project, &names)
        .into_iter()
        .find(|v| v.fine.id == fine)
    else {
        return fine_not_found(&staff);
    };
    let lang = staff.lang;
    let f = &loaded.finding;
    let project_name = lang
        .pick(&loaded.project.name_zh, &loaded.project.name_en)
        .to_owned();
    let capital_text = capital(v.fine.amount_fen).unwrap_or_default();
    let voided = v.fine.status == FineStatus::Voided;
    let steps = [FineApprovalStep::Leader, FineApprovalStep::Manager];
    let body = rsx! {
        article { class: "fine-slip",
            h1 { style: "text-align:center", {Msg::FineTitle.text(lang)} }
            if voided {
                p { id: "void-mark", style: "text-align:center;margin:0",
                    span { style: "display:inline-block;border:4px solid #b00020;color:#b00020;font-size:2rem;font-weight:700;padding:.1rem 1.2rem;transform:rotate(-6deg)",
                        {Msg::VoidMark.text(lang)}
                    }
                }
            }
            p { {Msg::FineNo.text(lang)} "：" span { id: "fine-no", "{v.fine.id}" } }
            table {
                tr { th { {Msg::Project.text(lang)} } td { "{project_name}" } }
                tr { th { {Msg::Unit.text(lang)} } td { "{unit}" } }
                tr { th { {Msg::Contractor.text(lang)} } td { id: "fine-contractor", "{v.contractor_name}" } }
                tr { th { {Msg::Defect.text(lang)} } td { {labels::room(lang, f.room.as_str())} " / " {labels::item(lang, f.item.as_str())} " · {f.description}" } }
                if let Some(n) = &v.notice_no {
                    tr { th { {Msg::NoticeTitle.text(lang)} } td { "{n}" } }
                }
                tr { th { {Msg::PenaltyCondition.text(lang)} } td { id: "fine-condition", {condition_text(v.fine.condition, lang)} } }
                tr { th { {Msg::AmountFigures.text(lang)} } td { id: "amount-figures", "¥" {yuan(v.fine.amount_fen)} } }
                tr { th { {Msg::AmountCapital.text(lang)} } td { id: "amount-capital", "人民币{capital_text}" } }
                tr { th { {Msg::DraftedBy.text(lang)} } td { {v.drafted.as_ref().map(|s| s.text(lang)).unwrap_or_default()} } }
                for step in steps {
                    tr { class: "approval",
                        th { {step_label(step, lang)} }
                        td {
                            {
                                v.approvals
                                    .iter()
                                    .find(|(s, _)| *s == step)
                                    .map_or_else(|| Msg::Pending.text(lang).to_owned(), |(_, sig)| sig.text(lang))
                            }
                        }
                    }
                }
                if voided {
                    tr { id: "void-row",
                        th { {Msg::FineVoided.text(lang)} }
                        td {
                            {Msg::VoidReason.text(lang)} "：" {v.fine.void_reason.clone().unwrap_or_default()}
                            if let Some(sig) = &v.voided { " · " {sig.text(lang)} }
                        }
                    }
                }
                tr { th { {Msg::Copies.text(lang)} } td { {lang.pick(COPIES_ZH, COPIES_EN)} } }
            }
            p { style: "margin-top:3rem", {Msg::ContractorSignLine.text(lang)} }
        }
    };
    render(lang, Msg::FineTitle.text(lang), Some(staff.top_bar()), body).into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use plumbline_shared::workflow::Penalty;

    use super::*;

    fn fine(status: FineStatus) -> Fine {
        Fine {
            id: FineId::new("FK-2026-0001").unwrap(),
            contractor: ContractorId::new("hengzhu-civil").unwrap(),
            condition: PenaltyCondition::Refused,
            amount_fen: FINE_MINIMUM_FEN,
            drafted_at: Timestamp(0),
            approvals: Vec::new(),
            status,
            void_reason: None,
        }
    }

    #[test]
    fn approvals_go_leader_then_manager_and_never_on_a_void_slip() {
        use FineApprovalStep::*;
        for (status, step, ok) in [
            (FineStatus::Drafted, Leader, true),
            (FineStatus::Drafted, Manager, false),
            (FineStatus::LeaderApproved, Manager, true),
            (FineStatus::LeaderApproved, Leader, false),
            (FineStatus::Approved, Manager, false),
            (FineStatus::Approved, Leader, false),
            (FineStatus::Voided, Leader, false),
            (FineStatus::Voided, Manager, false),
        ] {
            let refusal = approval_refusal(&fine(status), step, Lang::En);
            assert_eq!(refusal.is_none(), ok, "{status:?} {step:?}: {refusal:?}");
            assert_eq!(next_step(status) == Some(step), ok, "{status:?} {step:?}");
        }
        assert!(void_refusal(&fine(FineStatus::Voided), Lang::Zh).is_some());
        assert!(void_refusal(&fine(FineStatus::Approved), Lang::Zh).is_none());
    }

    #[test]
    fn one_slip_per_time_a_condition_held() {
        let contractor = ContractorId::new("hengzhu-civil").unwrap();
        let penalty = |notice: &str| Penalty {
            condition: PenaltyCondition::Refused,
            contractor: contractor.clone(),
            notice_no: notice.into(),
            since: Timestamp(0),
            event: None,
        };
        // The state of an empty timeline, given the penalties and fines of each scenario.
        let mut state = CaseState::derive(
            &plumbline_shared::workflow::Timeline {
                events: &[],
                receipts: &BTreeMap::new(),
            },
            Timestamp(0),
            &plumbline_shared::workflow::WorkflowSettings::default(),
        );
        let cite =
            |s: &CaseState| draft_refusal(s, PenaltyCondition::Refused, &contractor, Lang::En);
        assert!(cite(&state).is_some(), "the condition does not hold");
        state.penalties.push(penalty("ZG-2026-0001"));
        assert!(cite(&state).is_none());
        state.fines.push(fine(FineStatus::Drafted));
        assert!(cite(&state).unwrap().contains("FK-2026-0001"));
        state.fines[0].status = FineStatus::Voided;
        assert!(cite(&state).is_none(), "a void slip may be redone");
        state.fines[0].status = FineStatus::Approved;
        state.penalties.push(penalty("ZG-2026-0002"));
        assert!(
            cite(&state).is_none(),
            "it held a second time, under another notice"
        );
        let other = ContractorId::new("other").unwrap();
        assert!(draft_refusal(&state, PenaltyCondition::Refused, &other, Lang::En).is_some());
    }
}
