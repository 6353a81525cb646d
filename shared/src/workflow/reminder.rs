//! Reminders and escalations: whom the department's rules say to tell about a case, and from
//! which instant.
//!
//! The complaint center exists for the moment a contractor stays silent, so the server tells
//! people when a deadline comes near or passes. Which messages a case calls for is decided here,
//! from the case's [`CaseState`] at `now` — the same derivation every page and phone uses — so a
//! dispute or a refusal, which stops a notice's clock, stops its reminders too.
//!
//! [`due`] lists every reminder whose instant has come and whose condition still holds; each
//! has a [`Reminder::key`] that is the same whenever and wherever it is computed, so whoever
//! records them (the server, in the same transaction as the case's projection) records each
//! exactly once however often, and on however many replicas, it is computed. [`next_instant`]
//! tells when the next one becomes due, so the case is derived again then.
//!
//! | kind | from | to |
//! |---|---|---|
//! | response due soon | response deadline − [`WorkflowSettings::reminder_lead_ms`] | the contractor's foremen, the notice's issuer |
//! | response overdue (响应超时) | response deadline + 1 ms | manager, coordinator |
//! | emergency repair proposed | the same instant, S1 cases only | manager, coordinator |
//! | repair overdue | repair deadline + 1 ms | the contractor's foremen, the issuer, manager |
//! | notice not returned | return deadline + 1 ms | the contractor's foremen, the issuer |
//! | callback due | acceptance | front desk |
//! | callback overdue | acceptance + [`WorkflowSettings::callback_window_ms`] | front desk, manager |
//! | evidence request unanswered | request + [`WorkflowSettings::evidence_answer_ms`] | inspectors |
//! | fine awaiting approval | drafting + [`WorkflowSettings::fine_approval_working_days`] | coordinator (leader step) or manager |

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use super::{CaseState, FineStatus, Status, WorkflowSettings};
use crate::ids::{ContractorId, FindingId, UserId};
use crate::role::Role;
use crate::severity::Severity;
use crate::time::{DAY_MS, Timestamp};

/// What a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// The four-hour window ends within the lead time and nobody answered.
    ResponseDueSoon,
    /// The window passed with no answer: 响应超时, an escalation.
    ResponseOverdue,
    /// An S1 case whose contractor stayed silent: emergency repair proposed at once.
    EmergencyProposed,
    /// The repair deadline passed with no repair reported.
    RepairOverdue,
    /// The notice did not come back in time after acceptance.
    NoticeNotReturned,
    /// Accepted: the owner is to be called back.
    CallbackDue,
    /// Accepted some time ago and still no callback.
    CallbackOverdue,
    /// A request for more evidence went unanswered.
    EvidenceUnanswered,
    /// A fine slip has waited for its next approval.
    FineAwaitingApproval,
}

impl ReminderKind {
    /// Every kind, in table order.
    pub const ALL: [ReminderKind; 9] = [
        ReminderKind::ResponseDueSoon,
        ReminderKind::ResponseOverdue,
        ReminderKind::EmergencyProposed,
        ReminderKind::RepairOverdue,
        ReminderKind::NoticeNotReturned,
        ReminderKind::CallbackDue,
        ReminderKind::CallbackOverdue,
        ReminderKind::EvidenceUnanswered,
        ReminderKind::FineAwaitingApproval,
    ];

    /// The stable name stored and sent (`response_overdue`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::ResponseDueSoon => "response_due_soon",
            ReminderKind::ResponseOverdue => "response_overdue",
            ReminderKind::EmergencyProposed => "emergency_proposed",
            ReminderKind::RepairOverdue => "repair_overdue",
            ReminderKind::NoticeNotReturned => "notice_not_returned",
            ReminderKind::CallbackDue => "callback_due",
            ReminderKind::CallbackOverdue => "callback_overdue",
            ReminderKind::EvidenceUnanswered => "evidence_unanswered",
            ReminderKind::FineAwaitingApproval => "fine_awaiting_approval",
        }
    }

    /// Parses [`ReminderKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether it goes up to the people who must step in (升级) rather than reminding the
    /// one who must act (提醒).
    pub fn is_escalation(self) -> bool {
        matches!(
            self,
            ReminderKind::ResponseOverdue
                | ReminderKind::EmergencyProposed
                | ReminderKind::CallbackOverdue
        )
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            ReminderKind::ResponseDueSoon => "4小时响应即将到期",
            ReminderKind::ResponseOverdue => "响应超时",
            ReminderKind::EmergencyProposed => "建议启动应急维修",
            ReminderKind::RepairOverdue => "整改逾期",
            ReminderKind::NoticeNotReturned => "整改通知单未回复",
            ReminderKind::CallbackDue => "待回访",
            ReminderKind::CallbackOverdue => "回访逾期",
            ReminderKind::EvidenceUnanswered => "补充证据未回应",
            ReminderKind::FineAwaitingApproval => "罚款单待审批",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            ReminderKind::ResponseDueSoon => "4-hour response due soon",
            ReminderKind::ResponseOverdue => "Response overdue",
            ReminderKind::EmergencyProposed => "Emergency repair proposed",
            ReminderKind::RepairOverdue => "Repair overdue",
            ReminderKind::NoticeNotReturned => "Notice not returned",
            ReminderKind::CallbackDue => "Callback due",
            ReminderKind::CallbackOverdue => "Callback overdue",
            ReminderKind::EvidenceUnanswered => "Evidence request unanswered",
            ReminderKind::FineAwaitingApproval => "Fine slip awaiting approval",
        }
    }
}

/// Who is told.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum Audience {
    /// Every foreman (contractor account) of this company in the project.
    Contractor(ContractorId),
    /// Every person holding this role in the project.
    Role(Role),
    /// One person (the notice's issuer).
    User(UserId),
}

/// One reminder or escalation a case calls for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// The same for the same reminder wherever and whenever it is computed.
    pub key: String,
    /// What it is about.
    pub kind: ReminderKind,
    /// The finding.
    pub finding: FindingId,
    /// The notice it concerns, where there is one.
    pub notice_no: Option<String>,
    /// The instant it became due.
    pub at: Timestamp,
    /// Whom it goes to.
    pub to: Vec<Audience>,
}

/// What one case calls for at `now`: a reminder per rule whose instant has come (`at <= now`)
/// and whose condition holds at `now`, in the order of their instants.
pub fn due(
    finding: &FindingId,
    severity: Severity,
    state: &CaseState,
    now: Timestamp,
    settings: &WorkflowSettings,
) -> Vec<Reminder> {
    let mut out: Vec<Reminder> = candidates(finding, severity, state, settings)
        .into_iter()
        .filter(|(r, _, holds)| r.at <= now && holds(now))
        .map(|(r, _, _)| r)
        .collect();
    out.sort_by_key(|r| (r.at, r.kind));
    out
}

/// The first instant after `now` at which [`due`] could list a reminder it does not list now.
pub fn next_instant(
    finding: &FindingId,
    severity: Severity,
    state: &CaseState,
    now: Timestamp,
    settings: &WorkflowSettings,
) -> Option<Timestamp> {
    candidates(finding, severity, state, settings)
        .into_iter()
        .filter(|(_, possible, _)| *possible)
        .map(|(r, _, _)| r.at)
        .filter(|at| *at > now)
        .min()
}

/// A reminder, whether its condition can still come to hold with no new event (a met or stopped
/// deadline cannot), and the condition (at a given instant) that must hold for it to be sent.
type Candidate<'a> = (Reminder, bool, Box<dyn Fn(Timestamp) -> bool + 'a>);

/// Every reminder the case's rules could call for, with its instant and condition. Conditions
/// that depend on time beyond the instant itself (overdue verdicts) come from `state`, which
/// was derived for the `now` the caller asks about.
fn candidates<'a>(
    finding: &FindingId,
    severity: Severity,
    state: &'a CaseState,
    settings: &WorkflowSettings,
) -> Vec<Candidate<'a>> {
    let mut out: Vec<Candidate<'a>> = Vec::new();
    // The key names the rule, the case, what it is about (a notice, or a fine slip's step)
    // and the instant: a new notice, a new acceptance or the next approval step is a new key.
    let current = state.notice.as_ref().map(|n| n.notice_no.clone());
    let make = |kind: ReminderKind, about: Option<&str>, at: Timestamp, to: Vec<Audience>| {
        let key = format!(
            "{}:{}:{}:{}",
            kind.as_str(),
            finding,
            about.unwrap_or("-"),
            at.0
        );
        Reminder {
            key,
            kind,
            finding: finding.clone(),
            notice_no: current.clone(),
            at,
            to,
        }
    };
    let status = state.status;
    if let Some(n) = &state.notice {
        let no = Some(n.notice_no.as_str());
        let contractor = Audience::Contractor(n.contractor.clone());
        let issuer: Vec<Audience> = n.issued_by.iter().cloned().map(Audience::User).collect();
        let waiting =
            status == Status::Notified && n.clock_stopped_at.is_none() && n.responded.is_none();
        let deadline = n.response_deadline;
        let mut to = vec![contractor.clone()];
        to.extend(issuer.clone());
        out.push((
            make(
                ReminderKind::ResponseDueSoon,
                no,
                deadline.plus_ms(-settings.reminder_lead_ms),
                to,
            ),
            waiting,
            Box::new(move |now| waiting && now <= deadline),
        ));
        let leaders = vec![
            Audience::Role(Role::Manager),
            Audience::Role(Role::Coordinator),
        ];
        let overdue = state.response_overdue;
        out.push((
            make(
                ReminderKind::ResponseOverdue,
                no,
                deadline.plus_ms(1),
                leaders.clone(),
            ),
            waiting,
            Box::new(move |_| overdue),
        ));
        if severity == Severity::S1 {
            let required = state.emergency_required && overdue;
            out.push((
                make(
                    ReminderKind::EmergencyProposed,
                    no,
                    deadline.plus_ms(1),
                    leaders,
                ),
                waiting,
                Box::new(move |_| required),
            ));
        }
        let mut to = vec![contractor.clone()];
        to.extend(issuer.clone());
        to.push(Audience::Role(Role::Manager));
        let repair_overdue = state.repair_overdue;
        let repair_open = n.clock_stopped_at.is_none() && n.first_repair_reported_at.is_none();
        out.push((
            make(
                ReminderKind::RepairOverdue,
                no,
                n.repair_deadline.plus_ms(1),
                to,
            ),
            repair_open,
            Box::new(move |_| repair_overdue),
        ));
        if let Some(d) = n.return_deadline {
            let mut to = vec![contractor];
            to.extend(issuer);
            let unreturned = state.return_overdue;
            out.push((
                make(ReminderKind::NoticeNotReturned, no, d.plus_ms(1), to),
                n.returned_at.is_none(),
                Box::new(move |_| unreturned),
            ));
        }
        if let Some(accepted) = n.accepted_at {
            let callback_due = state.callback_due;
            out.push((
                make(
                    ReminderKind::CallbackDue,
                    no,
                    accepted,
                    vec![Audience::Role(Role::FrontDesk)],
                ),
                callback_due,
                Box::new(move |_| callback_due),
            ));
            out.push((
                make(
                    ReminderKind::CallbackOverdue,
                    no,
                    accepted.plus_ms(settings.callback_window_ms),
                    vec![
                        Audience::Role(Role::FrontDesk),
                        Audience::Role(Role::Manager),
                    ],
                ),
                callback_due,
                Box::new(move |_| callback_due),
            ));
        }
    }
    if !status.is_terminal() {
        for request in &state.open_evidence_requests {
            out.push((
                make(
                    ReminderKind::EvidenceUnanswered,
                    None,
                    request.at.plus_ms(settings.evidence_answer_ms),
                    vec![Audience::Role(Role::Inspector)],
                ),
                // Open requests are those not yet answered: the state lists only those.
                true,
                Box::new(|_| true),
            ));
        }
    }
    for fine in &state.fines {
        // The slip's approvals carry no time of their own: both steps are timed from drafting.
        let approver = match fine.status {
            FineStatus::Drafted => Role::Coordinator,
            FineStatus::LeaderApproved => Role::Manager,
            FineStatus::Approved | FineStatus::Voided => continue,
        };
        let at = after_working_days(fine.drafted_at, settings.fine_approval_working_days);
        let key_no = format!("{}#{}", fine.id, fine.approvals.len());
        out.push((
            make(
                ReminderKind::FineAwaitingApproval,
                Some(&key_no),
                at,
                vec![Audience::Role(approver)],
            ),
            true,
            Box::new(|_| true),
        ));
    }
    out
}

/// The instant `days` working days (Monday to Friday in Beijing; holidays are not known)
/// after `from`.
pub fn after_working_days(from: Timestamp, days: u32) -> Timestamp {
    let mut at = from;
    let mut left = days;
    while left > 0 {
        at = at.plus_ms(DAY_MS);
        let weekday = at.date_cst().weekday();
        if weekday != chrono::Weekday::Sat && weekday != chrono::Weekday::Sun {
            left -= 1;
        }
    }
    at
}
