//! Writing a unit's case records (its projection) inside a document write or a reindex.
//!
//! The same rows as the SQLite backend's, written the same way: the unit's rows are deleted
//! and inserted again; SQLite's `INSERT OR REPLACE` is `ON CONFLICT … DO UPDATE` with every
//! column (one row per statement, so a row repeated in a projection replaces the earlier one as
//! in SQLite), and `INSERT OR IGNORE` is `ON CONFLICT DO NOTHING`. Callers hold the unit
//! document's row lock (`docs.rs`), so two projections of one unit never interleave.

use std::collections::HashMap;

use plumbline_shared::ids::BlobHash;
use plumbline_shared::projection::UnitProjection;
use plumbline_shared::workflow::reminder::Audience;

use super::{Param, Params, big, execute, execute_all, json_text, params, refs};
use crate::store::StoreResult;
use deadpool_postgres::Transaction;

/// Every table of the projection (what `reindex` rebuilds). Notifications and robot messages
/// are not among them: they are what was told to whom, and stay.
pub(super) const PROJECTION_TABLES: [&str; 9] = [
    "cases",
    "case_events",
    "notices",
    "fines",
    "callbacks",
    "evidence_refs",
    "unit_inspections",
    "emergency_repairs",
    "signed_walks",
];

/// Deletes a unit's rows from every projection table.
async fn delete_projection(tx: &Transaction<'_>, unit: &str) -> StoreResult<()> {
    for table in PROJECTION_TABLES {
        execute(
            tx,
            &format!("DELETE FROM {table} WHERE unit_id = $1"),
            &[&unit],
        )
        .await?;
    }
    Ok(())
}

/// Replaces a unit's projection rows by `p`'s, and records its reminders.
pub(super) async fn insert_projection(
    tx: &Transaction<'_>,
    p: &UnitProjection,
    now: i64,
) -> StoreResult<()> {
    let unit = p.unit.as_str();
    let project = p.project.as_str();
    delete_projection(tx, unit).await?;
    // One more write of the unit's rows (see the `projection_versions` migration).
    execute(
        tx,
        "INSERT INTO projection_versions (unit_id, project_id, version) VALUES ($1, $2, 1)
         ON CONFLICT (unit_id) DO UPDATE
            SET version = projection_versions.version + 1, project_id = excluded.project_id",
        &[&unit, &project],
    )
    .await?;
    insert_inspection(tx, p, now).await?;
    insert_reminders(tx, p, now).await?;

    let case = tx
        .prepare_cached(
            "INSERT INTO cases (finding_id, project_id, unit_id, origin, room, item, category,
                severity, description, status, contractor_id, notice_no, response_deadline,
                repair_deadline, return_deadline, response_overdue, repair_overdue,
                return_overdue, emergency_required, penalties, anomalies, conflicts,
                evidence_refs, open_evidence_requests, reopen_count, created_by, created_at,
                closed_at, counts, merged_into, projected_at, clock_running, callback_due,
                verdicts_until, evidence_after_acceptance)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33,
                $34, $35)",
        )
        .await?;
    let rows: Vec<Params> = p
        .cases
        .iter()
        .map(|c| {
            let penalties: Vec<String> = c.penalties.iter().map(u8::to_string).collect();
            params![
                c.finding.as_str().to_owned(),
                project.to_owned(),
                unit.to_owned(),
                json_text(&c.origin),
                c.room.clone(),
                c.item.clone(),
                c.category.clone(),
                c.severity.as_str().to_owned(),
                c.description.clone(),
                c.status.as_str().to_owned(),
                c.contractor.as_ref().map(|x| x.as_str().to_owned()),
                c.notice_no.clone(),
                c.response_deadline.map(|t| t.0),
                c.repair_deadline.map(|t| t.0),
                c.return_deadline.map(|t| t.0),
                c.response_overdue,
                c.repair_overdue,
                c.return_overdue,
                c.emergency_required,
                penalties.join(","),
                big(c.anomalies),
                big(c.conflicts),
                big(c.evidence_refs),
                big(c.open_evidence_requests),
                big(c.reopen_count),
                c.created_by.as_str().to_owned(),
                c.created_at.0,
                c.closed_at.map(|t| t.0),
                c.counts,
                c.merged_into.as_ref().map(|x| x.as_str().to_owned()),
                now,
                c.clock_running,
                c.callback_due,
                c.verdicts_until.map(|t| t.0),
                big(c.evidence_after_acceptance),
            ]
        })
        .collect();
    execute_all(tx, &case, rows.iter().map(refs).collect()).await?;

    let event = tx
        .prepare_cached(
            "INSERT INTO case_events (event_id, finding_id, unit_id, kind, user_id, role,
                device_id, device_time, received_at, payload)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (finding_id, event_id) DO UPDATE SET unit_id = excluded.unit_id,
                kind = excluded.kind, user_id = excluded.user_id, role = excluded.role,
                device_id = excluded.device_id, device_time = excluded.device_time,
                received_at = excluded.received_at, payload = excluded.payload",
        )
        .await?;
    let rows: Vec<Params> = p
        .events
        .iter()
        .map(|e| {
            params![
                e.event.as_str().to_owned(),
                e.finding.as_str().to_owned(),
                unit.to_owned(),
                e.kind.clone(),
                e.user.as_str().to_owned(),
                e.role.as_str().to_owned(),
                e.device.clone(),
                e.device_time.0,
                e.received_at.map(|t| t.0),
                e.payload.clone(),
            ]
        })
        .collect();
    execute_all(tx, &event, rows.iter().map(refs).collect()).await?;

    let notice = tx
        .prepare_cached(
            "INSERT INTO notices (notice_no, finding_id, unit_id, contractor_id, issued_at,
                response_deadline, responded_at, repair_deadline, repair_reported_at,
                accepted_at, returned_at, current, first_reported_at, stopped_at,
                failed_acceptances)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (finding_id, notice_no) DO UPDATE SET unit_id = excluded.unit_id,
                contractor_id = excluded.contractor_id, issued_at = excluded.issued_at,
                response_deadline = excluded.response_deadline,
                responded_at = excluded.responded_at, repair_deadline = excluded.repair_deadline,
                repair_reported_at = excluded.repair_reported_at,
                accepted_at = excluded.accepted_at, returned_at = excluded.returned_at,
                current = excluded.current, first_reported_at = excluded.first_reported_at,
                stopped_at = excluded.stopped_at,
                failed_acceptances = excluded.failed_acceptances",
        )
        .await?;
    let rows: Vec<Params> = p
        .notices
        .iter()
        .map(|n| {
            params![
                n.notice_no.clone(),
                n.finding.as_str().to_owned(),
                unit.to_owned(),
                n.contractor.as_str().to_owned(),
                n.issued_at.0,
                n.response_deadline.0,
                n.responded_at.map(|t| t.0),
                n.repair_deadline.0,
                n.repair_reported_at.map(|t| t.0),
                n.accepted_at.map(|t| t.0),
                n.returned_at.map(|t| t.0),
                n.current,
                n.first_reported_at.map(|t| t.0),
                n.stopped_at.map(|t| t.0),
                big(n.failed_acceptances),
            ]
        })
        .collect();
    execute_all(tx, &notice, rows.iter().map(refs).collect()).await?;

    let emergency = tx
        .prepare_cached(
            "INSERT INTO emergency_repairs (finding_id, unit_id, seq, team, charged_to,
                started_at, finished_at, cost_fen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (finding_id, seq) DO UPDATE SET unit_id = excluded.unit_id,
                team = excluded.team, charged_to = excluded.charged_to,
                started_at = excluded.started_at, finished_at = excluded.finished_at,
                cost_fen = excluded.cost_fen",
        )
        .await?;
    // Each finding's repairs numbered 0, 1, … in the projection's order.
    let mut seq_of: HashMap<&str, i64> = HashMap::new();
    let rows: Vec<Params> = p
        .emergencies
        .iter()
        .map(|e| {
            let seq = seq_of.entry(e.finding.as_str()).or_default();
            let row = params![
                e.finding.as_str().to_owned(),
                unit.to_owned(),
                *seq,
                e.team.clone(),
                e.charged_to.as_ref().map(|x| x.as_str().to_owned()),
                e.started_at.0,
                e.finished_at.map(|t| t.0),
                e.cost_fen,
            ];
            *seq += 1;
            row
        })
        .collect();
    execute_all(tx, &emergency, rows.iter().map(refs).collect()).await?;

    let fine = tx
        .prepare_cached(
            "INSERT INTO fines (fine_id, finding_id, unit_id, contractor_id, condition,
                amount_fen, status, drafted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (finding_id, fine_id) DO UPDATE SET unit_id = excluded.unit_id,
                contractor_id = excluded.contractor_id, condition = excluded.condition,
                amount_fen = excluded.amount_fen, status = excluded.status,
                drafted_at = excluded.drafted_at",
        )
        .await?;
    let rows: Vec<Params> = p
        .fines
        .iter()
        .map(|f| {
            params![
                f.fine.as_str().to_owned(),
                f.finding.as_str().to_owned(),
                unit.to_owned(),
                f.contractor.as_str().to_owned(),
                big(f.condition.number()),
                f.amount_fen,
                json_text(&f.status),
                f.drafted_at.0,
            ]
        })
        .collect();
    execute_all(tx, &fine, rows.iter().map(refs).collect()).await?;

    let callback = tx
        .prepare_cached(
            "INSERT INTO callbacks (event_id, finding_id, unit_id, at, channel, level)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (finding_id, event_id) DO UPDATE SET unit_id = excluded.unit_id,
                at = excluded.at, channel = excluded.channel, level = excluded.level",
        )
        .await?;
    let rows: Vec<Params> = p
        .callbacks
        .iter()
        .map(|c| {
            params![
                c.event.as_str().to_owned(),
                c.finding.as_str().to_owned(),
                unit.to_owned(),
                c.at.0,
                json_text(&c.channel),
                json_text(&c.level),
            ]
        })
        .collect();
    execute_all(tx, &callback, rows.iter().map(refs).collect()).await?;

    let evidence = tx
        .prepare_cached(
            "INSERT INTO evidence_refs (hash, finding_id, unit_id, project_id, bytes,
                captured_at, thumb_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (finding_id, hash) DO UPDATE SET unit_id = excluded.unit_id,
                project_id = excluded.project_id, bytes = excluded.bytes,
                captured_at = excluded.captured_at, thumb_hash = excluded.thumb_hash",
        )
        .await?;
    let rows: Vec<Params> = p
        .evidence
        .iter()
        .map(|e| {
            params![
                e.hash.as_str().to_owned(),
                e.finding.as_str().to_owned(),
                unit.to_owned(),
                project.to_owned(),
                // As the SQLite backend stores it (a size never comes near i64::MAX).
                e.bytes as i64,
                e.captured_at.0,
                e.thumbnail.as_ref().map(|h| BlobHash::as_str(h).to_owned()),
            ]
        })
        .collect();
    execute_all(tx, &evidence, rows.iter().map(refs).collect()).await?;

    let walk = tx
        .prepare_cached(
            "INSERT INTO signed_walks (walk_id, unit_id, project_id, version, signed_at,
                signature_hash, snapshot_hash, findings, changed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (unit_id, walk_id) DO UPDATE SET project_id = excluded.project_id,
                version = excluded.version, signed_at = excluded.signed_at,
                signature_hash = excluded.signature_hash, snapshot_hash = excluded.snapshot_hash,
                findings = excluded.findings, changed = excluded.changed",
        )
        .await?;
    let rows: Vec<Params> = p
        .walks
        .iter()
        .map(|w| {
            params![
                w.walk.as_str().to_owned(),
                unit.to_owned(),
                project.to_owned(),
                big(w.version),
                w.signed_at.0,
                w.signature.as_str().to_owned(),
                w.snapshot_hash.clone(),
                big(w.findings),
                big(w.changed),
            ]
        })
        .collect();
    execute_all(tx, &walk, rows.iter().map(refs).collect()).await?;
    Ok(())
}

/// A unit's inspection progress (the readiness page), beside its case records.
async fn insert_inspection(tx: &Transaction<'_>, p: &UnitProjection, now: i64) -> StoreResult<()> {
    execute(
        tx,
        "INSERT INTO unit_inspections (unit_id, project_id, rounds, most_marked, projected_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (unit_id) DO UPDATE SET project_id = excluded.project_id,
            rounds = excluded.rounds, most_marked = excluded.most_marked,
            projected_at = excluded.projected_at",
        &[
            &p.unit.as_str(),
            &p.project.as_str(),
            &big(p.inspection.rounds),
            &big(p.inspection.most_marked),
            &now,
        ],
    )
    .await?;
    Ok(())
}

/// The columns a reminder is recorded with, for each recipient.
const NOTIFICATION_INSERT: &str = "INSERT INTO notifications (reminder_key, user_id,
    project_id, unit_id, finding_id, kind, notice_no, due_at, created_at)";

/// Records the reminders of a projection once per recipient (`ON CONFLICT DO NOTHING` on the
/// key and the user), resolving each audience to the people who hold it in the project now,
/// and queues each reminder's work-group message once where the project has a robot. The
/// parameters of `INSERT … SELECT` are cast: PostgreSQL would take them for text otherwise.
async fn insert_reminders(tx: &Transaction<'_>, p: &UnitProjection, now: i64) -> StoreResult<()> {
    // Everything but the key and the recipient.
    const REST: &str = "$2::TEXT, $3::TEXT, $4::TEXT, $5::TEXT, $6::TEXT, $7::BIGINT, $8::BIGINT";
    let to_user = tx
        .prepare_cached(&format!(
            "{NOTIFICATION_INSERT} VALUES ($1, $9, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (reminder_key, user_id) DO NOTHING"
        ))
        .await?;
    let to_role = tx
        .prepare_cached(&format!(
            "{NOTIFICATION_INSERT} SELECT $1::TEXT, user_id, {REST} FROM memberships
             WHERE project_id = $2::TEXT AND role = $9::TEXT
             ON CONFLICT (reminder_key, user_id) DO NOTHING"
        ))
        .await?;
    let to_company = tx
        .prepare_cached(&format!(
            "{NOTIFICATION_INSERT} SELECT $1::TEXT, user_id, {REST} FROM memberships
             WHERE project_id = $2::TEXT AND role = 'contractor' AND contractor_id = $9::TEXT
             ON CONFLICT (reminder_key, user_id) DO NOTHING"
        ))
        .await?;
    let to_robot = tx
        .prepare_cached(&format!(
            "INSERT INTO webhook_outbox (reminder_key, project_id, unit_id, finding_id, kind,
                notice_no, due_at, created_at, next_attempt_at)
             SELECT $1::TEXT, {REST}, $8::BIGINT FROM project_webhooks
             WHERE project_id = $2::TEXT
             ON CONFLICT (reminder_key) DO NOTHING"
        ))
        .await?;
    let (project, unit) = (p.project.as_str(), p.unit.as_str());
    for r in &p.reminders {
        let (finding, kind) = (r.finding.as_str(), r.kind.as_str());
        let common: [Param<'_>; 8] = [
            &r.key,
            &project,
            &unit,
            &finding,
            &kind,
            &r.notice_no,
            &r.at.0,
            &now,
        ];
        tx.execute(&to_robot, &common).await?;
        for to in &r.to {
            let (statement, who) = match to {
                Audience::User(user) => (&to_user, user.as_str()),
                Audience::Role(role) => (&to_role, role.as_str()),
                Audience::Contractor(company) => (&to_company, company.as_str()),
            };
            let mut values = common.to_vec();
            values.push(&who);
            tx.execute(statement, &values).await?;
        }
    }
    Ok(())
}
