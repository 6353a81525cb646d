//! Inspection rounds and their checklist results.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::{FindingId, ItemId, RoundId};
use crate::role::Actor;
use crate::time::Timestamp;

/// What kind of walk through the unit a round is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum RoundKind {
    /// 交付前验收: pre-handover inspection (round 1, 2, …).
    PreHandover,
    /// 验房: the owner's handover walk.
    HandoverWalk,
    /// 复验: re-inspection after repairs.
    Reinspection,
}

/// The outcome of one check item in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 合格.
    Pass,
    /// 不合格: a finding records the defect.
    Defect,
    /// 不适用.
    NotApplicable,
}

/// One check item's result. Sealed: re-marking an item replaces the whole result, and two
/// concurrent marks are both kept as a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Pass, defect or not applicable.
    pub outcome: Outcome,
    /// The finding that records the defect.
    pub finding: Option<FindingId>,
    /// Who marked it.
    pub by: Actor,
    /// When (device time).
    pub at: Timestamp,
}

/// One walk through a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Round {
    /// Its id.
    pub id: RoundId,
    /// Pre-handover, handover walk or re-inspection.
    pub kind: RoundKind,
    /// 1, 2, … within its kind (two offline starts may share a number; the id tells them apart).
    pub number: u32,
    /// When it started.
    pub started_at: Timestamp,
    /// Who started it.
    pub started_by: Actor,
    /// Results by check item.
    #[autosurgeon(with = "crate::doc::sealed::map")]
    pub results: BTreeMap<ItemId, CheckResult>,
}
