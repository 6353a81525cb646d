//! The penalty conditions of the complaint center's rules (DESIGN.md §2).

use std::fmt;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::{ContractorId, EventId};
use crate::time::Timestamp;

/// One of the five conditions under which a contractor is fined.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum PenaltyCondition {
    /// 1. The contractor refused the rectification notice.
    Refused,
    /// 2. Not on site and no plan within 4 hours of the notice.
    NoResponse,
    /// 3. The repair was not done by its deadline, or failed acceptance.
    RepairLateOrFailed,
    /// 4. The repair does not satisfy the owner (a callback of 不满意).
    OwnerDissatisfied,
    /// 5. The notice was not returned with the contractor's reply in time after the repair.
    NoticeNotReturned,
}

impl PenaltyCondition {
    /// All five, in the rules' order.
    pub const ALL: [PenaltyCondition; 5] = [
        PenaltyCondition::Refused,
        PenaltyCondition::NoResponse,
        PenaltyCondition::RepairLateOrFailed,
        PenaltyCondition::OwnerDissatisfied,
        PenaltyCondition::NoticeNotReturned,
    ];

    /// The number the rules give it (1–5).
    pub fn number(self) -> u8 {
        match self {
            PenaltyCondition::Refused => 1,
            PenaltyCondition::NoResponse => 2,
            PenaltyCondition::RepairLateOrFailed => 3,
            PenaltyCondition::OwnerDissatisfied => 4,
            PenaltyCondition::NoticeNotReturned => 5,
        }
    }

    /// Conditions 1–4 also require emergency repair; 5 only a fine.
    pub fn requires_emergency_repair(self) -> bool {
        self != PenaltyCondition::NoticeNotReturned
    }

    /// The Chinese wording.
    pub fn label_zh(self) -> &'static str {
        match self {
            PenaltyCondition::Refused => "拒绝接受整改通知",
            PenaltyCondition::NoResponse => "4小时内未到场且无方案",
            PenaltyCondition::RepairLateOrFailed => "未按期完成整改或验收不合格",
            PenaltyCondition::OwnerDissatisfied => "整改不达标，业主不满意",
            PenaltyCondition::NoticeNotReturned => "整改后未回复通知单",
        }
    }

    /// The English wording.
    pub fn label_en(self) -> &'static str {
        match self {
            PenaltyCondition::Refused => "Refused the rectification notice",
            PenaltyCondition::NoResponse => "Not on site and no plan within 4 hours",
            PenaltyCondition::RepairLateOrFailed => "Repair late or failed acceptance",
            PenaltyCondition::OwnerDissatisfied => "Repair below standard, owner dissatisfied",
            PenaltyCondition::NoticeNotReturned => "Notice not returned with a reply",
        }
    }
}

impl fmt::Display for PenaltyCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "condition {}", self.number())
    }
}

/// A penalty condition that holds against a contractor on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Penalty {
    /// Which condition.
    pub condition: PenaltyCondition,
    /// The contractor it holds against.
    pub contractor: ContractorId,
    /// The notice it arose under.
    pub notice_no: String,
    /// When it came to hold: the event's time, or the deadline that passed.
    pub since: Timestamp,
    /// The event that made it hold, when an event did (not for a deadline that passed).
    pub event: Option<EventId>,
}
