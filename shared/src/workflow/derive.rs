//! The fold from an ordered timeline to a [`CaseState`]. See the module docs of
//! [`crate::workflow`] for the rules; this file is their implementation.

use std::collections::{BTreeMap, BTreeSet};

use crate::event::{Event, EventKind, FineApprovalStep, ResponseMode, Satisfaction};
use crate::ids::{ContractorId, EventId, FineId};
use crate::time::Timestamp;

use super::clock::{TimedEvent, effective_time, timeline_order};
use super::{
    Anomaly, AnomalyKind, CallbackRecord, CaseState, Claim, EvidenceRequest, FINE_MINIMUM_FEN,
    Fine, FineStatus, Kept, NoticeState, Penalty, PenaltyCondition, Status, Timeline,
    WorkflowSettings, kept,
};

pub(super) fn derive(
    timeline: &Timeline<'_>,
    now: Timestamp,
    settings: &WorkflowSettings,
) -> CaseState {
    let mut machine = Machine::new(*settings);

    let mut timed: Vec<TimedEvent<'_>> = timeline
        .events
        .iter()
        .map(|event| {
            let (at, skewed) = effective_time(event, timeline.receipts.get(&event.id), settings);
            TimedEvent { event, at, skewed }
        })
        .collect();
    timed.sort_by(timeline_order);

    let mut seen: BTreeMap<&EventId, &Event> = BTreeMap::new();
    for t in &timed {
        if let Some(first) = seen.get(&t.event.id) {
            if *first != t.event {
                machine.anomaly(
                    AnomalyKind::ConflictingDuplicate,
                    &t.event.id,
                    format!(
                        "two different events share the id `{}` ({} and {}); the first is used",
                        t.event.id,
                        first.kind.name(),
                        t.event.kind.name()
                    ),
                );
            }
            continue;
        }
        seen.insert(&t.event.id, t.event);
        if let Some(skew) = t.skewed {
            machine.anomaly(
                AnomalyKind::ClockSkew,
                &t.event.id,
                format!(
                    "the device clock was off by {} s when `{}` was synced; the server's receipt \
                     time {} is used instead of the device time {}",
                    skew / 1000,
                    t.event.kind.name(),
                    t.at,
                    t.event.at
                ),
            );
        }
        machine.apply(t.event, t.at);
    }
    machine.finish(now)
}

/// The state being folded, plus bookkeeping the result does not expose.
struct Machine {
    settings: WorkflowSettings,
    state: CaseState,
    seen_recorded: bool,
    missing_recorded_flagged: bool,
    /// A callback happened since the case was last (re)opened.
    callback_in_cycle: bool,
    /// When the repair was last accepted, in this cycle of the case.
    accepted_at: Option<Timestamp>,
    /// Penalties that events made hold (conditions 1, 3 by failed acceptance, 4).
    event_penalties: Vec<Penalty>,
    fine_events: BTreeMap<FineId, EventId>,
}

impl Machine {
    fn new(settings: WorkflowSettings) -> Self {
        Self {
            settings,
            state: CaseState {
                status: Status::Open,
                contractor: None,
                notice: None,
                past_notices: Vec::new(),
                response_overdue: false,
                repair_overdue: false,
                return_overdue: false,
                penalties: Vec::new(),
                emergency_required: false,
                emergency_repairs: Vec::new(),
                fines: Vec::new(),
                callbacks: Vec::new(),
                callback_due: false,
                called_back: false,
                verdicts_until: None,
                claims: Vec::new(),
                open_evidence_requests: Vec::new(),
                evidence_after_acceptance: 0,
                merged_into: None,
                merged_from: Vec::new(),
                reopen_count: 0,
                opened_at: None,
                closed_at: None,
                not_a_defect: false,
                anomalies: Vec::new(),
            },
            seen_recorded: false,
            missing_recorded_flagged: false,
            callback_in_cycle: false,
            accepted_at: None,
            event_penalties: Vec::new(),
            fine_events: BTreeMap::new(),
        }
    }

    fn anomaly(&mut self, kind: AnomalyKind, event: &EventId, detail: String) {
        self.state.anomalies.push(Anomaly {
            kind,
            event: Some(event.clone()),
            detail,
        });
    }

    fn out_of_place(&mut self, event: &Event) {
        let detail = format!(
            "`{}` does not fit a case that is {}; it is kept on the timeline but changes nothing",
            event.kind.name(),
            self.state.status.label_en().to_lowercase()
        );
        self.anomaly(AnomalyKind::OutOfPlace, &event.id, detail);
    }

    fn status_is(&self, allowed: &[Status]) -> bool {
        allowed.contains(&self.state.status)
    }

    /// Stops the current notice's response and repair clocks, if they still run.
    fn stop_clock(&mut self, at: Timestamp) {
        if let Some(n) = self.state.notice.as_mut() {
            n.clock_stopped_at.get_or_insert(at);
        }
    }

    fn event_penalty(&mut self, condition: PenaltyCondition, at: Timestamp, event: &EventId) {
        if let Some(n) = &self.state.notice {
            self.event_penalties.push(Penalty {
                condition,
                contractor: n.contractor.clone(),
                notice_no: n.notice_no.clone(),
                since: at,
                event: Some(event.clone()),
            });
        }
    }

    fn start_notice(
        &mut self,
        notice_no: &str,
        contractor: &ContractorId,
        deadline: Timestamp,
        at: Timestamp,
        event: &Event,
    ) {
        if let Some(mut old) = self.state.notice.take() {
            old.clock_stopped_at.get_or_insert(at);
            self.state.past_notices.push(old);
        }
        if deadline <= at {
            self.anomaly(
                AnomalyKind::DeadlineBeforeNotice,
                &event.id,
                format!("the repair deadline {deadline} is not after the notice itself ({at})"),
            );
        }
        self.state.notice = Some(NoticeState {
            notice_no: notice_no.to_owned(),
            contractor: contractor.clone(),
            issued_at: at,
            response_deadline: at.plus_ms(self.settings.response_window_ms),
            repair_deadline: deadline,
            responded: None,
            refused_at: None,
            disputed_at: None,
            repair_reported_at: None,
            first_repair_reported_at: None,
            accepted_at: None,
            failed_acceptances: 0,
            return_deadline: None,
            returned_at: None,
            clock_stopped_at: None,
            issued_by: Some(event.actor.user.clone()),
        });
        self.state.contractor = Some(contractor.clone());
        self.state.status = Status::Notified;
    }

    fn apply(&mut self, event: &Event, at: Timestamp) {
        use Status::*;
        if !self.seen_recorded
            && !self.missing_recorded_flagged
            && !matches!(event.kind, EventKind::Recorded { .. })
        {
            self.missing_recorded_flagged = true;
            self.anomaly(
                AnomalyKind::MissingRecorded,
                &event.id,
                format!(
                    "the timeline starts with `{}` instead of `recorded`",
                    event.kind.name()
                ),
            );
        }
        let after_end_allowed = matches!(
            event.kind,
            EventKind::FineVoided { .. }
                | EventKind::ClaimAgreed { .. }
                | EventKind::ClaimPaid { .. }
                | EventKind::MergedFrom { .. }
                | EventKind::EvidenceAdded { .. }
        );
        if self.state.status.is_terminal() && !after_end_allowed {
            let detail = format!(
                "`{}` arrived after the case was {}",
                event.kind.name(),
                self.state.status.label_en().to_lowercase()
            );
            self.anomaly(AnomalyKind::AfterEnd, &event.id, detail);
            return;
        }

        match &event.kind {
            EventKind::Recorded { .. } => {
                if self.seen_recorded {
                    self.anomaly(
                        AnomalyKind::DuplicateRecorded,
                        &event.id,
                        "the finding was recorded twice; the first record opens the case".into(),
                    );
                } else {
                    self.seen_recorded = true;
                    self.state.opened_at = Some(at);
                }
            }
            EventKind::EvidenceAdded { .. } => {
                self.state.open_evidence_requests.clear();
                if self.status_is(&[Accepted, Closed])
                    && self.accepted_at.is_some_and(|accepted| at > accepted)
                {
                    self.state.evidence_after_acceptance += 1;
                }
            }
            // A change of what the finding says, not of where its case stands.
            EventKind::FieldEdited { .. } => {}
            EventKind::EvidenceReviewed { .. } => {
                if self.state.evidence_after_acceptance > 0 {
                    self.state.evidence_after_acceptance = 0;
                } else {
                    self.out_of_place(event);
                }
            }
            EventKind::EvidenceRequested { reason, note } => {
                self.state.open_evidence_requests.push(EvidenceRequest {
                    event: event.id.clone(),
                    at,
                    reason: *reason,
                    note: note.clone(),
                })
            }
            EventKind::NoticeIssued {
                notice_no,
                contractor,
                repair_deadline,
            } => {
                let after_emergency = self.status_is(&[EmergencyRepair, RepairReported])
                    && self.state.notice.is_none()
                    && !self.state.emergency_repairs.is_empty();
                if self.status_is(&[Open, Reopened]) {
                    self.start_notice(notice_no, contractor, *repair_deadline, at, event);
                } else if after_emergency {
                    // The night's emergency repair came first (a leak at 2 am); the morning's
                    // notice names the contractor responsible. The repair is done or under way
                    // by others, so its clocks never run, and the emergency's cost is its.
                    let status = self.state.status;
                    self.start_notice(notice_no, contractor, *repair_deadline, at, event);
                    self.stop_clock(at);
                    for e in &mut self.state.emergency_repairs {
                        e.charged_to.get_or_insert_with(|| contractor.clone());
                    }
                    self.state.status = status;
                } else {
                    self.out_of_place(event);
                }
            }
            EventKind::NoticeRefused { .. } => match self.state.notice.as_mut() {
                Some(n)
                    if self.state.status == Notified
                        && n.responded.is_none()
                        && n.refused_at.is_none() =>
                {
                    n.refused_at = Some(at);
                    n.clock_stopped_at.get_or_insert(at);
                    self.event_penalty(PenaltyCondition::Refused, at, &event.id);
                }
                _ => self.out_of_place(event),
            },
            EventKind::ContractorResponded { mode, .. } => match self.state.notice.as_mut() {
                Some(n) if self.state.status == Notified && n.refused_at.is_none() => {
                    n.responded = Some((at, *mode));
                    self.state.status = InRepair;
                }
                _ => self.out_of_place(event),
            },
            EventKind::Disputed { .. } => match self.state.notice.as_mut() {
                Some(n) if matches!(self.state.status, Notified | InRepair) => {
                    n.disputed_at = Some(at);
                    n.clock_stopped_at.get_or_insert(at);
                    self.state.status = Disputed;
                }
                _ => self.out_of_place(event),
            },
            EventKind::Reassigned {
                notice_no,
                contractor,
                repair_deadline,
            } => {
                let refused = self
                    .state
                    .notice
                    .as_ref()
                    .is_some_and(|n| n.refused_at.is_some());
                if self.state.status == Disputed || (self.state.status == Notified && refused) {
                    self.start_notice(notice_no, contractor, *repair_deadline, at, event);
                } else {
                    self.out_of_place(event);
                }
            }
            EventKind::RepairReported { .. } => match self.state.notice.as_mut() {
                Some(n)
                    if (self.state.status == Notified && n.refused_at.is_none())
                        || self.state.status == InRepair =>
                {
                    // A repair reported without an earlier check-in answers the notice too.
                    n.responded.get_or_insert((at, ResponseMode::OnSite));
                    n.repair_reported_at = Some(at);
                    n.first_repair_reported_at.get_or_insert(at);
                    self.state.status = RepairReported;
                }
                _ => self.out_of_place(event),
            },
            EventKind::EmergencyRepairStarted { team, .. } => {
                if self.status_is(&[Open, Notified, InRepair, Disputed, Reopened, RepairReported]) {
                    self.stop_clock(at);
                    self.state.emergency_repairs.push(super::EmergencyRepair {
                        team: team.clone(),
                        charged_to: self.state.notice.as_ref().map(|n| n.contractor.clone()),
                        started_at: at,
                        finished_at: None,
                        cost_fen: None,
                    });
                    self.state.status = EmergencyRepair;
                } else {
                    self.out_of_place(event);
                }
            }
            EventKind::EmergencyRepairFinished { cost_fen } => {
                if self.state.status != EmergencyRepair {
                    self.out_of_place(event);
                    return;
                }
                let cost = if *cost_fen < 0 {
                    self.anomaly(
                        AnomalyKind::AmountInvalid,
                        &event.id,
                        format!("emergency repair cost {cost_fen} fen is negative"),
                    );
                    None
                } else {
                    Some(*cost_fen)
                };
                if let Some(last) = self.state.emergency_repairs.last_mut() {
                    last.finished_at = Some(at);
                    last.cost_fen = cost;
                }
                self.state.status = RepairReported;
            }
            EventKind::AcceptancePassed { .. } | EventKind::AcceptanceFailed { .. } => {
                if self.state.status != RepairReported {
                    let detail = format!(
                        "`{}` on a case that is {}: no repair awaits acceptance",
                        event.kind.name(),
                        self.state.status.label_en().to_lowercase()
                    );
                    self.anomaly(AnomalyKind::AcceptanceWithoutRepair, &event.id, detail);
                    return;
                }
                if matches!(event.kind, EventKind::AcceptancePassed { .. }) {
                    self.accepted_at = Some(at);
                    let window = self.settings.notice_return_window_ms;
                    if let Some(n) = self.state.notice.as_mut() {
                        n.accepted_at = Some(at);
                        n.return_deadline = Some(at.plus_ms(window));
                        n.clock_stopped_at.get_or_insert(at);
                    }
                    self.state.status = Accepted;
                } else {
                    if let Some(n) = self.state.notice.as_mut() {
                        n.failed_acceptances += 1;
                    }
                    self.event_penalty(PenaltyCondition::RepairLateOrFailed, at, &event.id);
                    self.state.status = InRepair;
                }
            }
            EventKind::NoticeReturned { .. } => match self.state.notice.as_mut() {
                Some(n)
                    if n.returned_at.is_none()
                        && matches!(self.state.status, RepairReported | Accepted | Closed) =>
                {
                    n.returned_at = Some(at);
                }
                _ => self.out_of_place(event),
            },
            EventKind::FineDrafted {
                fine,
                contractor,
                condition,
                amount_fen,
            } => {
                if *amount_fen < FINE_MINIMUM_FEN {
                    self.anomaly(
                        AnomalyKind::FineBelowMinimum,
                        &event.id,
                        format!(
                            "fine `{fine}` of {} CNY is below the 5,000 CNY minimum; it is not counted",
                            *amount_fen as f64 / 100.0
                        ),
                    );
                } else if self.state.fines.iter().any(|f| &f.id == fine) {
                    self.anomaly(
                        AnomalyKind::FineUnknown,
                        &event.id,
                        format!("fine `{fine}` was drafted twice; the first draft stands"),
                    );
                } else {
                    self.fine_events.insert(fine.clone(), event.id.clone());
                    self.state.fines.push(Fine {
                        id: fine.clone(),
                        contractor: contractor.clone(),
                        condition: *condition,
                        amount_fen: *amount_fen,
                        drafted_at: at,
                        drafted_by: Some(event.actor.user.clone()),
                        approved_by: Vec::new(),
                        approvals: Vec::new(),
                        status: FineStatus::Drafted,
                        void_reason: None,
                    });
                }
            }
            EventKind::FineApproved { fine, step } => {
                let Some(f) = self.state.fines.iter_mut().find(|f| &f.id == fine) else {
                    let detail = format!("approval of fine `{fine}`, which was never drafted");
                    self.anomaly(AnomalyKind::FineUnknown, &event.id, detail);
                    return;
                };
                let next = match (f.status, step) {
                    (FineStatus::Drafted, FineApprovalStep::Leader) => {
                        Some(FineStatus::LeaderApproved)
                    }
                    (FineStatus::LeaderApproved, FineApprovalStep::Manager) => {
                        Some(FineStatus::Approved)
                    }
                    _ => None,
                };
                let user = &event.actor.user;
                if next.is_some()
                    && (f.drafted_by.as_ref() == Some(user) || f.approved_by.contains(user))
                {
                    let detail = format!(
                        "`{user}` approved fine `{fine}` after drafting or approving it; a second \
                         person must approve each step"
                    );
                    self.anomaly(AnomalyKind::FineSameApprover, &event.id, detail);
                    return;
                }
                match next {
                    Some(status) => {
                        f.status = status;
                        f.approvals.push(*step);
                        f.approved_by.push(user.clone());
                    }
                    None => {
                        let detail = format!(
                            "{step:?} approval of fine `{fine}` while it is {:?}; the order is \
                             leader, then manager",
                            f.status
                        );
                        self.anomaly(AnomalyKind::FineApprovalOutOfOrder, &event.id, detail);
                    }
                }
            }
            EventKind::FineVoided { fine, reason } => {
                let blank = reason.trim().is_empty();
                let Some(f) = self.state.fines.iter_mut().find(|f| &f.id == fine) else {
                    let detail = format!("void of fine `{fine}`, which was never drafted");
                    self.anomaly(AnomalyKind::FineUnknown, &event.id, detail);
                    return;
                };
                if blank {
                    let detail = format!("fine `{fine}` voided without a reason; it stays valid");
                    self.anomaly(AnomalyKind::FineVoidWithoutReason, &event.id, detail);
                } else if f.status == FineStatus::Voided {
                    self.out_of_place(event);
                } else {
                    f.status = FineStatus::Voided;
                    f.void_reason = Some(reason.clone());
                }
            }
            EventKind::Callback { channel, level, .. } => {
                match self.state.status {
                    Accepted => {}
                    Closed if !self.callback_in_cycle => {}
                    Closed => {
                        let detail =
                            "a second callback on a closed case; the first one stands".into();
                        self.anomaly(AnomalyKind::SecondCallbackOnClosed, &event.id, detail);
                        return;
                    }
                    _ => {
                        let detail = format!(
                            "a callback on a case that is {}: call the owner back after the repair \
                             is accepted",
                            self.state.status.label_en().to_lowercase()
                        );
                        self.anomaly(AnomalyKind::CallbackBeforeAcceptance, &event.id, detail);
                        return;
                    }
                }
                self.callback_in_cycle = true;
                self.state.callbacks.push(CallbackRecord {
                    event: event.id.clone(),
                    at,
                    channel: *channel,
                    level: *level,
                });
                if *level == Satisfaction::Dissatisfied {
                    if self
                        .state
                        .notice
                        .as_ref()
                        .is_some_and(|n| n.accepted_at.is_some())
                    {
                        self.event_penalty(PenaltyCondition::OwnerDissatisfied, at, &event.id);
                    }
                    self.reopen();
                }
            }
            EventKind::ClaimRecorded {
                claim,
                damage,
                claimed_fen,
            } => {
                if self.state.claims.iter().any(|c| &c.id == claim) {
                    let detail = format!("claim `{claim}` was recorded twice; the first stands");
                    self.anomaly(AnomalyKind::ClaimUnknown, &event.id, detail);
                } else if *claimed_fen < 0 {
                    let detail = format!("claim `{claim}` has a negative amount");
                    self.anomaly(AnomalyKind::AmountInvalid, &event.id, detail);
                } else {
                    self.state.claims.push(Claim {
                        id: claim.clone(),
                        damage: damage.clone(),
                        claimed_fen: *claimed_fen,
                        agreed_fen: None,
                        paid_fen: None,
                    });
                }
            }
            EventKind::ClaimAgreed {
                claim,
                agreed_fen: amount,
            }
            | EventKind::ClaimPaid {
                claim,
                paid_fen: amount,
            } => {
                let paid = matches!(event.kind, EventKind::ClaimPaid { .. });
                let Some(c) = self.state.claims.iter_mut().find(|c| &c.id == claim) else {
                    let detail = format!(
                        "`{}` for claim `{claim}`, which was never recorded",
                        event.kind.name()
                    );
                    self.anomaly(AnomalyKind::ClaimUnknown, &event.id, detail);
                    return;
                };
                if *amount < 0 {
                    let detail = format!("claim `{claim}`: a negative amount");
                    self.anomaly(AnomalyKind::AmountInvalid, &event.id, detail);
                    return;
                }
                if paid {
                    // Payments add up: an owner may be paid in instalments.
                    let total = c.paid_fen.unwrap_or(0).saturating_add(*amount);
                    c.paid_fen = Some(total);
                    if c.agreed_fen.is_none_or(|agreed| total > agreed) {
                        let detail = format!("claim `{claim}`: paid more than was agreed");
                        self.anomaly(AnomalyKind::AmountInvalid, &event.id, detail);
                    }
                } else if c.paid_fen.is_some() {
                    let detail =
                        format!("claim `{claim}`: the agreed amount changed after payment began");
                    self.anomaly(AnomalyKind::AmountInvalid, &event.id, detail);
                } else {
                    c.agreed_fen = Some(*amount);
                    if *amount > c.claimed_fen {
                        let detail = format!("claim `{claim}`: more agreed than was claimed");
                        self.anomaly(AnomalyKind::AmountInvalid, &event.id, detail);
                    }
                }
            }
            EventKind::MergedInto { other } => {
                self.stop_clock(at);
                self.state.merged_into = Some(other.clone());
                self.state.closed_at = Some(at);
                self.state.status = Merged;
            }
            EventKind::MergedFrom { other } => self.state.merged_from.push(other.clone()),
            EventKind::Reopened { .. } => {
                if self.status_is(&[Accepted, Closed]) {
                    self.reopen();
                } else {
                    self.out_of_place(event);
                }
            }
            EventKind::Closed { .. } => {
                if self.status_is(&[Accepted, Open, Reopened]) {
                    self.stop_clock(at);
                    self.state.closed_at = Some(at);
                    self.state.status = Closed;
                } else {
                    self.out_of_place(event);
                }
            }
            EventKind::Cancelled { not_a_defect, .. } => {
                self.stop_clock(at);
                self.state.closed_at = Some(at);
                self.state.not_a_defect = *not_a_defect;
                self.state.status = Cancelled;
            }
        }
    }

    fn reopen(&mut self) {
        self.state.status = Status::Reopened;
        // Open again: a reopened case is in the backlog, not among the closed.
        self.state.closed_at = None;
        self.state.reopen_count += 1;
        self.callback_in_cycle = false;
        // Back in the work queue: the photos are looked at with the new repair.
        self.accepted_at = None;
        self.state.evidence_after_acceptance = 0;
    }

    /// Reads the clock: deadlines that passed by `now`, and the penalties they make hold.
    fn finish(mut self, now: Timestamp) -> CaseState {
        let mut penalties = std::mem::take(&mut self.event_penalties);
        let notices: Vec<&NoticeState> = self
            .state
            .past_notices
            .iter()
            .chain(self.state.notice.as_ref())
            .collect();
        for n in &notices {
            penalties.extend(self.deadline_penalties(n, now));
        }
        // Every verdict below compares `now > deadline`: each turns one millisecond after a
        // deadline, and not before the next one.
        // Only a deadline still open can turn a verdict: one met, or whose clock stopped,
        // is settled for good (a case of 100 answered notices is not derived again 100 times).
        let terminal = self.state.status.is_terminal();
        self.state.verdicts_until = notices
            .iter()
            .flat_map(|n| {
                let running = n.clock_stopped_at.is_none();
                [
                    (running && n.responded.is_none()).then_some(n.response_deadline),
                    (running && n.first_repair_reported_at.is_none()).then_some(n.repair_deadline),
                    n.return_deadline
                        .filter(|_| n.returned_at.is_none() && !terminal),
                ]
            })
            .flatten()
            .map(|deadline| deadline.plus_ms(1))
            .filter(|turn| *turn > now)
            .min();
        // One penalty per condition and notice: the earliest.
        penalties.sort_by(|a, b| {
            (a.since, a.condition, &a.notice_no).cmp(&(b.since, b.condition, &b.notice_no))
        });
        let mut seen = BTreeSet::new();
        penalties.retain(|p| seen.insert((p.condition, p.notice_no.clone())));

        let status = self.state.status;
        self.state.callback_due = status == Status::Accepted && !self.callback_in_cycle;
        self.state.called_back = self.callback_in_cycle;
        if let Some(n) = &self.state.notice {
            let running = n.clock_stopped_at.is_none();
            self.state.response_overdue = status == Status::Notified
                && running
                && n.responded.is_none()
                && now > n.response_deadline;
            self.state.repair_overdue = matches!(status, Status::Notified | Status::InRepair)
                && running
                && now > n.repair_deadline;
            self.state.return_overdue = !status.is_terminal()
                && n.returned_at.is_none()
                && n.return_deadline.is_some_and(|d| now > d);

            let last_emergency = self.state.emergency_repairs.last().map(|e| e.started_at);
            self.state.emergency_required = matches!(
                status,
                Status::Notified | Status::InRepair | Status::Reopened
            ) && penalties.iter().any(|p| {
                p.notice_no == n.notice_no
                    && p.condition.requires_emergency_repair()
                    && last_emergency.is_none_or(|started| started < p.since)
            });
        }

        for f in &self.state.fines {
            let shown = penalties
                .iter()
                .any(|p| p.condition == f.condition && p.contractor == f.contractor);
            if !shown && f.status != FineStatus::Voided {
                let event = self.fine_events.get(&f.id).cloned();
                self.state.anomalies.push(Anomaly {
                    kind: AnomalyKind::FineWithoutCondition,
                    event,
                    detail: format!(
                        "fine `{}` cites {} against `{}`, which the timeline does not show",
                        f.id, f.condition, f.contractor
                    ),
                });
            }
        }
        self.state.penalties = penalties;
        self.state
    }

    /// Conditions 2, 3 and 5 on one notice, from its deadlines and `now`.
    fn deadline_penalties(&self, n: &NoticeState, now: Timestamp) -> Vec<Penalty> {
        let penalty = |condition, since| Penalty {
            condition,
            contractor: n.contractor.clone(),
            notice_no: n.notice_no.clone(),
            since,
            event: None,
        };
        let mut out = Vec::new();
        let answered_at = n.responded.map(|(t, _)| t);
        if kept(n.response_deadline, answered_at, n.clock_stopped_at, now) == Kept::Missed {
            out.push(penalty(PenaltyCondition::NoResponse, n.response_deadline));
        }
        let first_report = n.first_repair_reported_at;
        if kept(n.repair_deadline, first_report, n.clock_stopped_at, now) == Kept::Missed {
            out.push(penalty(
                PenaltyCondition::RepairLateOrFailed,
                n.repair_deadline,
            ));
        }
        if let Some(deadline) = n.return_deadline {
            let late_return = n.returned_at.is_some_and(|t| t > deadline);
            let cancelled = self.state.status.is_terminal();
            if late_return || (n.returned_at.is_none() && !cancelled && now > deadline) {
                out.push(penalty(PenaltyCondition::NoticeNotReturned, deadline));
            }
        }
        out
    }
}
