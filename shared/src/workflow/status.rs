//! A case's status, derived from its events (never stored).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a case stands. The main line is open → notified → in repair → repair reported →
/// accepted → closed; disputed, emergency repair, reopened, cancelled and merged are the side
/// states of DESIGN.md §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Recorded, no notice yet.
    Open,
    /// A notice is out; the 4-hour response clock runs.
    Notified,
    /// The contractor responded and is repairing (or repairs again after a failed acceptance).
    InRepair,
    /// The repair is reported done and awaits acceptance.
    RepairReported,
    /// The repair passed acceptance.
    Accepted,
    /// Closed.
    Closed,
    /// The contractor disputes the assignment; awaits reassignment.
    Disputed,
    /// Another team is repairing at the contractor's cost.
    EmergencyRepair,
    /// Reopened (a dissatisfied owner, or by hand); needs a new notice.
    Reopened,
    /// Cancelled.
    Cancelled,
    /// Merged into another finding; counts there.
    Merged,
}

impl Status {
    /// Every status, main line first.
    pub const ALL: [Status; 11] = [
        Status::Open,
        Status::Notified,
        Status::InRepair,
        Status::RepairReported,
        Status::Accepted,
        Status::Closed,
        Status::Disputed,
        Status::EmergencyRepair,
        Status::Reopened,
        Status::Cancelled,
        Status::Merged,
    ];

    /// The stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Notified => "notified",
            Status::InRepair => "in_repair",
            Status::RepairReported => "repair_reported",
            Status::Accepted => "accepted",
            Status::Closed => "closed",
            Status::Disputed => "disputed",
            Status::EmergencyRepair => "emergency_repair",
            Status::Reopened => "reopened",
            Status::Cancelled => "cancelled",
            Status::Merged => "merged",
        }
    }

    /// Parses the machine name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Status::Open => "待处理",
            Status::Notified => "已通知",
            Status::InRepair => "整改中",
            Status::RepairReported => "待验收",
            Status::Accepted => "已验收",
            Status::Closed => "已关闭",
            Status::Disputed => "有争议",
            Status::EmergencyRepair => "应急维修",
            Status::Reopened => "已重开",
            Status::Cancelled => "已取消",
            Status::Merged => "已合并",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::Notified => "Notified",
            Status::InRepair => "In repair",
            Status::RepairReported => "Repair reported",
            Status::Accepted => "Accepted",
            Status::Closed => "Closed",
            Status::Disputed => "Disputed",
            Status::EmergencyRepair => "Emergency repair",
            Status::Reopened => "Reopened",
            Status::Cancelled => "Cancelled",
            Status::Merged => "Merged",
        }
    }

    /// Cancelled and merged cases take no further workflow events.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Cancelled | Status::Merged)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
