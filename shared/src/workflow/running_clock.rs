//! The clock a case waits on now, for a case header's "还剩 1 小时 20 分" or "超时 35 分钟".
//!
//! It names the deadline that the overdue flags of [`CaseState`] judge, chosen by the same
//! rules, so that the clock a clerk reads and the flag a queue counts never disagree: the
//! response window while a notified contractor has not answered, then the repair deadline
//! while the repair is not reported, then the notice's return window after acceptance. A
//! stopped clock (dispute, refusal, emergency repair, reassignment) shows none. Like every
//! verdict that depends on time, what it says is computed for the instant it is read.

use crate::time::Timestamp;

use super::{CaseState, Status};

/// Which of a notice's deadlines a case waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockKind {
    /// The contractor's answer to the notice (the four-hour window).
    Response,
    /// The repair reported done.
    Repair,
    /// The signed notice returned after acceptance.
    Return,
}

impl ClockKind {
    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            ClockKind::Response => "响应时限",
            ClockKind::Repair => "整改时限",
            ClockKind::Return => "通知单回收时限",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            ClockKind::Response => "Response due",
            ClockKind::Repair => "Repair due",
            ClockKind::Return => "Notice return due",
        }
    }
}

/// A deadline a case waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningClock {
    /// Which deadline.
    pub kind: ClockKind,
    /// When it falls due: an answer at exactly this instant is in time.
    pub deadline: Timestamp,
}

impl RunningClock {
    /// Milliseconds left at `now`; negative once the deadline has passed.
    pub fn remaining_ms(&self, now: Timestamp) -> i64 {
        self.deadline.0.saturating_sub(now.0)
    }

    /// Whether the deadline has passed at `now` (the same boundary as the overdue flags).
    pub fn overdue(&self, now: Timestamp) -> bool {
        now > self.deadline
    }
}

impl CaseState {
    /// The deadline the case waits on, if a clock runs; see the module docs.
    pub fn running_clock(&self) -> Option<RunningClock> {
        let n = self.notice.as_ref()?;
        let running = n.clock_stopped_at.is_none();
        let clock = |kind, deadline| Some(RunningClock { kind, deadline });
        match self.status {
            Status::Notified if running && n.responded.is_none() => {
                clock(ClockKind::Response, n.response_deadline)
            }
            Status::Notified | Status::InRepair if running => {
                clock(ClockKind::Repair, n.repair_deadline)
            }
            status if !status.is_terminal() && n.returned_at.is_none() => {
                n.return_deadline.and_then(|d| clock(ClockKind::Return, d))
            }
            _ => None,
        }
    }
}
