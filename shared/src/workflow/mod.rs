//! The case workflow: a finding's events and the time in, its [`CaseState`] out.
//!
//! [`CaseState::derive`] is the one function every screen, projection and report uses. It is
//! pure and deterministic: the same timeline, time and settings give the same state on every
//! device and on the server. Nothing it computes is ever stored as an editable field.
//!
//! How it reads a timeline:
//! 1. Duplicates collapse: events are identified by id, and a second delivery counts once
//!    (a second *different* event with the same id is an anomaly; the first in order is kept).
//! 2. Each event gets its effective time ([`clock`] explains device time against receipt time).
//! 3. Events are sorted by a total order every replica shares (effective time, lifecycle rank,
//!    id), so out-of-order arrival changes nothing.
//! 4. A state machine folds them: each event either moves the case on or, where it makes no
//!    sense (an acceptance with no repair, a fine below 5,000 CNY, a second callback on a closed
//!    case), becomes an [`Anomaly`] — never a panic, never silently dropped.
//! 5. The clock is read last: deadlines that passed by `now` make the overdue flags and
//!    penalty conditions 2, 3 and 5 hold.
//!
//! The deadlines: a notice at T must be answered (on site, or a plan) by T + 4 h — an answer at
//! exactly T + 4 h is in time, one second later is not. A dispute or a refusal stops that
//! contractor's clocks; a reassignment starts a fresh four hours for the new contractor. The
//! repair deadline is on the notice. The notice must come back within
//! [`WorkflowSettings::notice_return_window_ms`] of acceptance.

mod anomaly;
pub(crate) mod clock;
mod derive;
pub mod may;
mod promise;
pub mod reminder;
mod running_clock;
mod settings;
mod status;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::penalty::{Penalty, PenaltyCondition};
pub use anomaly::{Anomaly, AnomalyKind};
pub use promise::{Kept, kept};
pub use running_clock::{ClockKind, RunningClock};
pub use settings::{FINE_MINIMUM_FEN, Setting, SettingsError, WorkflowSettings};
pub use status::Status;

use crate::event::{
    CallbackChannel, Event, EvidenceRequestReason, FineApprovalStep, Receipt, ResponseMode,
    Satisfaction,
};
use crate::ids::{ClaimId, ContractorId, EventId, FindingId, FineId, UserId};
use crate::time::Timestamp;

/// A finding's events and the server's receipts for them: the workflow's whole input apart
/// from the time.
#[derive(Debug, Clone, Copy)]
pub struct Timeline<'a> {
    /// The events as stored (any order, possibly with duplicates).
    pub events: &'a [Event],
    /// Receipt per event id, for the events the server has stored.
    pub receipts: &'a BTreeMap<EventId, Receipt>,
}

/// Everything derived about one case at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    /// Where the case stands.
    pub status: Status,
    /// The contractor responsible now (the current notice's).
    pub contractor: Option<ContractorId>,
    /// The current rectification notice.
    pub notice: Option<NoticeState>,
    /// Earlier notices on this case (superseded by a reassignment or a reopen), oldest first.
    pub past_notices: Vec<NoticeState>,
    /// The current notice's response window passed without an answer.
    pub response_overdue: bool,
    /// The current notice's repair deadline passed without a repair reported.
    pub repair_overdue: bool,
    /// The notice was not returned within the allowed time after acceptance.
    pub return_overdue: bool,
    /// Penalty conditions that hold, in the order they came to hold.
    pub penalties: Vec<Penalty>,
    /// A condition 1–4 holds on the current notice and nobody has started emergency repair.
    pub emergency_required: bool,
    /// Emergency repairs, oldest first.
    pub emergency_repairs: Vec<EmergencyRepair>,
    /// Fine slips, in drafting order (voided ones included: fines are never deleted).
    pub fines: Vec<Fine>,
    /// Callbacks, oldest first.
    pub callbacks: Vec<CallbackRecord>,
    /// The repair is accepted and the owner has not been called back since (回访 due). Not the
    /// same as "accepted": a satisfied callback leaves the case accepted until someone closes
    /// it, and a reopened case that is accepted again needs a callback of its own.
    #[serde(default)]
    pub callback_due: bool,
    /// The owner was called back since the case was last (re)opened: a closed case takes no
    /// second callback.
    #[serde(default)]
    pub called_back: bool,
    /// The first instant after the `now` this state was derived for at which a verdict that
    /// depends on time (overdue, penalty 2, 3 or 5, emergency repair needed) could change with
    /// no new event: one millisecond after the next deadline. `None` when no deadline lies
    /// ahead. Whoever keeps a copy of the verdicts keeps this with them and derives again from
    /// that instant on, so that a kept verdict is never read stale.
    #[serde(default)]
    pub verdicts_until: Option<Timestamp>,
    /// Owner claims, in recording order.
    pub claims: Vec<Claim>,
    /// Requests for more evidence not yet answered by a new photo.
    pub open_evidence_requests: Vec<EvidenceRequest>,
    /// Photos added after the repair was accepted (another inspector's, a phone that synced
    /// late) that no engineer has reviewed yet: the case waits in the engineer's queue until
    /// someone records the review or reopens it.
    #[serde(default)]
    pub evidence_after_acceptance: u32,
    /// The finding this one was merged into.
    pub merged_into: Option<FindingId>,
    /// Findings merged into this one.
    pub merged_from: Vec<FindingId>,
    /// How many times the case was reopened.
    pub reopen_count: u32,
    /// When it was recorded.
    pub opened_at: Option<Timestamp>,
    /// When it was closed or cancelled; `None` while open, again after a reopen.
    pub closed_at: Option<Timestamp>,
    /// Cancelled as "not a defect": counts in no figure.
    pub not_a_defect: bool,
    /// What makes no sense in the timeline, for a person to review.
    pub anomalies: Vec<Anomaly>,
}

/// One rectification notice (工程整改通知单) and how its contractor answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeState {
    /// Notice number.
    pub notice_no: String,
    /// The contractor it is addressed to.
    pub contractor: ContractorId,
    /// When it was issued (or reassigned): the response clock starts here.
    pub issued_at: Timestamp,
    /// Issued + the response window (4 h).
    pub response_deadline: Timestamp,
    /// The repair deadline.
    pub repair_deadline: Timestamp,
    /// When and how the contractor answered.
    pub responded: Option<(Timestamp, ResponseMode)>,
    /// When the contractor refused it.
    pub refused_at: Option<Timestamp>,
    /// When the contractor disputed it.
    pub disputed_at: Option<Timestamp>,
    /// When the repair was (last) reported done.
    pub repair_reported_at: Option<Timestamp>,
    /// When the repair was first reported done: condition 3's deadline is judged by it.
    #[serde(default)]
    pub first_repair_reported_at: Option<Timestamp>,
    /// When the repair passed acceptance.
    pub accepted_at: Option<Timestamp>,
    /// How many acceptances failed.
    pub failed_acceptances: u32,
    /// Accepted + the return window.
    pub return_deadline: Option<Timestamp>,
    /// When the notice came back with the contractor's reply.
    pub returned_at: Option<Timestamp>,
    /// When this contractor's clocks stopped (dispute, refusal, emergency repair, acceptance,
    /// reassignment, cancellation).
    pub clock_stopped_at: Option<Timestamp>,
    /// Who issued it (or reassigned it): the person reminded with the contractor.
    #[serde(default)]
    pub issued_by: Option<UserId>,
}

/// An emergency repair (应急维修) by another team at the contractor's cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyRepair {
    /// The team doing it.
    pub team: String,
    /// The contractor who pays (the current notice's, when there is one).
    pub charged_to: Option<ContractorId>,
    /// When it started.
    pub started_at: Timestamp,
    /// When it finished.
    pub finished_at: Option<Timestamp>,
    /// Its cost in fen, once finished.
    pub cost_fen: Option<i64>,
}

/// Where a fine slip stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FineStatus {
    /// Drafted, awaiting the leader's approval.
    Drafted,
    /// Approved by the leader, awaiting the manager.
    LeaderApproved,
    /// Fully approved.
    Approved,
    /// Voided (with a reason).
    Voided,
}

/// A fine slip (罚款单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fine {
    /// Its id.
    pub id: FineId,
    /// The contractor fined.
    pub contractor: ContractorId,
    /// The condition that justifies it.
    pub condition: PenaltyCondition,
    /// Amount in fen (≥ 500,000).
    pub amount_fen: i64,
    /// When drafted.
    pub drafted_at: Timestamp,
    /// Who drafted it: never one of its approvers.
    #[serde(default)]
    pub drafted_by: Option<UserId>,
    /// Who gave each approval, in order: two different people.
    #[serde(default)]
    pub approved_by: Vec<UserId>,
    /// Approvals given, in order.
    pub approvals: Vec<FineApprovalStep>,
    /// Where it stands.
    pub status: FineStatus,
    /// Why it was voided.
    pub void_reason: Option<String>,
}

/// A callback to the owner (回访).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackRecord {
    /// The event.
    pub event: EventId,
    /// When.
    pub at: Timestamp,
    /// Phone or visit.
    pub channel: CallbackChannel,
    /// How satisfied the owner is.
    pub level: Satisfaction,
}

/// An owner's claim (索赔).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// Its id.
    pub id: ClaimId,
    /// What was damaged.
    pub damage: String,
    /// Claimed, in fen.
    pub claimed_fen: i64,
    /// Agreed, in fen.
    pub agreed_fen: Option<i64>,
    /// Paid so far, in fen (the sum of the payments).
    pub paid_fen: Option<i64>,
}

impl Claim {
    /// What remains to pay of the agreed amount, in fen (`None` until an amount is agreed).
    pub fn remaining_fen(&self) -> Option<i64> {
        self.agreed_fen
            .map(|agreed| (agreed - self.paid_fen.unwrap_or(0)).max(0))
    }

    /// Agreed and paid in full.
    pub fn settled(&self) -> bool {
        self.remaining_fen() == Some(0) && self.paid_fen.is_some()
    }
}

/// An open request for more evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRequest {
    /// The event.
    pub event: EventId,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub reason: EvidenceRequestReason,
    /// Free text.
    pub note: String,
}

impl CaseState {
    /// Derives the state of a case from its timeline at `now`. See the module docs.
    pub fn derive(timeline: &Timeline<'_>, now: Timestamp, settings: &WorkflowSettings) -> Self {
        derive::derive(timeline, now, settings)
    }

    /// Whether `condition` holds on this case (against any contractor).
    pub fn holds(&self, condition: PenaltyCondition) -> bool {
        self.penalties.iter().any(|p| p.condition == condition)
    }

    /// Whether the case counts in figures (not cancelled as "not a defect", not merged away).
    pub fn counts(&self) -> bool {
        !self.not_a_defect && self.status != Status::Merged
    }
}
