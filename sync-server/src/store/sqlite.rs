//! The embedded SQLite backend.
//!
//! One writer thread owns the only read-write connection and performs **group commit**: it takes
//! every write waiting in its queue, runs each in its own savepoint inside one transaction, and
//! commits once. Each caller gets its answer only after that commit. So many concurrent syncs
//! share one fsync, and none is acknowledged before it is on disk.
//!
//! Durability: the database runs in WAL mode with `synchronous = FULL`. In WAL mode, `NORMAL`
//! syncs the WAL only at checkpoints, so a power cut can lose the last commits even though they
//! were acknowledged; `FULL` syncs the WAL at every commit, which is what makes an
//! acknowledgement durable. Group commit keeps that cost to one fsync per batch.
//!
//! Reads use a small pool of read-only connections on the blocking thread pool; WAL lets them
//! run while the writer writes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use anyhow::Context;
use async_trait::async_trait;
use automerge::ChangeHash;
use plumbline_shared::api::HeadsDigest;
use plumbline_shared::clock::Clock;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::{
    BlobHash, ContractorId, DeviceId, FindingId, ProjectId, UnitId, UserId,
};
use plumbline_shared::inspection_plan::InspectionProgress;
use plumbline_shared::projection::{
    CallbackRow, CaseRow, EmergencyRow, EvidenceRow, FineRow, NoticeRow, UnitProjection,
};
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::PenaltyCondition;
use plumbline_shared::workflow::reminder::{Audience, ReminderKind};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use super::sql::{CASE_COLUMNS, NOTIFICATION_COLUMNS, case_order};
use super::{
    AccountStore, BlobRowStore, CaseFilter, CaseRecord, CaseStore, ChangeFeed, ContactPurpose,
    ContactStore, ContactView, CounterStore, DeviceInfo, DeviceStore, DeviceWork, DocFeed,
    DocStore, DocSummary, DocWrite, EvidenceStatus, Identity, LeaseStore, LoginAttempt, Membership,
    NewUser, NewWebSession, Notification, NotificationStore, NumberClaim, OwnerContactRecord, Page,
    Position, PositionStore, Presence, ProjectionVersion, Queue, ReportRows, Series, SessionStore,
    Store, StoreError, StoreResult, StoredDoc, UserInfo, WebSession, Webhook, WebhookKind,
    WebhookMessage, WebhookStore,
};

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261127000000_create_tables",
        include_str!("../../migrations/sqlite/20261127000000_create_tables.sql"),
    ),
    (
        "20261127120000_add_web_sessions",
        include_str!("../../migrations/sqlite/20261127120000_add_web_sessions.sql"),
    ),
    (
        "20261127180000_add_evidence_thumbnails",
        include_str!("../../migrations/sqlite/20261127180000_add_evidence_thumbnails.sql"),
    ),
    (
        "20261128090000_add_fine_counters",
        include_str!("../../migrations/sqlite/20261128090000_add_fine_counters.sql"),
    ),
    (
        "20261205230000_add_case_clock_running",
        include_str!("../../migrations/sqlite/20261205230000_add_case_clock_running.sql"),
    ),
    (
        "20261206000000_add_case_callback_due_and_owner",
        include_str!("../../migrations/sqlite/20261206000000_add_case_callback_due_and_owner.sql"),
    ),
    (
        "20261206001000_add_unit_inspections",
        include_str!("../../migrations/sqlite/20261206001000_add_unit_inspections.sql"),
    ),
    (
        "20261206020000_add_report_facts",
        include_str!("../../migrations/sqlite/20261206020000_add_report_facts.sql"),
    ),
    (
        "20261206120000_add_case_verdicts_until",
        include_str!("../../migrations/sqlite/20261206120000_add_case_verdicts_until.sql"),
    ),
    (
        "20261206130000_add_notifications",
        include_str!("../../migrations/sqlite/20261206130000_add_notifications.sql"),
    ),
    (
        "20261206140000_add_webhooks",
        include_str!("../../migrations/sqlite/20261206140000_add_webhooks.sql"),
    ),
    (
        "20261206150000_add_case_evidence_after_acceptance",
        include_str!(
            "../../migrations/sqlite/20261206150000_add_case_evidence_after_acceptance.sql"
        ),
    ),
    (
        "20261206160000_add_device_last_synced",
        include_str!("../../migrations/sqlite/20261206160000_add_device_last_synced.sql"),
    ),
    (
        "20261206170000_add_owner_contacts",
        include_str!("../../migrations/sqlite/20261206170000_add_owner_contacts.sql"),
    ),
    (
        "20261207090000_add_signed_walks",
        include_str!("../../migrations/sqlite/20261207090000_add_signed_walks.sql"),
    ),
    (
        "20261207100000_add_device_positions",
        include_str!("../../migrations/sqlite/20261207100000_add_device_positions.sql"),
    ),
    (
        "20261207110000_add_leases",
        include_str!("../../migrations/sqlite/20261207110000_add_leases.sql"),
    ),
    (
        "20261207200000_add_projection_versions",
        include_str!("../../migrations/sqlite/20261207200000_add_projection_versions.sql"),
    ),
];

/// Most writes folded into one transaction.
const MAX_GROUP: usize = 256;

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    path: PathBuf,
    /// When rows were stored, created or applied (bookkeeping, never a verdict).
    clock: Clock,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

fn open_connection(path: &Path) -> anyhow::Result<Connection> {
    let conn =
        Connection::open(path).with_context(|| format!("opening database {}", path.display()))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, clock: &Clock) -> anyhow::Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")?;
    let applied = conn
        .prepare("SELECT name FROM schema_migrations ORDER BY name")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    super::refuse_unknown_migrations(&applied, MIGRATIONS)?;
    for (name, sql) in MIGRATIONS {
        let done: bool = conn
            .query_row(
                "SELECT 1 FROM schema_migrations WHERE name = ?1",
                [name],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if done {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .with_context(|| format!("applying migration {name}"))?;
        tx.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, ?2)",
            params![name, clock.now().0],
        )?;
        tx.commit()?;
        tracing::info!(migration = name, "applied database migration");
    }
    Ok(())
}

fn writer_loop(mut conn: Connection, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let tx = match conn.transaction() {
            Ok(tx) => tx,
            Err(e) => {
                tracing::error!(error = %e, "could not begin a transaction");
                continue;
            }
        };
        let mut completions = Vec::with_capacity(batch.len());
        for job in batch {
            if let Err(e) = tx.execute_batch("SAVEPOINT job") {
                tracing::error!(error = %e, "could not open a savepoint");
                continue;
            }
            let (ok, done) = job(&tx);
            let end = if ok {
                "RELEASE job"
            } else {
                "ROLLBACK TO job; RELEASE job"
            };
            if let Err(e) = tx.execute_batch(end) {
                tracing::error!(error = %e, "could not close a savepoint");
            }
            completions.push(done);
        }
        let outcome = tx.commit().map_err(|e| e.to_string());
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "group commit failed");
        }
        metrics::histogram!("plumbline_store_group_commit_size").record(completions.len() as f64);
        for done in completions {
            done(outcome.clone());
        }
    }
}

fn hashes_to_blob(heads: &[ChangeHash]) -> Vec<u8> {
    let mut sorted = heads.to_vec();
    sorted.sort();
    sorted.iter().flat_map(|h| h.0).collect()
}

fn blob_to_hashes(blob: &[u8]) -> anyhow::Result<Vec<ChangeHash>> {
    blob.chunks(32)
        .map(|c| {
            Ok(ChangeHash(
                c.try_into()
                    .context("stored heads are not a multiple of 32 bytes")?,
            ))
        })
        .collect()
}

fn parse<T: std::str::FromStr>(what: &str, value: String) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("stored {what} `{value}` does not parse: {e}").into(),
        )
    })
}

fn parse_role(value: String) -> rusqlite::Result<Role> {
    Role::parse(&value).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("stored role `{value}` is unknown").into(),
        )
    })
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn from_json_text<T: serde::de::DeserializeOwned>(text: String) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(text.clone()))
        .or_else(|_| serde_json::from_str(&text))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

fn delete_projection(conn: &Connection, unit: &UnitId) -> rusqlite::Result<()> {
    for table in [
        "cases",
        "case_events",
        "notices",
        "fines",
        "callbacks",
        "evidence_refs",
        "unit_inspections",
        "emergency_repairs",
        "signed_walks",
    ] {
        conn.execute(
            &format!("DELETE FROM {table} WHERE unit_id = ?1"),
            [unit.as_str()],
        )?;
    }
    Ok(())
}

/// Records the reminders of a projection once per recipient (`INSERT OR IGNORE` on the key and
/// the user), resolving each audience to the people who hold it in the project now.
fn insert_reminders(conn: &Connection, p: &UnitProjection, now: i64) -> rusqlite::Result<()> {
    const INSERT: &str = "INSERT OR IGNORE INTO notifications (reminder_key, user_id, project_id,
        unit_id, finding_id, kind, notice_no, due_at, created_at)";
    let mut to_user = conn.prepare_cached(&format!(
        "{INSERT} VALUES (?1, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))?;
    let mut to_role = conn.prepare_cached(&format!(
        "{INSERT} SELECT ?1, user_id, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM memberships
         WHERE project_id = ?2 AND role = ?9"
    ))?;
    let mut to_company = conn.prepare_cached(&format!(
        "{INSERT} SELECT ?1, user_id, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM memberships
         WHERE project_id = ?2 AND role = 'contractor' AND contractor_id = ?9"
    ))?;
    // The work-group message, once per reminder, where the project has a robot.
    let mut to_robot = conn.prepare_cached(
        "INSERT OR IGNORE INTO webhook_outbox (reminder_key, project_id, unit_id, finding_id,
            kind, notice_no, due_at, created_at, next_attempt_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8 FROM project_webhooks WHERE project_id = ?2",
    )?;
    let (project, unit) = (p.project.as_str(), p.unit.as_str());
    for r in &p.reminders {
        let (finding, kind) = (r.finding.as_str(), r.kind.as_str());
        to_robot.execute(params![
            r.key,
            project,
            unit,
            finding,
            kind,
            r.notice_no,
            r.at.0,
            now
        ])?;
        for to in &r.to {
            let (statement, who) = match to {
                Audience::User(user) => (&mut to_user, user.as_str()),
                Audience::Role(role) => (&mut to_role, role.as_str()),
                Audience::Contractor(company) => (&mut to_company, company.as_str()),
            };
            statement.execute(params![
                r.key,
                project,
                unit,
                finding,
                kind,
                r.notice_no,
                r.at.0,
                now,
                who
            ])?;
        }
    }
    Ok(())
}

/// The table counting `series`.
fn counter_table(series: Series) -> &'static str {
    match series {
        Series::Notice => "notice_counters",
        Series::Fine => "fine_counters",
    }
}

/// Takes `claim`'s number inside the caller's transaction: it must follow the series' last
/// number exactly, or another write took it first and this one fails whole.
fn take_number(c: &rusqlite::Connection, claim: &NumberClaim) -> StoreResult<()> {
    let table = counter_table(claim.series);
    let last: Option<u32> = c
        .query_row(
            &format!("SELECT last FROM {table} WHERE year = ?1"),
            [claim.year],
            |r| r.get(0),
        )
        .optional()?;
    if last.unwrap_or(0) + 1 != claim.number {
        return Err(StoreError::NumberTaken {
            series: claim.series,
            year: claim.year,
            number: claim.number,
        });
    }
    c.execute(
        &format!(
            "INSERT INTO {table} (year, last) VALUES (?1, ?2)
             ON CONFLICT (year) DO UPDATE SET last = excluded.last"
        ),
        params![claim.year, claim.number],
    )?;
    Ok(())
}

/// One more write of `unit`'s projection rows (see the `projection_versions` migration).
const BUMP_PROJECTION_VERSION: &str =
    "INSERT INTO projection_versions (unit_id, project_id, version) VALUES (?1, ?2, 1)
     ON CONFLICT (unit_id) DO UPDATE
        SET version = projection_versions.version + 1, project_id = excluded.project_id";

/// A project's projection version.
const PROJECTION_VERSION: &str =
    "SELECT count(*), coalesce(sum(version), 0) FROM projection_versions WHERE project_id = ?1";

fn projection_version(c: &Connection, project: &str) -> rusqlite::Result<ProjectionVersion> {
    c.prepare_cached(PROJECTION_VERSION)?
        .query_row([project], |r| {
            Ok(ProjectionVersion {
                units: r.get(0)?,
                writes: r.get(1)?,
            })
        })
}

fn insert_projection(conn: &Connection, p: &UnitProjection, now: i64) -> rusqlite::Result<()> {
    delete_projection(conn, &p.unit)?;
    conn.prepare_cached(BUMP_PROJECTION_VERSION)?
        .execute(params![p.unit.as_str(), p.project.as_str()])?;
    insert_inspection(conn, p, now)?;
    insert_reminders(conn, p, now)?;
    let unit = p.unit.as_str();
    let mut case = conn.prepare_cached(
        "INSERT INTO cases (finding_id, project_id, unit_id, origin, room, item, category, severity,
            description, status, contractor_id, notice_no, response_deadline, repair_deadline,
            return_deadline, response_overdue, repair_overdue, return_overdue, emergency_required,
            penalties, anomalies, conflicts, evidence_refs, open_evidence_requests, reopen_count,
            created_by, created_at, closed_at, counts, merged_into, projected_at, clock_running,
            callback_due, verdicts_until, evidence_after_acceptance)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)",
    )?;
    for c in &p.cases {
        let penalties: Vec<String> = c.penalties.iter().map(u8::to_string).collect();
        case.execute(params![
            c.finding.as_str(),
            p.project.as_str(),
            unit,
            json_text(&c.origin),
            c.room,
            c.item,
            c.category,
            c.severity.as_str(),
            c.description,
            c.status.as_str(),
            c.contractor.as_ref().map(|x| x.as_str()),
            c.notice_no,
            c.response_deadline.map(|t| t.0),
            c.repair_deadline.map(|t| t.0),
            c.return_deadline.map(|t| t.0),
            c.response_overdue,
            c.repair_overdue,
            c.return_overdue,
            c.emergency_required,
            penalties.join(","),
            c.anomalies,
            c.conflicts,
            c.evidence_refs,
            c.open_evidence_requests,
            c.reopen_count,
            c.created_by.as_str(),
            c.created_at.0,
            c.closed_at.map(|t| t.0),
            c.counts,
            c.merged_into.as_ref().map(|x| x.as_str()),
            now,
            c.clock_running,
            c.callback_due,
            c.verdicts_until.map(|t| t.0),
            c.evidence_after_acceptance,
        ])?;
    }
    let mut ev = conn.prepare_cached(
        "INSERT OR REPLACE INTO case_events (event_id, finding_id, unit_id, kind, user_id, role,
            device_id, device_time, received_at, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for e in &p.events {
        ev.execute(params![
            e.event.as_str(),
            e.finding.as_str(),
            unit,
            e.kind,
            e.user.as_str(),
            e.role.as_str(),
            e.device,
            e.device_time.0,
            e.received_at.map(|t| t.0),
            e.payload,
        ])?;
    }
    let mut notice = conn.prepare_cached(
        "INSERT OR REPLACE INTO notices (notice_no, finding_id, unit_id, contractor_id, issued_at,
            response_deadline, responded_at, repair_deadline, repair_reported_at, accepted_at,
            returned_at, current, first_reported_at, stopped_at, failed_acceptances)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    for n in &p.notices {
        notice.execute(params![
            n.notice_no,
            n.finding.as_str(),
            unit,
            n.contractor.as_str(),
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
            n.failed_acceptances,
        ])?;
    }
    let mut emergency = conn.prepare_cached(
        "INSERT OR REPLACE INTO emergency_repairs (finding_id, unit_id, seq, team, charged_to,
            started_at, finished_at, cost_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut seq_of: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for e in &p.emergencies {
        let seq = seq_of.entry(e.finding.as_str()).or_default();
        emergency.execute(params![
            e.finding.as_str(),
            unit,
            *seq,
            e.team,
            e.charged_to.as_ref().map(|x| x.as_str()),
            e.started_at.0,
            e.finished_at.map(|t| t.0),
            e.cost_fen,
        ])?;
        *seq += 1;
    }
    let mut fine = conn.prepare_cached(
        "INSERT OR REPLACE INTO fines (fine_id, finding_id, unit_id, contractor_id, condition,
            amount_fen, status, drafted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for f in &p.fines {
        fine.execute(params![
            f.fine.as_str(),
            f.finding.as_str(),
            unit,
            f.contractor.as_str(),
            f.condition.number(),
            f.amount_fen,
            json_text(&f.status),
            f.drafted_at.0,
        ])?;
    }
    let mut cb = conn.prepare_cached(
        "INSERT OR REPLACE INTO callbacks (event_id, finding_id, unit_id, at, channel, level)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for c in &p.callbacks {
        cb.execute(params![
            c.event.as_str(),
            c.finding.as_str(),
            unit,
            c.at.0,
            json_text(&c.channel),
            json_text(&c.level),
        ])?;
    }
    let mut evid = conn.prepare_cached(
        "INSERT OR REPLACE INTO evidence_refs (hash, finding_id, unit_id, project_id, bytes, captured_at, thumb_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for e in &p.evidence {
        evid.execute(params![
            e.hash.as_str(),
            e.finding.as_str(),
            unit,
            p.project.as_str(),
            e.bytes as i64,
            e.captured_at.0,
            e.thumbnail.as_ref().map(BlobHash::as_str),
        ])?;
    }
    let mut walk = conn.prepare_cached(
        "INSERT OR REPLACE INTO signed_walks (walk_id, unit_id, project_id, version, signed_at,
            signature_hash, snapshot_hash, findings, changed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for w in &p.walks {
        walk.execute(params![
            w.walk.as_str(),
            unit,
            p.project.as_str(),
            w.version,
            w.signed_at.0,
            w.signature.as_str(),
            w.snapshot_hash,
            w.findings,
            w.changed,
        ])?;
    }
    Ok(())
}

/// A unit's inspection progress (the readiness page), beside its case records.
fn insert_inspection(conn: &Connection, p: &UnitProjection, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO unit_inspections (unit_id, project_id, rounds, most_marked,
            projected_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        p.unit.as_str(),
        p.project.as_str(),
        p.inspection.rounds,
        p.inspection.most_marked,
        now
    ])?;
    Ok(())
}

/// The response window passed as of the bound time, with nobody answering: the workflow's
/// `response_overdue`, read against the clock rather than the time the row was projected. A
/// stopped clock (a refusal, a dispute) is no longer waiting on the contractor.
const RESPONSE_OVERDUE: &str =
    "(clock_running = 1 AND status = 'notified' AND response_deadline < ?)";
/// The repair deadline passed as of the bound time and the repair not reported: the workflow's
/// `repair_overdue`, read the same way.
const REPAIR_OVERDUE: &str =
    "(clock_running = 1 AND status IN ('notified', 'in_repair') AND repair_deadline < ?)";

/// The report rows of `project` (see [`ReportRows`]), or of its `units` only when given (a
/// JSON array of unit ids, matched through `json_each`), all read in one transaction so the
/// tables agree with each other and with the version read first.
fn read_report_rows(c: &Connection, p: &str, units: Option<&str>) -> StoreResult<ReportRows> {
    let tx = c.unchecked_transaction()?;
    let version = projection_version(&tx, p)?;
    // Every query takes the project as ?1 and the units, when scoped, as ?2.
    let scope = |alias: &str| {
        if units.is_some() {
            format!("AND {alias}unit_id IN (SELECT value FROM json_each(?2))")
        } else {
            String::new()
        }
    };
    // Scoped, the project's test is kept from its index (`+`) so that SQLite looks the rows
    // up by unit rather than going through every row of the project.
    let of_project = |column: &str| {
        if units.is_some() {
            format!("+{column} = ?1")
        } else {
            format!("{column} = ?1")
        }
    };
    let values: Vec<&dyn rusqlite::ToSql> = match &units {
        Some(units) => vec![&p, units],
        None => vec![&p],
    };
    let values = values.as_slice();
    let cases = tx
        .prepare_cached(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE {} {} ORDER BY finding_id",
            of_project("project_id"),
            scope("")
        ))?
        .query_map(values, case_record)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let time = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<Option<Timestamp>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(Timestamp))
    };
    let notices = tx
        .prepare_cached(&format!(
            "SELECT n.notice_no, n.finding_id, n.contractor_id, n.issued_at,
                        n.response_deadline, n.responded_at, n.repair_deadline,
                        n.repair_reported_at, n.accepted_at, n.returned_at, n.current,
                        n.first_reported_at, n.stopped_at, n.failed_acceptances
                     FROM notices n JOIN cases c ON c.finding_id = n.finding_id
                     WHERE {} {} ORDER BY n.finding_id, n.issued_at, n.notice_no",
            of_project("c.project_id"),
            scope("n.")
        ))?
        .query_map(values, |r| {
            Ok(NoticeRow {
                notice_no: r.get(0)?,
                finding: parse("finding id", r.get(1)?)?,
                contractor: parse("contractor id", r.get(2)?)?,
                issued_at: Timestamp(r.get(3)?),
                response_deadline: Timestamp(r.get(4)?),
                responded_at: time(r, 5)?,
                repair_deadline: Timestamp(r.get(6)?),
                repair_reported_at: time(r, 7)?,
                accepted_at: time(r, 8)?,
                returned_at: time(r, 9)?,
                current: r.get(10)?,
                first_reported_at: time(r, 11)?,
                stopped_at: time(r, 12)?,
                failed_acceptances: r.get(13)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let fines = tx
        .prepare_cached(&format!(
            "SELECT f.fine_id, f.finding_id, f.contractor_id, f.condition, f.amount_fen,
                        f.status, f.drafted_at
                     FROM fines f JOIN cases c ON c.finding_id = f.finding_id
                     WHERE {} {} ORDER BY f.finding_id, f.fine_id",
            of_project("c.project_id"),
            scope("f.")
        ))?
        .query_map(values, |r| {
            let number: u8 = r.get(3)?;
            let condition = PenaltyCondition::ALL
                .into_iter()
                .find(|k| k.number() == number)
                .ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(
                        3,
                        rusqlite::types::Type::Integer,
                        format!("penalty condition {number} does not exist").into(),
                    )
                })?;
            Ok(FineRow {
                fine: parse("fine id", r.get(0)?)?,
                finding: parse("finding id", r.get(1)?)?,
                contractor: parse("contractor id", r.get(2)?)?,
                condition,
                amount_fen: r.get(4)?,
                status: from_json_text(r.get(5)?)?,
                drafted_at: Timestamp(r.get(6)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let callbacks = tx
        .prepare_cached(&format!(
            "SELECT b.event_id, b.finding_id, b.at, b.channel, b.level
                     FROM callbacks b JOIN cases c ON c.finding_id = b.finding_id
                     WHERE {} {} ORDER BY b.finding_id, b.at, b.event_id",
            of_project("c.project_id"),
            scope("b.")
        ))?
        .query_map(values, |r| {
            Ok(CallbackRow {
                event: parse("event id", r.get(0)?)?,
                finding: parse("finding id", r.get(1)?)?,
                at: Timestamp(r.get(2)?),
                channel: from_json_text(r.get(3)?)?,
                level: from_json_text(r.get(4)?)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let emergencies = tx
        .prepare_cached(&format!(
            "SELECT e.finding_id, e.team, e.charged_to, e.started_at, e.finished_at,
                        e.cost_fen
                     FROM emergency_repairs e JOIN cases c ON c.finding_id = e.finding_id
                     WHERE {} {} ORDER BY e.finding_id, e.seq",
            of_project("c.project_id"),
            scope("e.")
        ))?
        .query_map(values, |r| {
            Ok(EmergencyRow {
                finding: parse("finding id", r.get(0)?)?,
                team: r.get(1)?,
                charged_to: r
                    .get::<_, Option<String>>(2)?
                    .map(|x| parse("contractor id", x))
                    .transpose()?,
                started_at: Timestamp(r.get(3)?),
                finished_at: time(r, 4)?,
                cost_fen: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let photos = tx
        .prepare_cached(&format!(
            "SELECT hash, finding_id, bytes, captured_at, thumb_hash FROM evidence_refs
                     WHERE {} {} ORDER BY finding_id, captured_at, hash",
            of_project("project_id"),
            scope("")
        ))?
        .query_map(values, |r| {
            Ok(EvidenceRow {
                hash: parse("blob hash", r.get(0)?)?,
                finding: parse("finding id", r.get(1)?)?,
                bytes: r.get::<_, i64>(2)?.max(0) as u64,
                captured_at: Timestamp(r.get(3)?),
                thumbnail: r
                    .get::<_, Option<String>>(4)?
                    .map(|x| parse("blob hash", x))
                    .transpose()?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(tx);
    Ok(ReportRows {
        version,
        cases,
        notices,
        fines,
        callbacks,
        emergencies,
        photos,
    })
}

/// A case row selected with [`CASE_COLUMNS`].
fn case_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaseRecord> {
    let penalties: String = r.get(19)?;
    let optional = |i: usize| -> rusqlite::Result<Option<Timestamp>> {
        Ok(r.get::<_, Option<i64>>(i)?.map(Timestamp))
    };
    Ok(CaseRecord {
        project: parse("project id", r.get(0)?)?,
        unit: parse("unit id", r.get(1)?)?,
        case: CaseRow {
            finding: parse("finding id", r.get(2)?)?,
            origin: from_json_text(r.get(3)?)?,
            room: r.get(4)?,
            item: r.get(5)?,
            category: r.get(6)?,
            severity: from_json_text(r.get(7)?)?,
            description: r.get(8)?,
            status: from_json_text(r.get(9)?)?,
            contractor: r
                .get::<_, Option<String>>(10)?
                .map(|x| parse("contractor id", x))
                .transpose()?,
            notice_no: r.get(11)?,
            response_deadline: optional(12)?,
            repair_deadline: optional(13)?,
            return_deadline: optional(14)?,
            response_overdue: r.get(15)?,
            repair_overdue: r.get(16)?,
            return_overdue: r.get(17)?,
            emergency_required: r.get(18)?,
            penalties: penalties
                .split(',')
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse().ok())
                .collect(),
            anomalies: r.get(20)?,
            conflicts: r.get(21)?,
            evidence_refs: r.get(22)?,
            open_evidence_requests: r.get(23)?,
            reopen_count: r.get(24)?,
            created_by: parse("user id", r.get(25)?)?,
            created_at: Timestamp(r.get(26)?),
            closed_at: optional(27)?,
            counts: r.get(28)?,
            merged_into: r
                .get::<_, Option<String>>(29)?
                .map(|x| parse("finding id", x))
                .transpose()?,
            clock_running: r.get(30)?,
            callback_due: r.get(31)?,
            verdicts_until: optional(32)?,
            evidence_after_acceptance: r.get(33)?,
        },
    })
}

/// The `WHERE` clause of a case listing and its values, in order. Every value is a bound
/// parameter; only fixed SQL text is formatted in.
fn case_where(filter: &CaseFilter) -> (String, Vec<Box<dyn rusqlite::ToSql + Send>>) {
    let mut clause = Vec::new();
    let mut values: Vec<Box<dyn rusqlite::ToSql + Send>> = Vec::new();
    if filter.projects.is_empty() {
        clause.push("0".to_owned());
    } else {
        // Listing named cases (a report figure's), the project's test is kept from its index
        // (`+`): SQLite then finds each case by its id instead of going through every case of
        // the project.
        let column = if filter.findings.is_some() {
            "+project_id"
        } else {
            "project_id"
        };
        clause.push(format!(
            "{column} IN ({})",
            vec!["?"; filter.projects.len()].join(", ")
        ));
        for p in &filter.projects {
            values.push(Box::new(p.as_str().to_owned()));
        }
    }
    let mut eq = |column: &str, value: Option<String>| {
        if let Some(v) = value {
            clause.push(format!("{column} = ?"));
            values.push(Box::new(v));
        }
    };
    eq(
        "unit_id",
        filter.unit.as_ref().map(|u| u.as_str().to_owned()),
    );
    eq(
        "contractor_id",
        filter.contractor.as_ref().map(|x| x.as_str().to_owned()),
    );
    eq("status", filter.status.as_ref().map(json_text));
    eq("severity", filter.severity.as_ref().map(json_text));
    eq("category", filter.category.clone());
    eq("origin", filter.origin.as_ref().map(json_text));
    eq("room", filter.room.clone());
    if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
        // instr, not LIKE: a plain substring match, byte for byte, so Chinese text matches and
        // `%` or `_` in the search mean themselves.
        clause.push("instr(description, ?) > 0".to_owned());
        values.push(Box::new(text.to_owned()));
    }
    if let Some(at) = filter.overdue_at {
        clause.push(format!("({RESPONSE_OVERDUE} OR {REPAIR_OVERDUE})"));
        values.push(Box::new(at.0));
        values.push(Box::new(at.0));
    }
    if let Some(from) = filter.created_from {
        clause.push("created_at >= ?".to_owned());
        values.push(Box::new(from.0));
    }
    if let Some(before) = filter.created_before {
        clause.push("created_at < ?".to_owned());
        values.push(Box::new(before.0));
    }
    match filter.queue {
        None => {}
        Some(Queue::Review) => clause.push("(anomalies > 0 OR conflicts > 0)".to_owned()),
        Some(Queue::EvidenceRequested) => clause.push("open_evidence_requests > 0".to_owned()),
        Some(Queue::EvidenceAfterAcceptance) => {
            clause.push("evidence_after_acceptance > 0".to_owned());
        }
        Some(Queue::EmergencyRequired) => {
            clause.push("(emergency_required = 1 AND status <> 'emergency_repair')".to_owned())
        }
        // Fine statuses are stored by `json_text`, i.e. without JSON quotes. A voided fine
        // waits for nobody, an approved one for nobody any more.
        Some(Queue::FinesAwaitingApproval) => clause.push(
            "EXISTS (SELECT 1 FROM fines WHERE fines.finding_id = cases.finding_id
                AND fines.unit_id = cases.unit_id AND fines.status IN ('drafted', 'leader_approved'))"
                .to_owned(),
        ),
        // The same rule as the case page's flag (`web::merge::probable_duplicates`): same unit,
        // room and item, recorded within the window of each other, neither cancelled nor
        // merged. `cases_unit` keeps the inner query to the unit's few rows.
        Some(Queue::ProbableDuplicates) => {
            clause.push(
                "(status NOT IN ('merged', 'cancelled') AND EXISTS (SELECT 1 FROM cases other
                    WHERE other.unit_id = cases.unit_id AND other.project_id = cases.project_id
                    AND other.finding_id <> cases.finding_id
                    AND other.room = cases.room AND other.item = cases.item
                    AND other.status NOT IN ('merged', 'cancelled')
                    AND other.created_at BETWEEN cases.created_at - ? AND cases.created_at + ?))"
                    .to_owned(),
            );
            values.push(Box::new(super::DUPLICATE_WINDOW_MS));
            values.push(Box::new(super::DUPLICATE_WINDOW_MS));
        }
        Some(Queue::UrgentAwaitingNotice) => {
            clause.push("(severity = 'S1' AND status IN ('open', 'reopened'))".to_owned())
        }
        // The workflow's rule for `return_overdue`, read against `at` rather than the time the
        // row was projected: the current notice's return deadline (set at acceptance) passed,
        // it has not come back, and the case was neither cancelled nor merged.
        Some(Queue::NoticeNotReturned(at)) => {
            clause.push(
                "(return_deadline IS NOT NULL AND return_deadline < ?
                  AND status NOT IN ('cancelled', 'merged')
                  AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.finding_id = cases.finding_id
                    AND n.unit_id = cases.unit_id AND n.current = 1
                    AND n.returned_at IS NOT NULL))"
                    .to_owned(),
            );
            values.push(Box::new(at.0));
        }
        Some(Queue::CallbacksDue) => clause.push("callback_due = 1".to_owned()),
        Some(Queue::ResponseOverdue(at)) => {
            clause.push(RESPONSE_OVERDUE.to_owned());
            values.push(Box::new(at.0));
        }
        Some(Queue::RepairOverdue(at)) => {
            clause.push(REPAIR_OVERDUE.to_owned());
            values.push(Box::new(at.0));
        }
    }
    if let Some(phone) = &filter.owner_phone {
        clause.push(
            "finding_id IN (SELECT finding_id FROM owner_contacts WHERE phone = ?)".to_owned(),
        );
        values.push(Box::new(phone.clone()));
    }
    if let Some(name) = &filter.owner_name {
        clause.push(
            "finding_id IN (SELECT finding_id FROM owner_contacts WHERE name = ?)".to_owned(),
        );
        values.push(Box::new(name.clone()));
    }
    if let Some(findings) = &filter.findings {
        // One bound JSON array rather than a placeholder per id: a report figure can stand
        // for thousands of cases.
        let ids: Vec<&str> = findings.iter().map(|f| f.as_str()).collect();
        clause.push("finding_id IN (SELECT value FROM json_each(?))".to_owned());
        values.push(Box::new(
            serde_json::to_string(&ids).expect("strings always serialise"),
        ));
    }
    if let Some(units) = &filter.units {
        if units.is_empty() {
            clause.push("0".to_owned());
        } else {
            clause.push(format!(
                "unit_id IN ({})",
                vec!["?"; units.len()].join(", ")
            ));
            for u in units {
                values.push(Box::new(u.as_str().to_owned()));
            }
        }
    }
    if filter.open_only {
        clause.push(
            "(counts = 1 AND status NOT IN ('accepted', 'closed', 'cancelled', 'merged'))"
                .to_owned(),
        );
    }
    if filter.exclude_merged {
        clause.push("status <> 'merged'".to_owned());
    }
    (clause.join(" AND "), values)
}

fn identity_for_device(conn: &Connection, device: &str) -> rusqlite::Result<Identity> {
    let (user, display_name): (String, String) = conn.query_row(
        "SELECT u.user_id, u.display_name FROM devices d JOIN users u ON u.user_id = d.user_id
         WHERE d.device_id = ?1",
        [device],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let memberships = memberships_of(conn, &user)?;
    Ok(Identity {
        device: parse("device id", device.to_owned())?,
        user: parse("user id", user)?,
        display_name,
        memberships,
    })
}

fn memberships_of(conn: &Connection, user: &str) -> rusqlite::Result<Vec<Membership>> {
    let mut stmt = conn.prepare_cached(
        "SELECT project_id, role, contractor_id FROM memberships WHERE user_id = ?1 ORDER BY project_id",
    )?;
    let memberships = stmt
        .query_map([user], |r| {
            Ok(Membership {
                project: parse("project id", r.get(0)?)?,
                role: parse_role(r.get(1)?)?,
                contractor: r
                    .get::<_, Option<String>>(2)?
                    .map(|c| parse::<ContractorId>("contractor id", c))
                    .transpose()?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(memberships)
}

impl SqliteStore {
    /// Opens (creating and migrating when needed) the database at `path`; `clock` dates the
    /// rows' bookkeeping columns (`stored_at`, `created_at`, `applied_at`).
    pub async fn open(path: &Path, clock: Clock) -> anyhow::Result<Self> {
        let path = path.to_owned();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut conn = open_connection(&path)?;
        migrate(&mut conn, &clock)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx))
            .context("starting the database writer thread")?;
        Ok(Self {
            jobs,
            readers: Arc::new(Mutex::new(Vec::new())),
            path,
            clock,
        })
    }

    /// Runs `f` in the writer's next group commit and answers after the commit is durable.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            let done: Completion = Box::new(move |commit| {
                let answer = match commit {
                    Ok(()) => result,
                    Err(e) => Err(StoreError::Other(anyhow::anyhow!("commit failed: {e}"))),
                };
                let _ = tx.send(answer);
            });
            (ok, done)
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Other(anyhow::anyhow!("the database writer has stopped")))?;
        rx.await.map_err(|_| {
            StoreError::Other(anyhow::anyhow!("the database writer dropped a write"))
        })?
    }

    /// Runs `f` on a pooled read-only connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let readers = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers
                .lock()
                .map_err(|_| anyhow::anyhow!("reader pool poisoned"))?
                .pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = open_connection(&path)?;
                    c.execute_batch("PRAGMA query_only = ON")?;
                    c
                }
            };
            let result = f(&conn);
            if let Ok(mut pool) = readers.lock()
                && pool.len() < 8
            {
                pool.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Other(anyhow::anyhow!("read task failed: {e}")))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }
}

#[async_trait]
impl DocStore for SqliteStore {
    async fn load_doc(&self, doc: &DocId) -> StoreResult<Option<StoredDoc>> {
        let id = doc.to_string();
        self.read(move |c| {
            // One read transaction: a compaction committing between the two statements would
            // otherwise pair the old snapshot with the changes left after it, missing some.
            let c = &c.unchecked_transaction()?;
            let row: Option<(String, Option<Vec<u8>>, i64)> = c
                .query_row(
                    "SELECT project_id, snapshot, snapshot_changes FROM docs WHERE doc_id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((project, snapshot, folded)) = row else {
                return Ok(None);
            };
            let mut stmt = c.prepare_cached(
                "SELECT seq, bytes FROM changes WHERE doc_id = ?1 AND seq > ?2 ORDER BY seq",
            )?;
            let rows = stmt
                .query_map(params![id, folded], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let last_seq = rows.last().map_or(folded, |(seq, _)| *seq);
            Ok(Some(StoredDoc {
                project: parse("project id", project)?,
                snapshot,
                changes: rows.into_iter().map(|(_, bytes)| bytes).collect(),
                last_seq,
            }))
        })
        .await
    }

    async fn doc_summaries(&self, projects: &[ProjectId]) -> StoreResult<Vec<DocSummary>> {
        let projects: Vec<String> = projects.iter().map(|p| p.to_string()).collect();
        self.read(move |c| {
            let mut out = Vec::new();
            let mut stmt =
                c.prepare_cached("SELECT doc_id, heads_digest FROM docs WHERE project_id = ?1")?;
            for p in &projects {
                let rows = stmt.query_map([p], |r| {
                    let doc: String = r.get(0)?;
                    let digest: String = r.get(1)?;
                    Ok(DocSummary {
                        doc: parse("document id", doc)?,
                        heads: HeadsDigest::try_from(digest).map_err(|e| {
                            rusqlite::Error::FromSqlConversionFailure(
                                1,
                                rusqlite::types::Type::Text,
                                e.into(),
                            )
                        })?,
                    })
                })?;
                for row in rows {
                    out.push(row?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn doc_heads(&self, doc: &DocId) -> StoreResult<Option<Vec<ChangeHash>>> {
        let id = doc.to_string();
        self.read(move |c| {
            let blob: Option<Vec<u8>> = c
                .query_row("SELECT heads FROM docs WHERE doc_id = ?1", [&id], |r| {
                    r.get(0)
                })
                .optional()?;
            Ok(blob.map(|b| blob_to_hashes(&b)).transpose()?)
        })
        .await
    }

    async fn all_docs(&self) -> StoreResult<Vec<DocId>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT doc_id FROM docs ORDER BY doc_id")?;
            let rows = stmt.query_map([], |r| parse::<DocId>("document id", r.get(0)?))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn write_docs(&self, writes: Vec<DocWrite>) -> StoreResult<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let now = self.clock.now().0;
        self.write(move |c| {
            let mut insert = c.prepare_cached(
                "INSERT OR IGNORE INTO changes (doc_id, hash, device_id, bytes, stored_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for w in &writes {
                let id = w.doc.to_string();
                if let Some(base) = &w.base {
                    let stored: Option<Vec<u8>> = c
                        .query_row("SELECT heads FROM docs WHERE doc_id = ?1", [&id], |r| {
                            r.get(0)
                        })
                        .optional()?;
                    if stored.unwrap_or_default() != hashes_to_blob(base) {
                        return Err(StoreError::Stale { doc: w.doc.clone() });
                    }
                }
                for ch in &w.changes {
                    insert.execute(params![
                        id,
                        &ch.hash.0[..],
                        w.device.as_ref().map(|d| d.as_str()),
                        ch.bytes,
                        now
                    ])?;
                }
                c.execute(
                    "INSERT INTO docs (doc_id, project_id, heads, heads_digest, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (doc_id) DO UPDATE SET heads = excluded.heads,
                        heads_digest = excluded.heads_digest, updated_at = excluded.updated_at",
                    params![
                        id,
                        w.project.as_str(),
                        hashes_to_blob(&w.heads),
                        String::from(HeadsDigest::of_heads(&w.heads)),
                        now
                    ],
                )?;
                if let Some(p) = &w.projection {
                    insert_projection(c, p, now)?;
                }
                for claim in &w.claims {
                    take_number(c, claim)?;
                }
                for contact in &w.contacts {
                    c.execute(
                        "INSERT INTO owner_contacts (finding_id, project_id, unit_id, name, phone,
                            recorded_at, masked_in_doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
                         ON CONFLICT (finding_id) DO NOTHING",
                        params![
                            contact.finding.as_str(),
                            contact.project.as_str(),
                            contact.unit.as_str(),
                            contact.contact.name,
                            contact.contact.phone,
                            contact.recorded_at.0
                        ],
                    )?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn docs_to_compact(&self, min_changes: usize) -> StoreResult<Vec<DocId>> {
        let min = i64::try_from(min_changes).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT doc_id FROM changes GROUP BY doc_id HAVING COUNT(*) >= ?1 ORDER BY doc_id",
            )?;
            let rows = stmt.query_map([min], |r| parse::<DocId>("document id", r.get(0)?))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn compact_doc(&self, doc: &DocId, snapshot: Vec<u8>, up_to_seq: i64) -> StoreResult<()> {
        let id = doc.to_string();
        self.write(move |c| {
            // A compaction from an older load than the last one (another replica's, or one that
            // waited) would put back a snapshot missing changes the last one deleted: skip it.
            let newer = c.execute(
                "UPDATE docs SET snapshot = ?2, snapshot_changes = ?3
                 WHERE doc_id = ?1 AND snapshot_changes < ?3",
                params![id, snapshot, up_to_seq],
            )?;
            if newer == 0 {
                return Ok(());
            }
            c.execute(
                "DELETE FROM changes WHERE doc_id = ?1 AND seq <= ?2",
                params![id, up_to_seq],
            )?;
            Ok(())
        })
        .await
    }

    async fn replace_all_projections(&self, projections: Vec<UnitProjection>) -> StoreResult<()> {
        let now = self.clock.now().0;
        self.write(move |c| {
            for table in [
                "cases",
                "case_events",
                "notices",
                "fines",
                "callbacks",
                "evidence_refs",
                "unit_inspections",
                "emergency_repairs",
                "signed_walks",
            ] {
                c.execute(&format!("DELETE FROM {table}"), [])?;
            }
            // Every project's rows changed, also a project none of whose units is projected
            // again: its kept report rows must go (see the `projection_versions` migration).
            c.execute("UPDATE projection_versions SET version = version + 1", [])?;
            for p in &projections {
                insert_projection(c, p, now)?;
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<()> {
        let now = self.clock.now().0;
        self.write(move |c| {
            let inserted = c.execute(
                "INSERT OR IGNORE INTO users (user_id, display_name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![user.user.as_str(), user.display_name, user.password_hash, now],
            )?;
            if inserted == 0 {
                return Err(StoreError::Conflict(format!("user `{}` already exists", user.user)));
            }
            Ok(())
        })
        .await
    }

    async fn set_membership(&self, user: &UserId, m: Membership) -> StoreResult<()> {
        let user = user.clone();
        self.write(move |c| {
            let exists: Option<i64> =
                c.query_row("SELECT 1 FROM users WHERE user_id = ?1", [user.as_str()], |r| r.get(0)).optional()?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("user `{user}`")));
            }
            c.execute(
                "INSERT INTO memberships (user_id, project_id, role, contractor_id) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user_id, project_id) DO UPDATE SET role = excluded.role, contractor_id = excluded.contractor_id",
                params![user.as_str(), m.project.as_str(), m.role.as_str(), m.contractor.as_ref().map(|x| x.as_str())],
            )?;
            Ok(())
        })
        .await
    }

    async fn password_hash(&self, user: &UserId) -> StoreResult<Option<String>> {
        let user = user.clone();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT password_hash FROM users WHERE user_id = ?1",
                [user.as_str()],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
        })
        .await
    }

    async fn users(&self) -> StoreResult<Vec<UserInfo>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT user_id, display_name FROM users ORDER BY user_id")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut users = Vec::with_capacity(rows.len());
            for (user, display_name) in rows {
                let memberships = memberships_of(c, &user)?;
                users.push(UserInfo {
                    user: parse("user id", user)?,
                    display_name,
                    memberships,
                });
            }
            Ok(users)
        })
        .await
    }

    async fn user(&self, user: &UserId) -> StoreResult<Option<(String, Vec<Membership>)>> {
        let user = user.clone();
        self.read(move |c| {
            let name: Option<String> = c
                .query_row(
                    "SELECT display_name FROM users WHERE user_id = ?1",
                    [user.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            match name {
                Some(name) => Ok(Some((name, memberships_of(c, user.as_str())?))),
                None => Ok(None),
            }
        })
        .await
    }

    async fn begin_login_attempt(
        &self,
        login: &str,
        now: Timestamp,
        lock_after: u32,
        lock_ms: i64,
    ) -> StoreResult<LoginAttempt> {
        let login = login.to_owned();
        // One write transaction: concurrent attempts are counted one after the other.
        self.write(move |c| {
            let locked_until: Option<i64> = c
                .query_row(
                    "SELECT locked_until FROM login_failures WHERE login = ?1",
                    [&login],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            if locked_until.is_some_and(|t| t > now.0) {
                return Ok(LoginAttempt::Locked);
            }
            c.execute(
                "INSERT INTO login_failures (login, failures, last_failure) VALUES (?1, 1, ?2)
                 ON CONFLICT (login) DO UPDATE SET failures = failures + 1, last_failure = ?2",
                params![login, now.0],
            )?;
            let failures: u32 = c.query_row(
                "SELECT failures FROM login_failures WHERE login = ?1",
                [&login],
                |r| r.get(0),
            )?;
            if failures >= lock_after {
                c.execute(
                    "UPDATE login_failures SET locked_until = ?2 WHERE login = ?1",
                    params![login, now.0 + lock_ms],
                )?;
            }
            Ok(LoginAttempt::Counted(failures))
        })
        .await
    }

    async fn clear_login_failures(&self, login: &str) -> StoreResult<()> {
        let login = login.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM login_failures WHERE login = ?1", [&login])?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn create_enrollment_code(
        &self,
        code_hash: [u8; 32],
        user: &UserId,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let user = user.clone();
        let now = self.clock.now().0;
        self.write(move |c| {
            c.execute(
                "INSERT INTO enrollment_codes (code_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![&code_hash[..], user.as_str(), now, expires_at.0],
            )?;
            Ok(())
        })
        .await
    }

    async fn enroll_device(
        &self,
        code_hash: [u8; 32],
        device: &DeviceId,
        previous: Option<&DeviceId>,
        name: &str,
        token_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<Identity> {
        let new_device = device.clone();
        let previous = previous.cloned();
        let name = name.to_owned();
        self.write(move |c| {
            let row: Option<(String, i64, Option<i64>)> = c
                .query_row(
                    "SELECT user_id, expires_at, used_at FROM enrollment_codes WHERE code_hash = ?1",
                    [&code_hash[..]],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((user, expires_at, used_at)) = row else {
                return Err(StoreError::NotFound("enrollment code".into()));
            };
            if used_at.is_some() {
                return Err(StoreError::Conflict("this enrollment code was already used".into()));
            }
            if expires_at < now.0 {
                return Err(StoreError::Conflict("this enrollment code has expired".into()));
            }
            // The same device again, when it is this person's and still trusted.
            let again = match &previous {
                Some(p) => c
                    .query_row(
                        "SELECT 1 FROM devices WHERE device_id = ?1 AND user_id = ?2
                         AND revoked_at IS NULL",
                        params![p.as_str(), user],
                        |_| Ok(()),
                    )
                    .optional()?
                    .map(|()| p.clone()),
                None => None,
            };
            let device = again.clone().unwrap_or(new_device);
            c.execute(
                "UPDATE enrollment_codes SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
                params![&code_hash[..], now.0, device.as_str()],
            )?;
            if again.is_some() {
                c.execute(
                    "UPDATE devices SET token_hash = ?2, name = ?3 WHERE device_id = ?1",
                    params![device.as_str(), &token_hash[..], name],
                )?;
            } else {
                c.execute(
                    "INSERT INTO devices (device_id, user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![device.as_str(), user, name, &token_hash[..], now.0],
                )?;
            }
            Ok(identity_for_device(c, device.as_str())?)
        })
        .await
    }

    async fn identity_by_token(
        &self,
        token_hash: [u8; 32],
        _now: Timestamp,
    ) -> StoreResult<Option<Identity>> {
        self.read(move |c| {
            let row: Option<(String, Option<i64>)> = c
                .query_row(
                    "SELECT device_id, revoked_at FROM devices WHERE token_hash = ?1",
                    [&token_hash[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match row {
                Some((device, None)) => Ok(Some(identity_for_device(c, &device)?)),
                _ => Ok(None),
            }
        })
        .await
    }

    async fn devices(&self) -> StoreResult<Vec<DeviceInfo>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT device_id, user_id, name, created_at, revoked_at, last_seen, last_synced
                 FROM devices ORDER BY created_at",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(DeviceInfo {
                    device: parse("device id", r.get(0)?)?,
                    user: parse("user id", r.get(1)?)?,
                    name: r.get(2)?,
                    created_at: Timestamp(r.get(3)?),
                    revoked_at: r.get::<_, Option<i64>>(4)?.map(Timestamp),
                    last_seen: r.get::<_, Option<i64>>(5)?.map(Timestamp),
                    last_synced: r.get::<_, Option<i64>>(6)?.map(Timestamp),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn record_presence(&self, seen: Vec<(DeviceId, Presence)>) -> StoreResult<()> {
        self.write(move |c| {
            let mut stmt = c.prepare_cached(
                "UPDATE devices SET last_seen = MAX(COALESCE(last_seen, 0), ?2),
                    last_synced = CASE WHEN ?3 IS NULL THEN last_synced
                                       ELSE MAX(COALESCE(last_synced, 0), ?3) END
                 WHERE device_id = ?1",
            )?;
            for (device, p) in &seen {
                stmt.execute(params![device.as_str(), p.seen.0, p.synced.map(|t| t.0)])?;
            }
            Ok(())
        })
        .await
    }

    async fn device_work(&self, device: &DeviceId, limit: u32) -> StoreResult<Vec<DeviceWork>> {
        let device = device.clone();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT doc_id, COUNT(*), MAX(stored_at) FROM changes WHERE device_id = ?1
                 GROUP BY doc_id ORDER BY MAX(stored_at) DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![device.as_str(), limit], |r| {
                Ok(DeviceWork {
                    doc: parse("document id", r.get(0)?)?,
                    changes: r.get(1)?,
                    last_stored: Timestamp(r.get(2)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn revoke_device(&self, device: &DeviceId, now: Timestamp) -> StoreResult<()> {
        let device = device.clone();
        self.write(move |c| {
            let n = c.execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2) WHERE device_id = ?1",
                params![device.as_str(), now.0],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("device `{device}`")));
            }
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_web_session(&self, s: NewWebSession) -> StoreResult<()> {
        self.write(move |c| {
            // Expired sessions go whenever a new one starts.
            c.execute(
                "DELETE FROM web_sessions WHERE expires_at <= ?1",
                [s.created_at.0],
            )?;
            c.execute(
                "INSERT INTO web_sessions (session_hash, user_id, csrf_token, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    &s.session_hash[..],
                    s.user.as_str(),
                    s.csrf_token,
                    s.created_at.0,
                    s.expires_at.0
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn web_session(
        &self,
        session_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<WebSession>> {
        self.read(move |c| {
            let row: Option<(String, String, String, i64)> = c
                .query_row(
                    "SELECT s.user_id, u.display_name, s.csrf_token, s.expires_at
                     FROM web_sessions s JOIN users u ON u.user_id = s.user_id
                     WHERE s.session_hash = ?1 AND s.expires_at > ?2",
                    params![&session_hash[..], now.0],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((user, display_name, csrf_token, expires_at)) = row else {
                return Ok(None);
            };
            let memberships = memberships_of(c, &user)?;
            Ok(Some(WebSession {
                user: parse("user id", user)?,
                display_name,
                memberships,
                csrf_token,
                expires_at: Timestamp(expires_at),
            }))
        })
        .await
    }

    async fn delete_web_session(&self, session_hash: [u8; 32]) -> StoreResult<()> {
        self.write(move |c| {
            c.execute(
                "DELETE FROM web_sessions WHERE session_hash = ?1",
                [&session_hash[..]],
            )?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl CounterStore for SqliteStore {
    async fn next_number(&self, series: Series, year: i32) -> StoreResult<u32> {
        self.read(move |c| {
            let last: Option<u32> = c
                .query_row(
                    &format!("SELECT last FROM {} WHERE year = ?1", counter_table(series)),
                    [year],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(last.unwrap_or(0) + 1)
        })
        .await
    }
}

#[async_trait]
impl CaseStore for SqliteStore {
    async fn cases(&self, filter: &CaseFilter, page: Page) -> StoreResult<Vec<CaseRecord>> {
        let filter = filter.clone();
        self.read(move |c| {
            let (clause, mut values) = case_where(&filter);
            let order = case_order(filter.order);
            values.push(Box::new(i64::from(page.limit.min(500))));
            values.push(Box::new(i64::from(page.offset)));
            let sql = format!(
                "SELECT {CASE_COLUMNS} FROM cases WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                rusqlite::params_from_iter(values.iter().map(|v| v.as_ref())),
                case_record,
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn case_count(&self, filter: &CaseFilter) -> StoreResult<u64> {
        let filter = filter.clone();
        self.read(move |c| {
            let (clause, values) = case_where(&filter);
            let sql = format!("SELECT COUNT(*) FROM cases WHERE {clause}");
            let n: i64 = c.query_row(
                &sql,
                rusqlite::params_from_iter(values.iter().map(|v| v.as_ref())),
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn evidence_status(
        &self,
        projects: &[ProjectId],
        unit: Option<&UnitId>,
    ) -> StoreResult<EvidenceStatus> {
        let projects: Vec<String> = projects.iter().map(|p| p.to_string()).collect();
        let unit = unit.map(|u| u.to_string());
        self.read(move |c| {
            let mut status = EvidenceStatus { referenced: 0, arrived: 0, missing: Vec::new() };
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT e.hash, b.hash IS NOT NULL FROM evidence_refs e LEFT JOIN blobs b ON b.hash = e.hash
                 WHERE e.project_id = ?1 AND (?2 IS NULL OR e.unit_id = ?2) ORDER BY e.hash",
            )?;
            for p in &projects {
                let rows = stmt.query_map(params![p, unit], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))?;
                for row in rows {
                    let (hash, arrived) = row?;
                    status.referenced += 1;
                    if arrived {
                        status.arrived += 1;
                    } else {
                        status.missing.push(BlobHash::parse(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?);
                    }
                }
            }
            Ok(status)
        })
        .await
    }

    async fn report_rows(&self, project: &ProjectId) -> StoreResult<ReportRows> {
        let project = project.clone();
        self.read(move |c| read_report_rows(c, project.as_str(), None))
            .await
    }

    async fn report_rows_of_units(
        &self,
        project: &ProjectId,
        units: &[UnitId],
    ) -> StoreResult<ReportRows> {
        let project = project.clone();
        let units = serde_json::to_string(&units.iter().map(UnitId::as_str).collect::<Vec<_>>())
            .map_err(anyhow::Error::from)?;
        self.read(move |c| read_report_rows(c, project.as_str(), Some(&units)))
            .await
    }

    async fn projection_unit_versions(
        &self,
        project: &ProjectId,
    ) -> StoreResult<Vec<(UnitId, u64)>> {
        let project = project.clone();
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT unit_id, version FROM projection_versions WHERE project_id = ?1",
            )?
            .query_map([project.as_str()], |r| {
                Ok((
                    parse("unit id", r.get(0)?)?,
                    r.get::<_, i64>(1)?.max(0) as u64,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn projection_version(&self, project: &ProjectId) -> StoreResult<ProjectionVersion> {
        let project = project.clone();
        self.read(move |c| Ok(projection_version(c, project.as_str())?))
            .await
    }

    async fn unit_inspections(
        &self,
        project: &ProjectId,
    ) -> StoreResult<Vec<(UnitId, InspectionProgress)>> {
        let project = project.clone();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT unit_id, rounds, most_marked FROM unit_inspections WHERE project_id = ?1",
            )?;
            let rows = stmt.query_map([project.as_str()], |r| {
                Ok((
                    parse::<UnitId>("unit id", r.get(0)?)?,
                    InspectionProgress {
                        rounds: r.get(1)?,
                        most_marked: r.get(2)?,
                    },
                ))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn units_with_stale_verdicts(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<(ProjectId, UnitId)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT project_id, unit_id, MIN(verdicts_until) AS due FROM cases
                 WHERE verdicts_until <= ?1 GROUP BY project_id, unit_id ORDER BY due LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![now.0, limit], |r| {
                Ok((
                    parse::<ProjectId>("project id", r.get(0)?)?,
                    parse::<UnitId>("unit id", r.get(1)?)?,
                ))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn next_verdict_change(&self) -> StoreResult<Option<Timestamp>> {
        self.read(|c| {
            let next: Option<i64> =
                // The condition lets SQLite answer from the partial index instead of a scan.
                c.query_row(
                    "SELECT MIN(verdicts_until) FROM cases WHERE verdicts_until IS NOT NULL",
                    [],
                    |r| r.get(0),
                )?;
            Ok(next.map(Timestamp))
        })
        .await
    }

    async fn mark_project_due(&self, project: &ProjectId) -> StoreResult<u64> {
        let project = project.as_str().to_owned();
        self.write(move |c| {
            let n = c.execute(
                "UPDATE cases SET verdicts_until = 0 WHERE project_id = ?1",
                [project],
            )?;
            Ok(n as u64)
        })
        .await
    }
}

#[async_trait]
impl BlobRowStore for SqliteStore {
    async fn record_blob(
        &self,
        hash: &BlobHash,
        bytes: u64,
        content_type: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let hash = hash.clone();
        let content_type = content_type.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO blobs (hash, bytes, content_type, stored_at) VALUES (?1, ?2, ?3, ?4)",
                params![hash.as_str(), bytes as i64, content_type, now.0],
            )?;
            Ok(())
        })
        .await
    }

    async fn blob_exists(&self, hash: &BlobHash) -> StoreResult<bool> {
        let hash = hash.clone();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT 1 FROM blobs WHERE hash = ?1",
                [hash.as_str()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
        })
        .await
    }

    async fn blob_projects(&self, hash: &BlobHash) -> StoreResult<Vec<ProjectId>> {
        let hash = hash.clone();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT project_id FROM evidence_refs WHERE hash = ?1
                 UNION SELECT project_id FROM evidence_refs WHERE thumb_hash = ?1
                 UNION SELECT project_id FROM signed_walks WHERE signature_hash = ?1",
            )?;
            let rows = stmt.query_map([hash.as_str()], |r| {
                parse::<ProjectId>("project id", r.get(0)?)
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn notifications(
        &self,
        user: &UserId,
        kind: Option<ReminderKind>,
        unread_only: bool,
        page: Page,
    ) -> StoreResult<Vec<Notification>> {
        let user = user.clone();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {NOTIFICATION_COLUMNS} FROM notifications
                 WHERE user_id = ?1 AND (?2 IS NULL OR kind = ?2)
                   AND (?3 = 0 OR read_at IS NULL)
                 ORDER BY due_at DESC, id DESC LIMIT ?4 OFFSET ?5"
            ))?;
            let rows = stmt.query_map(
                params![
                    user.as_str(),
                    kind.map(ReminderKind::as_str),
                    unread_only,
                    page.limit,
                    page.offset
                ],
                notification,
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn unread_notifications(&self, user: &UserId) -> StoreResult<u64> {
        let user = user.clone();
        self.read(move |c| {
            let n: i64 = c.query_row(
                "SELECT COUNT(*) FROM notifications WHERE user_id = ?1 AND read_at IS NULL",
                [user.as_str()],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn mark_notifications_read(
        &self,
        user: &UserId,
        ids: Option<Vec<i64>>,
        at: Timestamp,
    ) -> StoreResult<u64> {
        let user = user.clone();
        self.write(move |c| {
            let changed = match ids {
                None => c.execute(
                    "UPDATE notifications SET read_at = ?2 WHERE user_id = ?1 AND read_at IS NULL",
                    params![user.as_str(), at.0],
                )?,
                Some(ids) => {
                    let mut stmt = c.prepare_cached(
                        "UPDATE notifications SET read_at = ?3
                         WHERE user_id = ?1 AND id = ?2 AND read_at IS NULL",
                    )?;
                    let mut n = 0;
                    for id in ids {
                        n += stmt.execute(params![user.as_str(), id, at.0])?;
                    }
                    n
                }
            };
            Ok(changed as u64)
        })
        .await
    }

    async fn case_notifications(&self, finding: &FindingId) -> StoreResult<Vec<Notification>> {
        let finding = finding.clone();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE finding_id = ?1
                 ORDER BY due_at, kind, user_id"
            ))?;
            let rows = stmt.query_map([finding.as_str()], notification)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn set_webhook(&self, project: &ProjectId, hook: Option<Webhook>) -> StoreResult<()> {
        let project = project.clone();
        let now = self.clock.now().0;
        self.write(move |c| {
            match hook {
                Some(h) => c.execute(
                    "INSERT INTO project_webhooks (project_id, kind, url, updated_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (project_id) DO UPDATE SET kind = excluded.kind,
                        url = excluded.url, updated_at = excluded.updated_at",
                    params![project.as_str(), h.kind.as_str(), h.url, now],
                )?,
                None => c.execute(
                    "DELETE FROM project_webhooks WHERE project_id = ?1",
                    [project.as_str()],
                )?,
            };
            Ok(())
        })
        .await
    }

    async fn webhook(&self, project: &ProjectId) -> StoreResult<Option<Webhook>> {
        let project = project.clone();
        self.read(move |c| {
            let row: Option<(String, String)> = c
                .query_row(
                    "SELECT kind, url FROM project_webhooks WHERE project_id = ?1",
                    [project.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(row.and_then(|(kind, url)| {
                WebhookKind::parse(&kind).map(|kind| Webhook { kind, url })
            }))
        })
        .await
    }

    async fn claim_webhook_messages(
        &self,
        now: Timestamp,
        limit: usize,
        lease_ms: i64,
    ) -> StoreResult<Vec<WebhookMessage>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |c| {
            let ids: Vec<i64> = {
                let mut stmt = c.prepare_cached(
                    "UPDATE webhook_outbox SET claimed_until = ?2
                     WHERE id IN (SELECT o.id FROM webhook_outbox o
                         JOIN project_webhooks w ON w.project_id = o.project_id
                         WHERE o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= ?1
                           AND (o.claimed_until IS NULL OR o.claimed_until <= ?1)
                         ORDER BY o.next_attempt_at, o.id LIMIT ?3)
                     RETURNING id",
                )?;
                let rows = stmt.query_map(params![now.0, now.0 + lease_ms, limit], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<Vec<i64>>>()?
            };
            Ok(ids
                .into_iter()
                .map(|id| webhook_message(c, id))
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn webhook_attempted(
        &self,
        id: i64,
        at: Timestamp,
        outcome: Result<(), (String, Option<Timestamp>)>,
    ) -> StoreResult<()> {
        self.write(move |c| {
            match outcome {
                Ok(()) => c.execute(
                    "UPDATE webhook_outbox SET attempts = attempts + 1, delivered_at = ?2,
                        next_attempt_at = NULL, claimed_until = NULL WHERE id = ?1",
                    params![id, at.0],
                )?,
                Err((error, retry_at)) => c.execute(
                    "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?2,
                        next_attempt_at = ?3, claimed_until = NULL WHERE id = ?1",
                    params![id, error, retry_at.map(|t| t.0)],
                )?,
            };
            Ok(())
        })
        .await
    }

    async fn webhook_messages(
        &self,
        project: &ProjectId,
        limit: usize,
    ) -> StoreResult<Vec<WebhookMessage>> {
        let project = project.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let ids: Vec<i64> = {
                let mut stmt = c.prepare_cached(
                    "SELECT id FROM webhook_outbox WHERE project_id = ?1
                     ORDER BY created_at DESC, id DESC LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![project.as_str(), limit], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<Vec<i64>>>()?
            };
            Ok(ids
                .into_iter()
                .map(|id| webhook_message(c, id))
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn owner_contact(&self, finding: &FindingId) -> StoreResult<Option<OwnerContactRecord>> {
        let finding = finding.clone();
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {CONTACT_COLUMNS} FROM owner_contacts WHERE finding_id = ?1"
            ))?
            .query_row([finding.as_str()], contact_record)
            .optional()?)
        })
        .await
    }

    async fn unmasked_contacts(
        &self,
        after: Option<&FindingId>,
        limit: usize,
    ) -> StoreResult<Vec<OwnerContactRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let after = after.map(|f| f.to_string()).unwrap_or_default();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {CONTACT_COLUMNS} FROM owner_contacts WHERE masked_in_doc = 0
                 AND finding_id > ?1 ORDER BY finding_id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![after, limit], contact_record)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn contact_masked(&self, finding: &FindingId) -> StoreResult<()> {
        let finding = finding.clone();
        self.write(move |c| {
            c.execute(
                "UPDATE owner_contacts SET masked_in_doc = 1 WHERE finding_id = ?1",
                [finding.as_str()],
            )?;
            Ok(())
        })
        .await
    }

    async fn record_contact_views(&self, views: Vec<ContactView>) -> StoreResult<()> {
        self.write(move |c| {
            let mut insert = c.prepare_cached(
                "INSERT INTO contact_views (at, user_id, project_id, unit_id, finding_id, purpose)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for v in &views {
                insert.execute(params![
                    v.at.0,
                    v.user.as_str(),
                    v.project.as_str(),
                    v.unit.as_str(),
                    v.finding.as_str(),
                    v.purpose.as_str()
                ])?;
            }
            Ok(())
        })
        .await
    }

    async fn contact_views(
        &self,
        projects: &[ProjectId],
        page: Page,
    ) -> StoreResult<Vec<ContactView>> {
        let projects: Vec<String> = projects.iter().map(|p| p.to_string()).collect();
        let projects = serde_json::to_string(&projects).unwrap_or_else(|_| "[]".into());
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT at, user_id, project_id, unit_id, finding_id, purpose FROM contact_views
                 WHERE project_id IN (SELECT value FROM json_each(?1))
                 ORDER BY at DESC, id DESC LIMIT ?2 OFFSET ?3",
            )?;
            let rows = stmt.query_map(
                params![projects, i64::from(page.limit), i64::from(page.offset)],
                |r| {
                    Ok(ContactView {
                        at: Timestamp(r.get(0)?),
                        user: parse("user id", r.get(1)?)?,
                        project: parse("project id", r.get(2)?)?,
                        unit: parse("unit id", r.get(3)?)?,
                        finding: parse("finding id", r.get(4)?)?,
                        purpose: ContactPurpose::parse(&r.get::<_, String>(5)?),
                    })
                },
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

const CONTACT_COLUMNS: &str = "finding_id, project_id, unit_id, name, phone, recorded_at";

fn contact_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<OwnerContactRecord> {
    Ok(OwnerContactRecord {
        finding: parse("finding id", r.get(0)?)?,
        project: parse("project id", r.get(1)?)?,
        unit: parse("unit id", r.get(2)?)?,
        contact: plumbline_shared::doc::finding::OwnerContact {
            name: r.get(3)?,
            phone: r.get(4)?,
        },
        recorded_at: Timestamp(r.get(5)?),
    })
}

/// One robot message with the case's description and the names of those told.
fn webhook_message(c: &Connection, id: i64) -> rusqlite::Result<WebhookMessage> {
    let mut message = c.prepare_cached(
        "SELECT o.project_id, o.unit_id, o.finding_id, o.kind, o.notice_no, o.due_at,
            COALESCE(cs.description, ''), o.attempts, o.delivered_at, o.next_attempt_at,
            o.last_error, o.reminder_key
         FROM webhook_outbox o LEFT JOIN cases cs ON cs.finding_id = o.finding_id
         WHERE o.id = ?1",
    )?;
    let (mut m, key) = message.query_row([id], |r| {
        let kind: String = r.get(3)?;
        Ok((
            WebhookMessage {
                id,
                project: parse("project id", r.get(0)?)?,
                unit: parse("unit id", r.get(1)?)?,
                finding: parse("finding id", r.get(2)?)?,
                kind: reminder_kind(3, &kind)?,
                notice_no: r.get(4)?,
                due_at: Timestamp(r.get(5)?),
                description: r.get(6)?,
                recipients: Vec::new(),
                attempts: r.get(7)?,
                delivered_at: r.get::<_, Option<i64>>(8)?.map(Timestamp),
                next_attempt_at: r.get::<_, Option<i64>>(9)?.map(Timestamp),
                last_error: r.get(10)?,
            },
            r.get::<_, String>(11)?,
        ))
    })?;
    let mut told = c.prepare_cached(
        "SELECT u.display_name, m.role FROM notifications n
         JOIN users u ON u.user_id = n.user_id
         LEFT JOIN memberships m ON m.user_id = n.user_id AND m.project_id = n.project_id
         WHERE n.reminder_key = ?1 ORDER BY n.user_id",
    )?;
    let names = told.query_map([key], |r| {
        let name: String = r.get(0)?;
        let role: Option<String> = r.get(1)?;
        Ok(match role.as_deref().and_then(Role::parse) {
            Some(role) => format!("{name}（{}）", role.label_zh()),
            None => name,
        })
    })?;
    m.recipients = names.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(m)
}

/// A stored reminder kind (column `index`), or the error that names it.
fn reminder_kind(index: usize, kind: &str) -> rusqlite::Result<ReminderKind> {
    ReminderKind::parse(kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown notification kind `{kind}`").into(),
        )
    })
}

/// A notification row selected with [`NOTIFICATION_COLUMNS`].
fn notification(r: &rusqlite::Row<'_>) -> rusqlite::Result<Notification> {
    let kind: String = r.get(5)?;
    Ok(Notification {
        id: r.get(0)?,
        user: parse("user id", r.get(1)?)?,
        project: parse("project id", r.get(2)?)?,
        unit: parse("unit id", r.get(3)?)?,
        finding: parse("finding id", r.get(4)?)?,
        kind: reminder_kind(5, &kind)?,
        notice_no: r.get(6)?,
        due_at: Timestamp(r.get(7)?),
        created_at: Timestamp(r.get(8)?),
        read_at: r.get::<_, Option<i64>>(9)?.map(Timestamp),
    })
}

/// Whether the rows of `device_positions` are a device's whole position.
fn position_known(c: &Connection, device: &str) -> rusqlite::Result<bool> {
    let known: Option<bool> = c
        .query_row(
            "SELECT position_known FROM devices WHERE device_id = ?1",
            [device],
            |r| r.get(0),
        )
        .optional()?;
    Ok(known == Some(true))
}

#[async_trait]
impl PositionStore for SqliteStore {
    async fn device_position(&self, device: &DeviceId) -> StoreResult<Option<Position>> {
        let device = device.to_string();
        self.read(move |c| {
            // One read transaction: the flag and the rows of one moment.
            let c = &c.unchecked_transaction()?;
            if !position_known(c, &device)? {
                return Ok(None);
            }
            let mut stmt = c.prepare_cached(
                "SELECT doc_id, digest FROM device_positions WHERE device_id = ?1",
            )?;
            let rows = stmt.query_map([&device], |r| {
                let doc: DocId = parse("document id", r.get(0)?)?;
                let digest: String = r.get(1)?;
                let digest = HeadsDigest::try_from(digest).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        1,
                        rusqlite::types::Type::Text,
                        e.into(),
                    )
                })?;
                Ok((doc, digest))
            })?;
            Ok(Some(rows.collect::<rusqlite::Result<Position>>()?))
        })
        .await
    }

    async fn replace_device_position(
        &self,
        device: &DeviceId,
        position: &Position,
    ) -> StoreResult<()> {
        let device = device.to_string();
        let rows: Vec<(String, String)> = position
            .iter()
            .map(|(doc, digest)| (doc.to_string(), String::from(*digest)))
            .collect();
        self.write(move |c| {
            // No such device: nothing to remember (no rows left behind without their flag).
            let known = c.execute(
                "UPDATE devices SET position_known = 1 WHERE device_id = ?1",
                [&device],
            )?;
            if known == 0 {
                return Ok(());
            }
            c.execute(
                "DELETE FROM device_positions WHERE device_id = ?1",
                [&device],
            )?;
            let mut insert = c.prepare_cached(
                "INSERT INTO device_positions (device_id, doc_id, digest) VALUES (?1, ?2, ?3)",
            )?;
            for (doc, digest) in &rows {
                insert.execute(params![device, doc, digest])?;
            }
            Ok(())
        })
        .await
    }

    async fn update_device_position(
        &self,
        device: &DeviceId,
        moved: &[(DocId, Option<HeadsDigest>)],
    ) -> StoreResult<()> {
        if moved.is_empty() {
            return Ok(());
        }
        let device = device.to_string();
        let moved: Option<Vec<(String, String)>> = moved
            .iter()
            .map(|(doc, digest)| digest.map(|d| (doc.to_string(), String::from(d))))
            .collect();
        self.write(move |c| {
            if !position_known(c, &device)? {
                return Ok(());
            }
            let Some(moved) = moved else {
                c.execute(
                    "DELETE FROM device_positions WHERE device_id = ?1",
                    [&device],
                )?;
                c.execute(
                    "UPDATE devices SET position_known = 0 WHERE device_id = ?1",
                    [&device],
                )?;
                return Ok(());
            };
            let mut upsert = c.prepare_cached(
                "INSERT INTO device_positions (device_id, doc_id, digest) VALUES (?1, ?2, ?3)
                 ON CONFLICT (device_id, doc_id) DO UPDATE SET digest = excluded.digest",
            )?;
            for (doc, digest) in &moved {
                upsert.execute(params![device, doc, digest])?;
            }
            Ok(())
        })
        .await
    }
}

/// One process holds the file and learns its own writes as it makes them: nothing to hear.
#[async_trait]
impl ChangeFeed for SqliteStore {
    async fn follow(&self) -> StoreResult<Option<DocFeed>> {
        Ok(None)
    }
}

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |c| {
            let taken = c.execute(
                "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?4)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                 WHERE leases.until <= ?3 OR leases.holder = excluded.holder",
                params![name, holder, now.0, until.0],
            )?;
            Ok(taken == 1)
        })
        .await
    }
}
