//! SQL text both backends share: the columns they read in one order, and the case listing's
//! order. Kept in one place so that a column added to one backend's reads is added to the
//! other's, and the two list cases in the same order (the conformance suite pages through
//! both).

use super::{CaseOrder, SortKey};

/// The columns each backend's `case_record` reads, in its order.
pub(super) const CASE_COLUMNS: &str =
    "project_id, unit_id, finding_id, origin, room, item, category,
    severity, description, status, contractor_id, notice_no, response_deadline, repair_deadline,
    return_deadline, response_overdue, repair_overdue, return_overdue, emergency_required,
    penalties, anomalies, conflicts, evidence_refs, open_evidence_requests, reopen_count,
    created_by, created_at, closed_at, counts, merged_into, clock_running, callback_due,
    verdicts_until, evidence_after_acceptance";

/// The columns each backend's `notification` reads, in its order.
pub(super) const NOTIFICATION_COLUMNS: &str = "id, user_id, project_id, unit_id, finding_id, kind,
    notice_no, due_at, created_at, read_at";

/// The `ORDER BY` of a case listing: fixed SQL text only. Every order ends with the finding id,
/// so rows with equal keys come in one order on every page and in every export.
pub(super) fn case_order(order: CaseOrder) -> String {
    let dir = if order.descending { "DESC" } else { "ASC" };
    let key = match order.key {
        SortKey::Created => format!("created_at {dir}"),
        // `S1` (emergency) … `S4` sort as text in their order of severity.
        SortKey::Severity => format!("severity {dir}"),
        // The workflow's order (open → notified → … → closed, then the side states), not the
        // alphabet's. The names are the enum's own fixed texts.
        SortKey::Status => {
            let arms: String = plumbline_shared::workflow::Status::ALL
                .iter()
                .enumerate()
                .map(|(i, s)| format!(" WHEN '{}' THEN {i}", s.as_str()))
                .collect();
            format!("CASE status{arms} ELSE 99 END {dir}")
        }
        // Cases without a deadline (no notice yet) come last either way: they are not due.
        SortKey::Deadline => format!("(repair_deadline IS NULL), repair_deadline {dir}"),
        SortKey::Unit => format!("unit_id {dir}"),
    };
    format!("{key}, finding_id")
}
