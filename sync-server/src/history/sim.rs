//! One finding's life, played forward step by step.

use plumbline_shared::event::{FineApprovalStep, ResponseMode, Satisfaction};
use plumbline_shared::workflow::{PenaltyCondition, Status};

use super::*;

// ---------------------------------------------------------------------------------------------
// One finding's life, step by step
// ---------------------------------------------------------------------------------------------

/// Plays one finding's life forward: every action checks that the workflow accepts it in the
/// current state (a failed check is a bug in the script), records the step and the facts it
/// establishes, and ends the life quietly once its time would pass the limit (so the life is
/// always a valid prefix).
#[derive(Debug)]
pub struct Sim {
    pub(crate) case: usize,
    /// The time of the last step.
    pub t: i64,
    pub(crate) limit: i64,
    pub(crate) cut: bool,
    pub status: Status,
    pub(crate) callback_in_cycle: bool,
    pub(crate) photos: u32,
    pub steps: Vec<Step>,
    pub facts: Facts,
}

impl Sim {
    pub(crate) fn new(case: usize, recorded: i64, limit: i64) -> Self {
        Self {
            case,
            t: recorded,
            limit,
            cut: false,
            status: Status::Open,
            callback_in_cycle: false,
            photos: 0,
            steps: Vec::new(),
            facts: Facts::default(),
        }
    }

    /// `ms` after the last step.
    pub fn after(&self, ms: i64) -> i64 {
        self.t + ms
    }

    pub(crate) fn advance(&mut self, at: i64) -> Option<()> {
        if self.cut {
            return None;
        }
        assert!(
            at > self.t,
            "case {}: a step at {at} is not after the last one at {}",
            self.case,
            self.t
        );
        if at > self.limit {
            self.cut = true;
            return None;
        }
        self.t = at;
        Some(())
    }

    pub(crate) fn require(&self, ok: bool, what: &str) {
        assert!(
            ok,
            "case {}: `{what}` does not fit a case that is {:?}",
            self.case, self.status
        );
    }

    pub(crate) fn push(&mut self, kind: StepKind, by_contractor: bool) {
        let contractor = if by_contractor {
            self.contractor()
        } else {
            None
        };
        self.steps.push(Step {
            at: self.t,
            kind,
            contractor,
        });
    }

    pub(crate) fn notice(&self) -> Option<&NoticeFacts> {
        self.facts.notices.last()
    }

    pub(crate) fn notice_mut(&mut self) -> &mut NoticeFacts {
        let case = self.case;
        self.facts
            .notices
            .last_mut()
            .unwrap_or_else(|| panic!("case {case}: no notice"))
    }

    pub fn contractor(&self) -> Option<usize> {
        self.notice().map(|n| n.contractor)
    }

    pub(crate) fn stop_clock(&mut self) {
        let t = self.t;
        if let Some(n) = self.facts.notices.last_mut() {
            n.stopped.get_or_insert(t);
        }
    }

    pub(crate) fn is(&self, statuses: &[Status]) -> bool {
        statuses.contains(&self.status)
    }

    pub(crate) fn start_notice(&mut self, contractor: usize, repair_ms: i64, reassign: bool) {
        self.stop_clock();
        let t = self.t;
        let no = format!("ZG-{}-{}", self.case, self.facts.notices.len() + 1);
        let deadline = t + repair_ms;
        let kind = if reassign {
            StepKind::Reassign {
                no: no.clone(),
                contractor,
                deadline,
            }
        } else {
            StepKind::Notice {
                no: no.clone(),
                contractor,
                deadline,
            }
        };
        self.facts.notices.push(NoticeFacts {
            no,
            contractor,
            issued: t,
            response_deadline: t + RESPONSE_MS,
            repair_deadline: deadline,
            answered: None,
            refused: None,
            stopped: None,
            first_report: None,
            failed: Vec::new(),
            accepted: None,
            returned: None,
        });
        self.status = Status::Notified;
        self.push(kind, false);
    }

    pub fn evidence(&mut self, at: i64) -> Option<()> {
        self.advance(at)?;
        self.photos += 1;
        self.push(StepKind::Evidence(self.photos), false);
        Some(())
    }

    pub fn issue(&mut self, at: i64, contractor: usize, repair_ms: i64) -> Option<()> {
        self.require(self.is(&[Status::Open, Status::Reopened]), "notice_issued");
        self.advance(at)?;
        self.start_notice(contractor, repair_ms, false);
        Some(())
    }

    pub fn reassign(&mut self, at: i64, contractor: usize, repair_ms: i64) -> Option<()> {
        let refused = self.notice().is_some_and(|n| n.refused.is_some());
        self.require(
            self.status == Status::Disputed || (self.status == Status::Notified && refused),
            "reassigned",
        );
        self.advance(at)?;
        self.start_notice(contractor, repair_ms, true);
        Some(())
    }

    pub fn respond(&mut self, at: i64, mode: ResponseMode) -> Option<()> {
        let refused = self.notice().is_some_and(|n| n.refused.is_some());
        self.require(
            self.status == Status::Notified && !refused,
            "contractor_responded",
        );
        self.advance(at)?;
        let t = self.t;
        self.notice_mut().answered = Some(t);
        self.status = Status::InRepair;
        self.push(StepKind::Respond(mode), true);
        Some(())
    }

    pub fn refuse(&mut self, at: i64) -> Option<()> {
        let fresh = self
            .notice()
            .is_some_and(|n| n.answered.is_none() && n.refused.is_none());
        self.require(self.status == Status::Notified && fresh, "notice_refused");
        self.advance(at)?;
        let t = self.t;
        let n = self.notice_mut();
        n.refused = Some(t);
        n.stopped.get_or_insert(t);
        self.push(StepKind::Refuse, true);
        Some(())
    }

    pub fn dispute(&mut self, at: i64) -> Option<()> {
        self.require(self.is(&[Status::Notified, Status::InRepair]), "disputed");
        self.advance(at)?;
        self.stop_clock();
        self.status = Status::Disputed;
        self.push(StepKind::Dispute, true);
        Some(())
    }

    pub fn report(&mut self, at: i64) -> Option<()> {
        let refused = self.notice().is_some_and(|n| n.refused.is_some());
        self.require(
            (self.status == Status::Notified && !refused) || self.status == Status::InRepair,
            "repair_reported",
        );
        self.advance(at)?;
        let t = self.t;
        let n = self.notice_mut();
        n.answered.get_or_insert(t);
        n.first_report.get_or_insert(t);
        self.status = Status::RepairReported;
        self.push(StepKind::Report, true);
        Some(())
    }

    pub fn fail(&mut self, at: i64) -> Option<()> {
        self.require(self.status == Status::RepairReported, "acceptance_failed");
        self.advance(at)?;
        let t = self.t;
        self.notice_mut().failed.push(t);
        self.status = Status::InRepair;
        self.push(StepKind::Fail, false);
        Some(())
    }

    pub fn pass(&mut self, at: i64) -> Option<()> {
        self.require(self.status == Status::RepairReported, "acceptance_passed");
        self.advance(at)?;
        let t = self.t;
        let n = self.notice_mut();
        n.accepted = Some(t);
        n.stopped.get_or_insert(t);
        self.status = Status::Accepted;
        self.push(StepKind::Pass, false);
        Some(())
    }

    pub fn returned(&mut self, at: i64) -> Option<()> {
        let open = self.notice().is_some_and(|n| n.returned.is_none());
        self.require(
            open && self.is(&[Status::RepairReported, Status::Accepted, Status::Closed]),
            "notice_returned",
        );
        self.advance(at)?;
        let t = self.t;
        self.notice_mut().returned = Some(t);
        self.push(StepKind::Return, true);
        Some(())
    }

    /// Emergency repair, only after the contractor answered (reading 2).
    pub fn emergency_start(&mut self, at: i64) -> Option<()> {
        let charged_to = self.contractor();
        self.require(
            self.status == Status::InRepair && charged_to.is_some(),
            "emergency_repair_started",
        );
        self.advance(at)?;
        self.stop_clock();
        self.facts.emergencies.push(EmergencyFacts {
            started: self.t,
            charged_to: charged_to.expect("checked above"),
            finished: None,
        });
        self.status = Status::EmergencyRepair;
        self.push(StepKind::EmergencyStart, false);
        Some(())
    }

    pub fn emergency_finish(&mut self, at: i64, cost: i64) -> Option<()> {
        self.require(
            self.status == Status::EmergencyRepair,
            "emergency_repair_finished",
        );
        self.advance(at)?;
        let t = self.t;
        if let Some(e) = self.facts.emergencies.last_mut() {
            e.finished = Some((t, cost));
        }
        self.status = Status::RepairReported;
        self.push(StepKind::EmergencyFinish(cost), false);
        Some(())
    }

    /// Drafts a fine; returns its index among the case's fines.
    pub fn fine(
        &mut self,
        at: i64,
        contractor: usize,
        condition: PenaltyCondition,
        amount: i64,
    ) -> Option<usize> {
        self.require(!self.status.is_terminal(), "fine_drafted");
        self.advance(at)?;
        let id = format!("fine-{}-{}", self.case, self.facts.fines.len() + 1);
        self.facts.fines.push(FineFacts {
            id: id.clone(),
            contractor,
            condition,
            drafted: self.t,
            amount,
            approvals: 0,
            voided: None,
        });
        self.push(
            StepKind::FineDraft {
                fine: id,
                contractor,
                condition,
                amount,
            },
            false,
        );
        Some(self.facts.fines.len() - 1)
    }

    pub fn approve(&mut self, at: i64, fine: usize) -> Option<()> {
        let f = &self.facts.fines[fine];
        self.require(
            f.voided.is_none() && f.approvals < 2 && !self.status.is_terminal(),
            "fine_approved",
        );
        self.advance(at)?;
        let f = &mut self.facts.fines[fine];
        let step = if f.approvals == 0 {
            FineApprovalStep::Leader
        } else {
            FineApprovalStep::Manager
        };
        f.approvals += 1;
        let id = f.id.clone();
        self.push(StepKind::FineApprove { fine: id, step }, false);
        Some(())
    }

    pub fn void(&mut self, at: i64, fine: usize) -> Option<()> {
        self.require(self.facts.fines[fine].voided.is_none(), "fine_voided");
        self.advance(at)?;
        let t = self.t;
        let f = &mut self.facts.fines[fine];
        f.voided = Some(t);
        let id = f.id.clone();
        self.push(StepKind::FineVoid { fine: id }, false);
        Some(())
    }

    pub fn callback(&mut self, at: i64, level: Satisfaction) -> Option<()> {
        let on_closed = self.status == Status::Closed && !self.callback_in_cycle;
        self.require(self.status == Status::Accepted || on_closed, "callback");
        // Reading 4: 不满意 only on an accepted case that is not closed.
        self.require(
            level != Satisfaction::Dissatisfied || self.status == Status::Accepted,
            "callback 不满意",
        );
        self.advance(at)?;
        self.callback_in_cycle = true;
        let t = self.t;
        self.facts.callbacks.push((t, level));
        if level == Satisfaction::Dissatisfied {
            self.status = Status::Reopened;
            self.callback_in_cycle = false;
        }
        self.push(StepKind::Callback(level), false);
        Some(())
    }

    pub fn close(&mut self, at: i64) -> Option<()> {
        self.require(
            self.is(&[Status::Accepted, Status::Open, Status::Reopened])
                && self.facts.closed.is_none(),
            "closed",
        );
        self.advance(at)?;
        self.stop_clock();
        self.facts.closed = Some(self.t);
        self.status = Status::Closed;
        self.push(StepKind::Close, false);
        Some(())
    }

    pub fn cancel(&mut self, at: i64, not_a_defect: bool) -> Option<()> {
        self.require(
            !self.status.is_terminal() && self.facts.closed.is_none(),
            "cancelled",
        );
        self.advance(at)?;
        self.stop_clock();
        if not_a_defect {
            self.facts.uncounted = Some(self.t);
        } else {
            self.facts.closed = Some(self.t);
        }
        self.status = Status::Cancelled;
        self.push(StepKind::Cancel { not_a_defect }, false);
        Some(())
    }

    pub fn merge_into(&mut self, at: i64, survivor: usize) -> Option<()> {
        self.require(!self.status.is_terminal(), "merged_into");
        self.advance(at)?;
        self.stop_clock();
        self.facts.uncounted = Some(self.t);
        self.status = Status::Merged;
        self.push(StepKind::MergeInto(survivor), false);
        Some(())
    }

    /// The office asks for more evidence (the photo is to be taken again).
    pub fn request_evidence(&mut self, at: i64) -> Option<()> {
        self.require(!self.status.is_terminal(), "evidence_requested");
        self.advance(at)?;
        self.push(StepKind::RequestEvidence, false);
        Some(())
    }

    /// A repair report from the last notice's contractor that reaches the server after the
    /// case ended (a foreman's phone that synced late): the workflow keeps it on the timeline
    /// as an anomaly for the office to clear up, and nothing else changes.
    pub fn late_report(&mut self, at: i64) -> Option<()> {
        self.require(
            (self.status == Status::Closed || self.status.is_terminal())
                && self.contractor().is_some(),
            "a late repair report",
        );
        self.advance(at)?;
        self.push(StepKind::Report, true);
        Some(())
    }
}
