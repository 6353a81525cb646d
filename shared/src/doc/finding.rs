//! A finding (问题 / 投诉案件) as a unit document holds it.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::doc::evidence::EvidenceRef;
use crate::event::{Event, Origin, Receipt};
use crate::ids::{BlobHash, CategoryId, EventId, FindingId, ItemId, RoomId, RoundId};
use crate::role::Actor;
use crate::severity::Severity;
use crate::time::Timestamp;
use crate::workflow::{CaseState, Timeline, WorkflowSettings};

/// One finding: where it is, what it is, its evidence and its timeline.
///
/// `category`, `severity` and `description` are last-writer-wins registers; see
/// [`crate::doc::conflict`] for concurrent edits. Everything else is written once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Finding {
    /// Its id (also its key in the unit document's `findings` map).
    pub id: FindingId,
    /// Where it came from.
    pub origin: Origin,
    /// The inspection round it was found in, if any.
    pub round: Option<RoundId>,
    /// The room (from the checklist template).
    pub room: RoomId,
    /// The check item (from the checklist template).
    pub item: ItemId,
    /// Defect category.
    pub category: CategoryId,
    /// Severity.
    pub severity: Severity,
    /// What is wrong, in the inspector's words.
    pub description: String,
    /// Who recorded it.
    pub created_by: Actor,
    /// When (device time).
    pub created_at: Timestamp,
    /// Photos and signatures, by hash.
    #[autosurgeon(with = "crate::doc::sealed::map")]
    pub evidence: BTreeMap<BlobHash, EvidenceRef>,
    /// The append-only timeline, in the order the document's list holds it (not the workflow's
    /// order: [`CaseState::derive`] sorts).
    #[autosurgeon(with = "crate::doc::sealed::list")]
    pub events: Vec<Event>,
    /// The server's receipts, by event id.
    #[autosurgeon(with = "crate::doc::sealed::map")]
    pub receipts: BTreeMap<EventId, Receipt>,
}

impl Finding {
    /// The workflow's input for this finding.
    pub fn timeline(&self) -> Timeline<'_> {
        Timeline {
            events: &self.events,
            receipts: &self.receipts,
        }
    }

    /// The derived state of this finding at `now`.
    pub fn state(&self, now: Timestamp, settings: &WorkflowSettings) -> CaseState {
        CaseState::derive(&self.timeline(), now, settings)
    }
}
