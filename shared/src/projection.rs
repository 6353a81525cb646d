//! Unit document → case records: the rows of the server's relational tables.
//!
//! The server's tables (cases, events, notices, fines, callbacks, evidence) are a projection
//! of the unit documents, rebuilt from them at will. This module is that projection as a pure
//! function, so every storage backend writes the same rows and `reindex` gives the same result
//! as incremental updates.
//!
//! Time-dependent flags (overdue, emergency required) are computed at `now` and go stale as the
//! clock moves; the deadlines are stored beside them so queries can re-evaluate against the
//! current time.

use serde::{Deserialize, Serialize};

use crate::doc::DocError;
use crate::doc::unit::UnitDoc;
use crate::event::{CallbackChannel, Origin, Satisfaction};
use crate::ids::{
    BlobHash, ContractorId, EventId, FindingId, FineId, ProjectId, UnitId, UserId, WalkId,
};
use crate::role::Role;
use crate::severity::Severity;
use crate::time::Timestamp;
use crate::workflow::reminder::{self, Reminder};
use crate::workflow::{FineStatus, PenaltyCondition, Status, WorkflowSettings};

/// Every row one unit document contributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitProjection {
    /// The project.
    pub project: ProjectId,
    /// The unit.
    pub unit: UnitId,
    /// One row per finding.
    pub cases: Vec<CaseRow>,
    /// One row per distinct timeline event.
    pub events: Vec<EventRow>,
    /// One row per notice (current and past).
    pub notices: Vec<NoticeRow>,
    /// One row per fine slip.
    pub fines: Vec<FineRow>,
    /// One row per callback.
    pub callbacks: Vec<CallbackRow>,
    /// One row per emergency repair.
    #[serde(default)]
    pub emergencies: Vec<EmergencyRow>,
    /// One row per evidence reference.
    pub evidence: Vec<EvidenceRow>,
    /// One row per owner's signed walk (业主陪验).
    #[serde(default)]
    pub walks: Vec<WalkRow>,
    /// How far the unit's pre-handover inspection has got (the readiness page).
    #[serde(default)]
    pub inspection: crate::inspection_plan::InspectionProgress,
    /// The reminders and escalations the unit's cases call for at the projection's instant
    /// ([`crate::workflow::reminder::due`]); the server records each once, by its key.
    #[serde(default)]
    pub reminders: Vec<Reminder>,
}

/// A case row with where it is: what the server's case lists answer (the office's pages, a
/// contractor's task list on the phone) and what its reports read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    /// The project.
    pub project: ProjectId,
    /// The unit.
    pub unit: UnitId,
    /// The case.
    #[serde(flatten)]
    pub case: CaseRow,
}

/// A case (one finding) as the office lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRow {
    /// The finding.
    pub finding: FindingId,
    /// Origin.
    pub origin: Origin,
    /// Room id.
    pub room: String,
    /// Check item id.
    pub item: String,
    /// Category id.
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// Description.
    pub description: String,
    /// Derived status.
    pub status: Status,
    /// Responsible contractor.
    pub contractor: Option<ContractorId>,
    /// Current notice number.
    pub notice_no: Option<String>,
    /// Current notice's response deadline.
    pub response_deadline: Option<Timestamp>,
    /// Current notice's repair deadline.
    pub repair_deadline: Option<Timestamp>,
    /// Current notice's return deadline.
    pub return_deadline: Option<Timestamp>,
    /// Response window breached (at projection time).
    pub response_overdue: bool,
    /// Repair overdue (at projection time).
    pub repair_overdue: bool,
    /// Notice not returned in time (at projection time).
    pub return_overdue: bool,
    /// Emergency repair required (at projection time).
    pub emergency_required: bool,
    /// Accepted and the owner not called back since (see [`CaseState::callback_due`]).
    ///
    /// [`CaseState::callback_due`]: crate::workflow::CaseState::callback_due
    #[serde(default)]
    pub callback_due: bool,
    /// The current notice's clocks run: not refused, disputed or otherwise stopped. With the
    /// deadlines this lets a query tell "overdue now" without deriving the case again.
    #[serde(default)]
    pub clock_running: bool,
    /// Until when the verdicts above hold: the earlier of [`CaseState::verdicts_until`] and the
    /// next reminder's instant. A reader at or after it must derive the case again first.
    ///
    /// [`CaseState::verdicts_until`]: crate::workflow::CaseState::verdicts_until
    #[serde(default)]
    pub verdicts_until: Option<Timestamp>,
    /// Penalty condition numbers that hold, in order.
    pub penalties: Vec<u8>,
    /// Number of anomalies.
    pub anomalies: u32,
    /// Number of fields with conflicting values.
    pub conflicts: u32,
    /// Number of evidence references.
    pub evidence_refs: u32,
    /// Open requests for more evidence.
    pub open_evidence_requests: u32,
    /// Photos added after the repair's acceptance that no engineer has reviewed.
    #[serde(default)]
    pub evidence_after_acceptance: u32,
    /// Times reopened.
    pub reopen_count: u32,
    /// Who recorded it.
    pub created_by: UserId,
    /// When it was recorded: the workflow's time of the recorded event (device time, bounded
    /// by the server's receipt).
    pub created_at: Timestamp,
    /// When it was closed or cancelled.
    pub closed_at: Option<Timestamp>,
    /// Whether it counts in figures.
    pub counts: bool,
    /// Merged into this finding.
    pub merged_into: Option<FindingId>,
}

/// One timeline event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// The event.
    pub event: EventId,
    /// Its finding.
    pub finding: FindingId,
    /// Kind name (`notice_issued`, …).
    pub kind: String,
    /// Who.
    pub user: UserId,
    /// In which role.
    pub role: Role,
    /// On which device.
    pub device: String,
    /// Device time.
    pub device_time: Timestamp,
    /// Server receipt time, once received.
    pub received_at: Option<Timestamp>,
    /// The whole event as JSON.
    pub payload: String,
}

/// One rectification notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeRow {
    /// Notice number.
    pub notice_no: String,
    /// Its finding.
    pub finding: FindingId,
    /// Addressed to.
    pub contractor: ContractorId,
    /// Issued.
    pub issued_at: Timestamp,
    /// Response deadline.
    pub response_deadline: Timestamp,
    /// Answered (on site or plan).
    pub responded_at: Option<Timestamp>,
    /// Repair deadline.
    pub repair_deadline: Timestamp,
    /// Repair reported.
    pub repair_reported_at: Option<Timestamp>,
    /// Accepted.
    pub accepted_at: Option<Timestamp>,
    /// Returned with the contractor's reply.
    pub returned_at: Option<Timestamp>,
    /// Whether it is the finding's current notice.
    pub current: bool,
    /// The repair first reported done (condition 3 is judged by it).
    #[serde(default)]
    pub first_reported_at: Option<Timestamp>,
    /// When this contractor's clocks stopped (refusal, dispute, reassignment, acceptance…).
    #[serde(default)]
    pub stopped_at: Option<Timestamp>,
    /// Acceptances the repair failed under this notice.
    #[serde(default)]
    pub failed_acceptances: u32,
}

/// One emergency repair (应急维修) by another team at a contractor's cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyRow {
    /// Its finding.
    pub finding: FindingId,
    /// The team doing it.
    pub team: String,
    /// The contractor who pays.
    pub charged_to: Option<ContractorId>,
    /// Started.
    pub started_at: Timestamp,
    /// Finished.
    pub finished_at: Option<Timestamp>,
    /// Its cost in fen, once finished.
    pub cost_fen: Option<i64>,
}

/// One fine slip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FineRow {
    /// The fine.
    pub fine: FineId,
    /// Its finding.
    pub finding: FindingId,
    /// Fined contractor.
    pub contractor: ContractorId,
    /// The condition.
    pub condition: PenaltyCondition,
    /// Amount in fen.
    pub amount_fen: i64,
    /// Where it stands.
    pub status: FineStatus,
    /// Drafted.
    pub drafted_at: Timestamp,
}

/// One callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackRow {
    /// The callback event.
    pub event: EventId,
    /// Its finding.
    pub finding: FindingId,
    /// When.
    pub at: Timestamp,
    /// Phone or visit.
    pub channel: CallbackChannel,
    /// Satisfaction.
    pub level: Satisfaction,
}

/// One evidence reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRow {
    /// The blob.
    pub hash: BlobHash,
    /// Its finding.
    pub finding: FindingId,
    /// Size in bytes.
    pub bytes: u64,
    /// When captured.
    pub captured_at: Timestamp,
    /// The thumbnail's blob, when the photo has one.
    pub thumbnail: Option<BlobHash>,
}

/// An owner's signed walk as the office lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WalkRow {
    /// The walk.
    pub walk: WalkId,
    /// Its version on the unit (1 for the first signed).
    pub version: u32,
    /// When the owner signed.
    pub signed_at: Timestamp,
    /// The signature image's blob.
    pub signature: BlobHash,
    /// BLAKE3 of the signed snapshot.
    pub snapshot_hash: String,
    /// Findings on the signed list.
    pub findings: u32,
    /// Signed findings that changed since (not a verdict of time: it follows the document).
    pub changed: u32,
}

/// Projects one unit document at `now`.
pub fn project_unit(
    doc: &UnitDoc,
    now: Timestamp,
    settings: &WorkflowSettings,
) -> Result<UnitProjection, DocError> {
    project_record(doc, &doc.read()?, now, settings)
}

/// [`project_unit`] for a caller that has already read the document into `record` (reading a
/// unit is the expensive part; the sync server reads each version once).
pub fn project_record(
    doc: &UnitDoc,
    record: &crate::doc::unit::UnitRecord,
    now: Timestamp,
    settings: &WorkflowSettings,
) -> Result<UnitProjection, DocError> {
    let mut out = UnitProjection {
        project: record.project.clone(),
        unit: record.unit.clone(),
        cases: Vec::new(),
        events: Vec::new(),
        notices: Vec::new(),
        fines: Vec::new(),
        callbacks: Vec::new(),
        emergencies: Vec::new(),
        evidence: Vec::new(),
        walks: crate::doc::walk::versions(&doc.walks()?)
            .into_iter()
            .map(|(version, w)| WalkRow {
                walk: w.id.clone(),
                version,
                signed_at: w.snapshot.signed_at,
                signature: w.signature.hash.clone(),
                snapshot_hash: w.snapshot_hash.clone(),
                findings: w.snapshot.findings.len() as u32,
                changed: w.changes_since(&record.findings).len() as u32,
            })
            .collect(),
        inspection: crate::inspection_plan::InspectionProgress::of(record),
        reminders: Vec::new(),
    };
    for f in record.findings.values() {
        let state = f.state(now, settings);
        out.reminders
            .extend(reminder::due(&f.id, f.severity, &state, now, settings));
        // Derived again at the next deadline or the next reminder, whichever comes first.
        let verdicts_until = [
            state.verdicts_until,
            reminder::next_instant(&f.id, f.severity, &state, now, settings),
        ]
        .into_iter()
        .flatten()
        .min();
        let conflicts = doc.conflicts(&f.id)?.len() as u32;
        let notice = state.notice.as_ref();
        out.cases.push(CaseRow {
            finding: f.id.clone(),
            origin: f.origin,
            room: f.room.to_string(),
            item: f.item.to_string(),
            category: f.category.to_string(),
            severity: f.severity,
            description: f.description.clone(),
            status: state.status,
            contractor: state.contractor.clone(),
            notice_no: notice.map(|n| n.notice_no.clone()),
            response_deadline: notice.map(|n| n.response_deadline),
            repair_deadline: notice.map(|n| n.repair_deadline),
            return_deadline: notice.and_then(|n| n.return_deadline),
            response_overdue: state.response_overdue,
            repair_overdue: state.repair_overdue,
            return_overdue: state.return_overdue,
            emergency_required: state.emergency_required,
            callback_due: state.callback_due,
            clock_running: notice.is_some_and(|n| n.clock_stopped_at.is_none()),
            verdicts_until,
            penalties: state
                .penalties
                .iter()
                .map(|p| p.condition.number())
                .collect(),
            anomalies: state.anomalies.len() as u32,
            conflicts,
            evidence_refs: f.evidence.len() as u32,
            open_evidence_requests: state.open_evidence_requests.len() as u32,
            evidence_after_acceptance: state.evidence_after_acceptance,
            reopen_count: state.reopen_count,
            created_by: f.created_by.user.clone(),
            // The workflow's time of the recording (device time, bounded by the server's
            // receipt), so a phone with a wrong clock cannot put a case in another month.
            created_at: state.opened_at.unwrap_or(f.created_at),
            closed_at: state.closed_at,
            counts: state.counts(),
            merged_into: state.merged_into.clone(),
        });
        let mut seen = std::collections::BTreeSet::new();
        for e in &f.events {
            if !seen.insert(e.id.clone()) {
                continue;
            }
            out.events.push(EventRow {
                event: e.id.clone(),
                finding: f.id.clone(),
                kind: e.kind.name().to_owned(),
                user: e.actor.user.clone(),
                role: e.actor.role,
                device: e.actor.device.to_string(),
                device_time: e.at,
                received_at: f.receipts.get(&e.id).map(|r| r.received_at),
                payload: serde_json::to_string(e).expect("events always serialise"),
            });
        }
        let current = state.notice.iter().map(|n| (n, true));
        for (n, is_current) in state.past_notices.iter().map(|n| (n, false)).chain(current) {
            out.notices.push(NoticeRow {
                notice_no: n.notice_no.clone(),
                finding: f.id.clone(),
                contractor: n.contractor.clone(),
                issued_at: n.issued_at,
                response_deadline: n.response_deadline,
                responded_at: n.responded.map(|(t, _)| t),
                repair_deadline: n.repair_deadline,
                repair_reported_at: n.repair_reported_at,
                accepted_at: n.accepted_at,
                returned_at: n.returned_at,
                current: is_current,
                first_reported_at: n.first_repair_reported_at,
                stopped_at: n.clock_stopped_at,
                failed_acceptances: n.failed_acceptances,
            });
        }
        for fine in &state.fines {
            out.fines.push(FineRow {
                fine: fine.id.clone(),
                finding: f.id.clone(),
                contractor: fine.contractor.clone(),
                condition: fine.condition,
                amount_fen: fine.amount_fen,
                status: fine.status,
                drafted_at: fine.drafted_at,
            });
        }
        for c in &state.callbacks {
            out.callbacks.push(CallbackRow {
                event: c.event.clone(),
                finding: f.id.clone(),
                at: c.at,
                channel: c.channel,
                level: c.level,
            });
        }
        for e in &state.emergency_repairs {
            out.emergencies.push(EmergencyRow {
                finding: f.id.clone(),
                team: e.team.clone(),
                charged_to: e.charged_to.clone(),
                started_at: e.started_at,
                finished_at: e.finished_at,
                cost_fen: e.cost_fen,
            });
        }
        for ev in f.evidence.values() {
            out.evidence.push(EvidenceRow {
                hash: ev.hash.clone(),
                finding: f.id.clone(),
                bytes: ev.bytes,
                captured_at: ev.captured_at,
                thumbnail: ev.thumbnail.as_ref().map(|t| t.hash.clone()),
            });
        }
    }
    Ok(out)
}
