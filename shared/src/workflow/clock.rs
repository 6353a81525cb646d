//! Which clock an event's time comes from, and the order every replica puts events in.
//!
//! Device clocks are not trusted blindly. An event keeps the device's time; once the server
//! stores it, a [`Receipt`] records the server's time and the device's measured clock skew at
//! that sync. The time the workflow uses (the *effective time*) is:
//!
//! | receipt | device skew | effective time | flagged |
//! |---|---|---|---|
//! | none yet (still only on the device) | – | device time | no |
//! | present | within the bound (5 min) | device time | no |
//! | present | beyond the bound | receipt time | yes: an anomaly |
//!
//! So an inspector's offline check-in counts when it happened, as long as the phone's clock was
//! right; a phone whose clock was wrong cannot move a deadline, and the office sees why.
//!
//! Events are ordered by (effective time, lifecycle rank, event id): the rank only breaks ties
//! between events in the same millisecond so that, for instance, a notice sorts before the
//! response to it; the id makes the order total. Every replica with the same document computes
//! the same order, whatever order the changes arrived in.

use std::cmp::Ordering;

use crate::event::{Event, EventKind, Receipt};
use crate::time::Timestamp;

use super::WorkflowSettings;

/// An event with the time the workflow uses for it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimedEvent<'a> {
    pub event: &'a Event,
    pub at: Timestamp,
    /// `Some(skew)` when the device clock was beyond the bound and the receipt time is used.
    pub skewed: Option<i64>,
}

pub(crate) fn effective_time(
    event: &Event,
    receipt: Option<&Receipt>,
    settings: &WorkflowSettings,
) -> (Timestamp, Option<i64>) {
    match receipt {
        Some(r) if r.skew_ms.unsigned_abs() > settings.clock_skew_bound_ms.unsigned_abs() => {
            (r.received_at, Some(r.skew_ms))
        }
        _ => (event.at, None),
    }
}

/// Orders ties within one millisecond along the case's life.
fn lifecycle_rank(kind: &EventKind) -> u8 {
    match kind {
        EventKind::Recorded { .. } => 0,
        EventKind::EvidenceAdded { .. } | EventKind::EvidenceRequested { .. } => 1,
        EventKind::NoticeIssued { .. } => 2,
        EventKind::NoticeRefused { .. }
        | EventKind::ContractorResponded { .. }
        | EventKind::Disputed { .. } => 3,
        EventKind::Reassigned { .. } => 4,
        EventKind::RepairReported { .. } | EventKind::EmergencyRepairStarted { .. } => 5,
        EventKind::EmergencyRepairFinished { .. } => 6,
        EventKind::AcceptancePassed { .. } | EventKind::AcceptanceFailed { .. } => 7,
        // A review comes after the photos it looked at, within the same millisecond.
        EventKind::EvidenceReviewed { .. } => 8,
        EventKind::FieldEdited { .. } => 1,
        EventKind::NoticeReturned { .. } => 8,
        EventKind::Callback { .. } | EventKind::Reopened { .. } => 9,
        EventKind::FineDrafted { .. }
        | EventKind::ClaimRecorded { .. }
        | EventKind::MergedFrom { .. } => 10,
        EventKind::FineApproved { .. }
        | EventKind::FineVoided { .. }
        | EventKind::ClaimAgreed { .. }
        | EventKind::ClaimPaid { .. } => 11,
        EventKind::MergedInto { .. } | EventKind::Closed { .. } | EventKind::Cancelled { .. } => 12,
    }
}

pub(crate) fn timeline_order(a: &TimedEvent<'_>, b: &TimedEvent<'_>) -> Ordering {
    a.at.cmp(&b.at)
        .then_with(|| lifecycle_rank(&a.event.kind).cmp(&lifecycle_rank(&b.event.kind)))
        .then_with(|| a.event.id.cmp(&b.event.id))
}
