//! What may happen to a case next: one precondition per office action, decided on the derived
//! [`CaseState`] for a person.
//!
//! Every action on a case appends one event, so the action *is* the event it would append:
//! [`may`] takes that event's kind, the person and the case as it stands, and answers `Ok` or a
//! [`Refusal`] holding the facts (the status, the slip, the amounts) that the office web, the
//! API and the app put into their own sentences ([`Refusal::sentence`] gives the one the web
//! shows). The web offers exactly the actions whose precondition holds for this person now and
//! checks the same function again under the document's lock when the form comes back.
//!
//! The state machine in `derive` stays the judge of what arrives by sync from phones that acted
//! offline on an older view: there, an event that does not fit becomes an anomaly rather than a
//! refusal. [`may`] is its forward-looking twin: for every status and event, `may` allows an
//! event exactly when appending it would leave no anomaly (tested below), plus the rules that
//! only an action taken now can obey — a reason for a dissatisfied owner, two different people
//! to approve a fine, a claim paid no more than agreed.

use crate::event::{EventKind, FineApprovalStep, Satisfaction};
use crate::ids::{ClaimId, ContractorId, FineId, UserId};
use crate::lang::Lang;
use crate::role::Role;
use crate::workflow::{CaseState, FINE_MINIMUM_FEN, FineStatus, PenaltyCondition, Status};

/// Who would act.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    /// The person.
    pub user: &'a UserId,
    /// The role they act in on this case's project.
    pub role: Role,
}

/// Why an action may not happen now, with the facts a sentence needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The person's role may not take this action at all.
    #[error("a {role:?} may not record `{action}`")]
    Role {
        /// The role.
        role: Role,
        /// The event's machine name.
        action: &'static str,
    },
    /// The case was cancelled or merged: nothing more happens to it.
    #[error("the case is {status}; nothing more happens to it")]
    Ended {
        /// Cancelled or merged.
        status: Status,
    },
    /// The action does not fit where the case stands.
    #[error("`{action}` does not fit a case that is {status}")]
    NotNow {
        /// The event's machine name.
        action: &'static str,
        /// Where the case stands.
        status: Status,
    },
    /// An acceptance with no repair reported.
    #[error("no repair awaits acceptance (the case is {status})")]
    NoRepairToAccept {
        /// Where the case stands.
        status: Status,
    },
    /// A callback before the repair was accepted, or a second one on a closed case.
    #[error("the owner is called back once, after the repair is accepted (the case is {status})")]
    CallbackNotDue {
        /// Where the case stands.
        status: Status,
    },
    /// A reason (a dissatisfied owner's, a void's, a refusal's) is required and was blank.
    #[error("a reason is required")]
    ReasonRequired,
    /// An amount below zero.
    #[error("the amount may not be negative")]
    NegativeAmount,
    /// A fine below the rules' minimum.
    #[error("a fine may not be below 5,000 yuan")]
    FineBelowMinimum,
    /// The condition a fine cites does not hold against that contractor.
    #[error("penalty condition {condition} does not hold against `{contractor}`")]
    ConditionNotHeld {
        /// The condition cited.
        condition: PenaltyCondition,
        /// The contractor named.
        contractor: ContractorId,
    },
    /// The condition already has its slip (one slip per condition and contractor).
    #[error("condition {condition} already has slip {existing}")]
    ConditionAlreadyFined {
        /// The condition cited.
        condition: PenaltyCondition,
        /// The slip that cites it.
        existing: FineId,
    },
    /// A slip with this number exists already.
    #[error("fine slip {fine} exists already")]
    FineExists {
        /// The slip.
        fine: FineId,
    },
    /// No such slip on the case.
    #[error("the case has no fine slip {fine}")]
    NoSuchFine {
        /// The slip named.
        fine: FineId,
    },
    /// The slip is void: it takes no approval.
    #[error("fine slip {fine} is void")]
    FineVoid {
        /// The slip.
        fine: FineId,
    },
    /// The slip is void already.
    #[error("fine slip {fine} is void already")]
    AlreadyVoid {
        /// The slip.
        fine: FineId,
    },
    /// The claim is paid in full.
    #[error("claim {claim} is paid in full")]
    ClaimSettled {
        /// The claim.
        claim: ClaimId,
    },
    /// The approval comes out of its order (leader, then manager) or twice.
    #[error("fine slip {fine} is {status:?}; the {step:?} approval does not come next")]
    ApprovalOutOfOrder {
        /// The slip.
        fine: FineId,
        /// Where the slip stands.
        status: FineStatus,
        /// The approval asked for.
        step: FineApprovalStep,
    },
    /// The person drafted the slip: a second person must approve it.
    #[error("the drafter of fine slip {fine} may not approve it")]
    OwnDraft {
        /// The slip.
        fine: FineId,
    },
    /// The person already approved the slip's other step.
    #[error("one person may not give both approvals of fine slip {fine}")]
    SameApprover {
        /// The slip.
        fine: FineId,
    },
    /// A claim with this id exists already.
    #[error("claim {claim} exists already")]
    ClaimExists {
        /// The claim.
        claim: ClaimId,
    },
    /// No such claim on the case.
    #[error("the case has no claim {claim}")]
    NoSuchClaim {
        /// The claim named.
        claim: ClaimId,
    },
    /// The amount agreed is above the amount claimed.
    #[error("{agreed_fen} fen agreed is above the {claimed_fen} fen claimed")]
    AgreedAboveClaimed {
        /// Claimed, in fen.
        claimed_fen: i64,
        /// Agreed, in fen.
        agreed_fen: i64,
    },
    /// Paid before any amount was agreed.
    #[error("claim {claim} has no agreed amount yet")]
    NotAgreed {
        /// The claim.
        claim: ClaimId,
    },
    /// Something was paid already: the agreed amount stands.
    #[error("claim {claim} is being paid; its agreed amount can no longer change")]
    PaymentStarted {
        /// The claim.
        claim: ClaimId,
    },
    /// The payment is above what remains to pay.
    #[error("{paid_fen} fen is above the {remaining_fen} fen that remain to pay")]
    PaidAboveRemaining {
        /// The payment, in fen.
        paid_fen: i64,
        /// What remains of the agreed amount, in fen.
        remaining_fen: i64,
    },
    /// A reassignment to the contractor the case already has.
    #[error("the case is already with `{contractor}`")]
    SameContractor {
        /// The contractor named.
        contractor: ContractorId,
    },
    /// The event is not an office action on an existing case (recording a finding).
    #[error("`{action}` is not an action on an existing case")]
    NotAnAction {
        /// The event's machine name.
        action: &'static str,
    },
}

/// Yuan from fen, for sentences, grouped as money is written: 250000 → "2,500.00".
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

impl Refusal {
    /// The sentence the office web shows, in `lang`.
    pub fn sentence(&self, lang: Lang) -> String {
        let status = |s: &Status| lang.pick(s.label_zh(), s.label_en()).to_owned();
        match (self, lang) {
            (Self::Role { .. }, _) => lang
                .pick(
                    "您的角色不能办理这一步。",
                    "Your role may not take this step.",
                )
                .to_owned(),
            (Self::Ended { status: s }, Lang::Zh) => format!("案件已{}，不能再办理。", status(s)),
            (Self::Ended { status: s }, Lang::En) => {
                format!(
                    "The case is {}; nothing more can be done on it.",
                    status(s).to_lowercase()
                )
            }
            (
                Self::NotNow {
                    action: "reassigned",
                    ..
                },
                _,
            ) => lang
                .pick(
                    "只有施工单位提出异议或拒收通知单后才能改派。",
                    "A case is reassigned only after its contractor disputed or refused the notice.",
                )
                .to_owned(),
            (Self::NotNow { status: s, .. }, Lang::Zh) => {
                format!("案件当前为“{}”，不能办理这一步。", status(s))
            }
            (Self::NotNow { status: s, .. }, Lang::En) => {
                format!(
                    "The case is {}: this step does not fit now.",
                    status(s).to_lowercase()
                )
            }
            (Self::NoRepairToAccept { status: s }, Lang::Zh) => {
                format!("案件当前为“{}”，没有待验收的整改。", status(s))
            }
            (Self::NoRepairToAccept { status: s }, Lang::En) => format!(
                "The case is {}: no repair awaits acceptance.",
                status(s).to_lowercase()
            ),
            (Self::CallbackNotDue { status: s }, Lang::Zh) => {
                format!("案件当前为“{}”：验收通过后回访一次业主。", status(s))
            }
            (Self::CallbackNotDue { status: s }, Lang::En) => format!(
                "The case is {}: the owner is called back once, after the repair is accepted.",
                status(s).to_lowercase()
            ),
            (Self::ReasonRequired, _) => lang.pick("请填写原因。", "Write the reason.").to_owned(),
            (Self::NegativeAmount, _) => lang
                .pick("金额不能为负数。", "The amount may not be negative.")
                .to_owned(),
            (Self::FineBelowMinimum, _) => lang
                .pick(
                    "罚款金额不得低于 5,000 元。",
                    "A fine may not be below 5,000 yuan.",
                )
                .to_owned(),
            (Self::ConditionNotHeld { .. }, _) => lang
                .pick(
                    "该处罚条件在本案件中对该施工单位不成立，不能据此开具罚款单。",
                    "That penalty condition does not hold against that contractor on this case, \
                     so no fine slip can cite it.",
                )
                .to_owned(),
            (Self::ConditionAlreadyFined { existing, .. }, Lang::Zh) => format!(
                "该处罚条件已开具罚款单 {existing}；同一条件只开一张。如需改开，请先作废原罚款单。"
            ),
            (Self::ConditionAlreadyFined { existing, .. }, Lang::En) => format!(
                "Fine slip {existing} already cites that condition; one slip per condition. To \
                 redo it, void that slip first."
            ),
            (Self::FineExists { fine }, Lang::Zh) => format!("罚款单 {fine} 已存在。"),
            (Self::FineExists { fine }, Lang::En) => format!("Fine slip {fine} exists already."),
            (Self::NoSuchFine { .. }, _) => lang
                .pick(
                    "本案件没有这张罚款单。",
                    "This case has no fine slip with that number.",
                )
                .to_owned(),
            (Self::FineVoid { .. }, _) => lang
                .pick(
                    "该罚款单已作废，不能审批。",
                    "This fine slip is void; it cannot be approved.",
                )
                .to_owned(),
            (Self::AlreadyVoid { .. }, _) => lang
                .pick(
                    "该罚款单已作废，不能再次作废。",
                    "This fine slip is already void.",
                )
                .to_owned(),
            (Self::ClaimSettled { .. }, _) => lang
                .pick(
                    "该索赔已登记支付，已全部付清。",
                    "This claim is paid in full.",
                )
                .to_owned(),
            (Self::ApprovalOutOfOrder { status, step, .. }, _) => {
                let (zh, en) = match (status, step) {
                    (FineStatus::Drafted, FineApprovalStep::Manager) => (
                        "审批须按顺序：先由组长（总协调员）审批，再由经理审批。",
                        "Approvals go in order: the team leader first, then the manager.",
                    ),
                    (_, FineApprovalStep::Leader) => (
                        "组长（总协调员）已审批过该罚款单。",
                        "The team leader has already approved this fine slip.",
                    ),
                    (_, FineApprovalStep::Manager) => (
                        "经理已审批过该罚款单。",
                        "The manager has already approved this fine slip.",
                    ),
                };
                lang.pick(zh, en).to_owned()
            }
            (Self::OwnDraft { .. }, _) => lang
                .pick(
                    "开具罚款单的人不能审批自己开具的罚款单，须由另一人审批。",
                    "Whoever drafted a fine slip may not approve it: another person must.",
                )
                .to_owned(),
            (Self::SameApprover { .. }, _) => lang
                .pick(
                    "同一人不能同时作两级审批，须由另一人审批。",
                    "One person may not give both approvals of a slip: another person must.",
                )
                .to_owned(),
            (Self::ClaimExists { .. }, _) => lang
                .pick("该索赔已登记。", "This claim is recorded already.")
                .to_owned(),
            (Self::NoSuchClaim { .. }, _) => lang
                .pick("本案件没有这笔索赔。", "This case has no such claim.")
                .to_owned(),
            (Self::AgreedAboveClaimed { claimed_fen, .. }, Lang::Zh) => {
                format!("确认金额不能超过索赔金额 {} 元。", yuan(*claimed_fen))
            }
            (Self::AgreedAboveClaimed { claimed_fen, .. }, Lang::En) => format!(
                "The amount agreed may not be above the {} yuan claimed.",
                yuan(*claimed_fen)
            ),
            (Self::NotAgreed { .. }, _) => lang
                .pick(
                    "请先确认索赔金额，再登记支付。",
                    "Agree the amount before recording a payment.",
                )
                .to_owned(),
            (Self::PaymentStarted { .. }, _) => lang
                .pick(
                    "该索赔已开始支付，确认金额不能再改。",
                    "Payment of this claim has begun; its agreed amount can no longer change.",
                )
                .to_owned(),
            (Self::PaidAboveRemaining { remaining_fen, .. }, Lang::Zh) => {
                format!("支付金额不能超过尚未支付的 {} 元。", yuan(*remaining_fen))
            }
            (Self::PaidAboveRemaining { remaining_fen, .. }, Lang::En) => format!(
                "The payment may not be above the {} yuan that remain to pay.",
                yuan(*remaining_fen)
            ),
            (Self::SameContractor { .. }, _) => lang
                .pick(
                    "该案件已由这家施工单位负责，请选择另一家施工单位。",
                    "The case is already with that contractor; choose another one.",
                )
                .to_owned(),
            (Self::NotAnAction { .. }, _) => lang
                .pick("这不是案件的办理步骤。", "That is not a step on a case.")
                .to_owned(),
        }
    }
}

/// Whether `by` may append an event of `kind` to the case that stands as `state` now.
pub fn may(kind: &EventKind, by: Person<'_>, state: &CaseState) -> Result<(), Refusal> {
    use Status::*;
    if !kind.allows(by.role) {
        return Err(Refusal::Role {
            role: by.role,
            action: kind.name(),
        });
    }
    let status = state.status;
    let after_end_allowed = matches!(
        kind,
        EventKind::FineVoided { .. }
            | EventKind::ClaimAgreed { .. }
            | EventKind::ClaimPaid { .. }
            | EventKind::MergedFrom { .. }
            | EventKind::EvidenceAdded { .. }
    );
    if status.is_terminal() && !after_end_allowed {
        return Err(Refusal::Ended { status });
    }
    let not_now = || {
        Err(Refusal::NotNow {
            action: kind.name(),
            status,
        })
    };
    let notice = state.notice.as_ref();
    let refused = notice.is_some_and(|n| n.refused_at.is_some());
    match kind {
        EventKind::Recorded { .. } | EventKind::FieldEdited { .. } => Err(Refusal::NotAnAction {
            action: kind.name(),
        }),
        EventKind::EvidenceAdded { .. } | EventKind::EvidenceRequested { .. } => Ok(()),
        EventKind::EvidenceReviewed { .. } => {
            if state.evidence_after_acceptance > 0 {
                Ok(())
            } else {
                not_now()
            }
        }
        EventKind::NoticeIssued { .. } => {
            // After a night's emergency repair the morning's notice names who pays for it.
            let after_emergency = matches!(status, EmergencyRepair | RepairReported)
                && notice.is_none()
                && !state.emergency_repairs.is_empty();
            if matches!(status, Open | Reopened) || after_emergency {
                Ok(())
            } else {
                not_now()
            }
        }
        EventKind::NoticeRefused { reason } => match notice {
            Some(n) if status == Notified && n.responded.is_none() && !refused => required(reason),
            _ => not_now(),
        },
        EventKind::ContractorResponded { .. } => match notice {
            Some(_) if status == Notified && !refused => Ok(()),
            _ => not_now(),
        },
        EventKind::Disputed { reason } => match notice {
            Some(_) if matches!(status, Notified | InRepair) => required(reason),
            _ => not_now(),
        },
        EventKind::Reassigned { contractor, .. } => {
            if !(status == Disputed || (status == Notified && refused)) {
                not_now()
            } else if state.contractor.as_ref() == Some(contractor) {
                Err(Refusal::SameContractor {
                    contractor: contractor.clone(),
                })
            } else {
                Ok(())
            }
        }
        EventKind::RepairReported { .. } => match notice {
            Some(_) if (status == Notified && !refused) || status == InRepair => Ok(()),
            _ => not_now(),
        },
        EventKind::EmergencyRepairStarted { .. } => {
            if matches!(
                status,
                Open | Notified | InRepair | Disputed | Reopened | RepairReported
            ) {
                Ok(())
            } else {
                not_now()
            }
        }
        EventKind::EmergencyRepairFinished { cost_fen } => {
            if status != EmergencyRepair {
                not_now()
            } else if *cost_fen < 0 {
                Err(Refusal::NegativeAmount)
            } else {
                Ok(())
            }
        }
        EventKind::AcceptancePassed { .. } => accept(status),
        EventKind::AcceptanceFailed { reason } => accept(status).and_then(|()| required(reason)),
        EventKind::NoticeReturned { .. } => match notice {
            Some(n)
                if n.returned_at.is_none()
                    && matches!(status, RepairReported | Accepted | Closed) =>
            {
                Ok(())
            }
            _ => not_now(),
        },
        EventKind::FineDrafted {
            fine,
            contractor,
            condition,
            amount_fen,
        } => draft(state, fine, contractor, *condition, *amount_fen),
        EventKind::FineApproved { fine, step } => approve(state, by, fine, *step),
        EventKind::FineVoided { fine, reason } => {
            let slip = state
                .fines
                .iter()
                .find(|f| &f.id == fine)
                .ok_or_else(|| Refusal::NoSuchFine { fine: fine.clone() })?;
            required(reason)?;
            if slip.status == FineStatus::Voided {
                return Err(Refusal::AlreadyVoid { fine: fine.clone() });
            }
            Ok(())
        }
        EventKind::Callback { level, note, .. } => {
            let due = status == Accepted || (status == Closed && !state.called_back);
            if !due {
                return Err(Refusal::CallbackNotDue { status });
            }
            if *level == Satisfaction::Dissatisfied {
                required(note)?;
            }
            Ok(())
        }
        EventKind::ClaimRecorded {
            claim, claimed_fen, ..
        } => {
            if state.claims.iter().any(|c| &c.id == claim) {
                Err(Refusal::ClaimExists {
                    claim: claim.clone(),
                })
            } else if *claimed_fen < 0 {
                Err(Refusal::NegativeAmount)
            } else {
                Ok(())
            }
        }
        EventKind::ClaimAgreed { claim, agreed_fen } => {
            let c = claim_of(state, claim)?;
            if *agreed_fen < 0 {
                Err(Refusal::NegativeAmount)
            } else if c.paid_fen.is_some() {
                Err(Refusal::PaymentStarted {
                    claim: claim.clone(),
                })
            } else if *agreed_fen > c.claimed_fen {
                Err(Refusal::AgreedAboveClaimed {
                    claimed_fen: c.claimed_fen,
                    agreed_fen: *agreed_fen,
                })
            } else {
                Ok(())
            }
        }
        EventKind::ClaimPaid { claim, paid_fen } => {
            let c = claim_of(state, claim)?;
            let Some(agreed) = c.agreed_fen else {
                return Err(Refusal::NotAgreed {
                    claim: claim.clone(),
                });
            };
            let remaining = agreed - c.paid_fen.unwrap_or(0);
            if c.paid_fen.is_some() && remaining <= 0 {
                return Err(Refusal::ClaimSettled {
                    claim: claim.clone(),
                });
            }
            if *paid_fen < 0 {
                Err(Refusal::NegativeAmount)
            } else if *paid_fen > remaining {
                Err(Refusal::PaidAboveRemaining {
                    paid_fen: *paid_fen,
                    remaining_fen: remaining,
                })
            } else {
                Ok(())
            }
        }
        EventKind::MergedInto { .. } | EventKind::MergedFrom { .. } => Ok(()),
        EventKind::Reopened { reason } => {
            if matches!(status, Accepted | Closed) {
                required(reason)
            } else {
                not_now()
            }
        }
        EventKind::Closed { reason } => {
            if matches!(status, Accepted | Open | Reopened) {
                required(reason)
            } else {
                not_now()
            }
        }
        EventKind::Cancelled { reason, .. } => required(reason),
    }
}

fn required(text: &str) -> Result<(), Refusal> {
    if text.trim().is_empty() {
        Err(Refusal::ReasonRequired)
    } else {
        Ok(())
    }
}

fn accept(status: Status) -> Result<(), Refusal> {
    if status == Status::RepairReported {
        Ok(())
    } else {
        Err(Refusal::NoRepairToAccept { status })
    }
}

fn claim_of<'a>(
    state: &'a CaseState,
    claim: &ClaimId,
) -> Result<&'a crate::workflow::Claim, Refusal> {
    state
        .claims
        .iter()
        .find(|c| &c.id == claim)
        .ok_or_else(|| Refusal::NoSuchClaim {
            claim: claim.clone(),
        })
}

/// A slip may cite a condition that holds against the contractor on this case, once per time
/// it holds (a voided slip frees its place).
fn draft(
    state: &CaseState,
    fine: &FineId,
    contractor: &ContractorId,
    condition: PenaltyCondition,
    amount_fen: i64,
) -> Result<(), Refusal> {
    if amount_fen < FINE_MINIMUM_FEN {
        return Err(Refusal::FineBelowMinimum);
    }
    if state.fines.iter().any(|f| &f.id == fine) {
        return Err(Refusal::FineExists { fine: fine.clone() });
    }
    let held = state
        .penalties
        .iter()
        .filter(|p| p.condition == condition && &p.contractor == contractor)
        .count();
    if held == 0 {
        return Err(Refusal::ConditionNotHeld {
            condition,
            contractor: contractor.clone(),
        });
    }
    let open: Vec<&FineId> = state
        .fines
        .iter()
        .filter(|f| {
            f.condition == condition
                && &f.contractor == contractor
                && f.status != FineStatus::Voided
        })
        .map(|f| &f.id)
        .collect();
    match open.first() {
        Some(existing) if open.len() >= held => Err(Refusal::ConditionAlreadyFined {
            condition,
            existing: (*existing).clone(),
        }),
        _ => Ok(()),
    }
}

/// Approvals come in order (leader, then manager), each from a person who neither drafted the
/// slip nor gave its other approval.
fn approve(
    state: &CaseState,
    by: Person<'_>,
    fine: &FineId,
    step: FineApprovalStep,
) -> Result<(), Refusal> {
    let slip = state
        .fines
        .iter()
        .find(|f| &f.id == fine)
        .ok_or_else(|| Refusal::NoSuchFine { fine: fine.clone() })?;
    match (slip.status, step) {
        (FineStatus::Drafted, FineApprovalStep::Leader)
        | (FineStatus::LeaderApproved, FineApprovalStep::Manager) => {}
        (FineStatus::Voided, _) => return Err(Refusal::FineVoid { fine: fine.clone() }),
        (status, step) => {
            return Err(Refusal::ApprovalOutOfOrder {
                fine: fine.clone(),
                status,
                step,
            });
        }
    }
    if slip.drafted_by.as_ref() == Some(by.user) {
        return Err(Refusal::OwnDraft { fine: fine.clone() });
    }
    if slip.approved_by.iter().any(|u| u == by.user) {
        return Err(Refusal::SameApprover { fine: fine.clone() });
    }
    Ok(())
}
