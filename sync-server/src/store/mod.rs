//! Durable storage: documents as append-only changes, accounts, and the case-record tables.
//!
//! [`Store`] is the seam between the server and its database. The embedded default is
//! [`sqlite::SqliteStore`]; [`postgres::PostgresStore`] implements the same traits for servers
//! that share a PostgreSQL database, so the traits speak only Plumbline's types (ids,
//! [`UnitProjection`], [`Identity`]) and never rows or SQL.
//!
//! Guarantees every implementation must give:
//! - **Durable acknowledgement.** When a write method returns `Ok`, the data is on disk: a crash
//!   right after loses nothing. The sync handler replies only after that.
//! - **Idempotent changes.** [`DocStore::write_docs`] keyed by change hash: storing a change twice is
//!   a no-op, so a device may resend a batch after a cut connection.
//! - **Atomic batches.** One `write_docs` call lands whole or not at all: changes, new heads and
//!   projection rows of every document in it.

pub mod postgres;
mod sql;
pub mod sqlite;

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use automerge::ChangeHash;
use plumbline_shared::api::HeadsDigest;
use plumbline_shared::clock::Clock;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::{
    BlobHash, ContractorId, DeviceId, FindingId, ProjectId, UnitId, UserId,
};
use plumbline_shared::projection::UnitProjection;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::reminder::ReminderKind;

/// One device's documents and the digest of its heads for each: what it holds as far as the
/// server knows (see `crate::positions`, which keeps them).
pub use plumbline_shared::protocol::manifest::Position;
use serde::Serialize;

/// What a store call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing named does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The write conflicts with what is stored (a duplicate id, a used code).
    #[error("{0}")]
    Conflict(String),
    /// A [`NumberClaim`] of the write was taken by another write first; nothing was stored.
    #[error("number {number} of the {series:?} series of {year} was taken first")]
    NumberTaken {
        /// The series.
        series: Series,
        /// The year.
        year: i32,
        /// The number claimed.
        number: u32,
    },
    /// A [`DocWrite::base`] no longer matches what is stored (another replica wrote the
    /// document first); nothing was stored.
    #[error("{doc} was changed by another server at the same moment")]
    Stale {
        /// The document.
        doc: DocId,
    },
    /// Anything else (I/O, a corrupt row); logged, never shown to a device.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound("row".into()),
            other => StoreError::Other(other.into()),
        }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A document as stored: an optional compacted snapshot plus the changes after it.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    /// The project it belongs to.
    pub project: ProjectId,
    /// A `save()` of the document up to some point.
    pub snapshot: Option<Vec<u8>>,
    /// Raw change bytes stored after the snapshot, in storage order.
    pub changes: Vec<Vec<u8>>,
    /// The storage position of the last of `changes` (or of the snapshot when there are
    /// none): compacting up to it folds exactly what was loaded.
    pub last_seq: i64,
}

/// One document's heads digest, for manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocSummary {
    /// The document.
    pub doc: DocId,
    /// Digest of its heads on the server.
    pub heads: HeadsDigest,
}

/// A change to store.
#[derive(Debug, Clone)]
pub struct NewChange {
    /// Its hash.
    pub hash: ChangeHash,
    /// Its raw bytes.
    pub bytes: Vec<u8>,
}

/// Everything one sync (or one office action) writes for one document.
#[derive(Debug, Clone)]
pub struct DocWrite {
    /// The document.
    pub doc: DocId,
    /// Its project.
    pub project: ProjectId,
    /// The device that sent the changes (`None` for the server's own).
    pub device: Option<DeviceId>,
    /// New changes (already-stored ones are skipped).
    pub changes: Vec<NewChange>,
    /// The document's heads after these changes.
    pub heads: Vec<ChangeHash>,
    /// The stored heads these changes were made on (empty: the document did not exist yet), or
    /// `None` to write whatever is stored. When given and the stored heads differ by the time
    /// of the write, the whole write fails with [`StoreError::Stale`] and stores nothing:
    /// another server replica stored changes to the document in between, and `heads` and
    /// `projection` would replace what it stored without having seen it. Whoever wrote the
    /// changes loads the document again and retries (a device: its next exchange).
    pub base: Option<Vec<ChangeHash>>,
    /// The unit's case records after these changes (unit documents only).
    pub projection: Option<UnitProjection>,
    /// Numbers of a series the new changes use (a notice's, a fine slip's): taken in the same
    /// transaction, or the whole write fails with [`StoreError::NumberTaken`].
    pub claims: Vec<NumberClaim>,
    /// Owners' full contacts taken with these changes, kept on the server only (the document
    /// holds their masked form): stored in the same transaction.
    pub contacts: Vec<OwnerContactRecord>,
}

/// An owner's full contact, kept on the server only (see `plumbline_shared::doc::finding::
/// OwnerContact` for why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerContactRecord {
    /// The complaint it was taken with.
    pub finding: FindingId,
    /// Its project.
    pub project: ProjectId,
    /// Its unit.
    pub unit: UnitId,
    /// The contact, in full.
    pub contact: plumbline_shared::doc::finding::OwnerContact,
    /// When it was taken.
    pub recorded_at: Timestamp,
}

/// Why a person saw an owner's full contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactPurpose {
    /// Opened on the case (to call the owner back, to arrange a visit).
    Case,
    /// Listed by an owner search in the archives.
    Search,
}

impl ContactPurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Case => "case",
            Self::Search => "search",
        }
    }

    /// The stored name read back; unknown names read as [`Self::Case`].
    pub fn parse(s: &str) -> Self {
        if s == "search" {
            Self::Search
        } else {
            Self::Case
        }
    }
}

/// One look at an owner's full contact: who, when, which case, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactView {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub user: UserId,
    /// The case's project.
    pub project: ProjectId,
    /// The case's unit.
    pub unit: UnitId,
    /// The case.
    pub finding: FindingId,
    /// Why.
    pub purpose: ContactPurpose,
}

/// A yearly numbered series of documents the office issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Series {
    /// Rectification notices, `ZG-YYYY-NNNN`.
    Notice,
    /// Fine slips, `FK-YYYY-NNNN`: a series of their own.
    Fine,
}

impl Series {
    /// The printed number of the `number`th document of `year`.
    pub fn format(self, year: i32, number: u32) -> String {
        let prefix = match self {
            Self::Notice => "ZG",
            Self::Fine => "FK",
        };
        format!("{prefix}-{year}-{number:04}")
    }
}

/// A number taken by a write: it must be the next of its series, or someone took it first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberClaim {
    /// The series.
    pub series: Series,
    /// The year it counts in.
    pub year: i32,
    /// The number, as [`CounterStore::next_number`] gave it.
    pub number: u32,
}

pub use plumbline_shared::role::{Identity, Membership};

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub user: UserId,
    /// Display name.
    pub display_name: String,
    /// argon2id PHC string, or `None` for an account that cannot sign in with a password.
    pub password_hash: Option<String>,
}

/// A user as administrators list them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    /// Login name.
    pub user: UserId,
    /// Display name.
    pub display_name: String,
    /// Their roles, per project.
    pub memberships: Vec<Membership>,
}

/// What counting a sign-in attempt found (see [`AccountStore::begin_login_attempt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginAttempt {
    /// The name is locked: no password is checked.
    Locked,
    /// The password may be checked; this is attempt `n` in a row without a success.
    Counted(u32),
}

/// A device as administrators list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    /// The device.
    pub device: DeviceId,
    /// Its owner.
    pub user: UserId,
    /// Its name.
    pub name: String,
    /// Enrolled at.
    pub created_at: Timestamp,
    /// Revoked at.
    pub revoked_at: Option<Timestamp>,
    /// Last request.
    pub last_seen: Option<Timestamp>,
    /// Last whole sync: the device held everything the server held, and the server everything
    /// it sent.
    pub last_synced: Option<Timestamp>,
}

/// When a device was last seen, and last finished a whole sync, as noted since the last write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    /// Its latest request.
    pub seen: Timestamp,
    /// Its latest whole sync, when it finished one.
    pub synced: Option<Timestamp>,
}

/// The work a device's syncs brought for one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceWork {
    /// The document.
    pub doc: DocId,
    /// Changes of the device stored for it.
    pub changes: u32,
    /// When the last of them was stored.
    pub last_stored: Timestamp,
}

/// A new office web session.
#[derive(Debug, Clone)]
pub struct NewWebSession {
    /// BLAKE3 of the cookie value.
    pub session_hash: [u8; 32],
    /// Who signed in.
    pub user: UserId,
    /// The form token of this session.
    pub csrf_token: String,
    /// Signed in at.
    pub created_at: Timestamp,
    /// Ends at.
    pub expires_at: Timestamp,
}

/// A live office web session.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// Who.
    pub user: UserId,
    /// Their name.
    pub display_name: String,
    /// Their roles.
    pub memberships: Vec<Membership>,
    /// The form token.
    pub csrf_token: String,
    /// Ends at.
    pub expires_at: Timestamp,
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only these projects (empty: none).
    pub projects: Vec<ProjectId>,
    /// Only this unit.
    pub unit: Option<UnitId>,
    /// Only cases of this contractor.
    pub contractor: Option<ContractorId>,
    /// Only cases in this status.
    pub status: Option<plumbline_shared::workflow::Status>,
    /// Only this severity.
    pub severity: Option<plumbline_shared::severity::Severity>,
    /// Only this category id.
    pub category: Option<String>,
    /// Only this room id.
    pub room: Option<String>,
    /// Only cases whose description contains this text.
    pub text: Option<String>,
    /// Only cases whose response window or repair deadline had passed at this time: the union
    /// of [`Queue::ResponseOverdue`] and [`Queue::RepairOverdue`] (the case list's `overdue=1`).
    pub overdue_at: Option<Timestamp>,
    /// Only the cases of one of the dashboard's queues.
    pub queue: Option<Queue>,
    /// Only cases that came in this way.
    pub origin: Option<plumbline_shared::event::Origin>,
    /// Only cases recorded at or after this time.
    pub created_from: Option<Timestamp>,
    /// Only cases recorded before this time.
    pub created_before: Option<Timestamp>,
    /// Leave out cases merged into another: they count at the case they were merged into, so a
    /// list or a figure that counts cases must not count them again. (The office web sets this
    /// unless it lists the merged status itself; the default keeps every row, as the JSON API
    /// always did.)
    pub exclude_merged: bool,
    /// Only complaints of the owner with this phone number (digits only, as intake stores it).
    pub owner_phone: Option<String>,
    /// Only complaints of the owner with this name (trimmed, matched whole).
    pub owner_name: Option<String>,
    /// The order of [`CaseStore::cases`] (counting ignores it).
    pub order: CaseOrder,
    /// Only cases of these units (a building's, on the readiness page); `None`: any unit.
    pub units: Option<Vec<UnitId>>,
    /// Only these cases (the cases behind a report figure); `None`: any case.
    pub findings: Option<Vec<plumbline_shared::ids::FindingId>>,
    /// Only open defects: cases that count (not merged, not cancelled as "not a defect") and
    /// are not yet repaired and accepted, closed or cancelled. The readiness page's figures.
    pub open_only: bool,
}

/// What a case listing is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// When it was recorded.
    Created,
    /// Severity, `S1` (emergency) first when ascending.
    Severity,
    /// Status, in the workflow's order.
    Status,
    /// The current notice's repair deadline; cases without one last.
    Deadline,
    /// The unit.
    Unit,
}

/// The order of a case listing: a key and a direction. Rows with equal keys are ordered by
/// finding id, so paging never shows a row twice or skips one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseOrder {
    /// The key.
    pub key: SortKey,
    /// Largest first.
    pub descending: bool,
}

impl Default for CaseOrder {
    /// Newest first, the list's order before it could be sorted.
    fn default() -> Self {
        Self {
            key: SortKey::Created,
            descending: true,
        }
    }
}

/// A dashboard queue that is not a status: cases that need a person for another reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Conflicting field values or workflow anomalies to clear up.
    Review,
    /// The office asked for more evidence and it has not come.
    EvidenceRequested,
    /// Photos came after the repair's acceptance and no engineer has reviewed them
    /// (验收后新增照片).
    EvidenceAfterAcceptance,
    /// A penalty condition calls for emergency repair and none has started.
    EmergencyRequired,
    /// A fine slip awaits an approval (drafted, or approved by the leader only); voided and
    /// fully approved slips wait for nobody.
    FinesAwaitingApproval,
    /// Probable duplicates (疑似重复): another case of the same unit, room and check item was
    /// recorded within [`DUPLICATE_WINDOW_MS`] of this one, and neither is cancelled or merged
    /// yet.
    ProbableDuplicates,
    /// Emergencies (紧急, severity S1) with no rectification notice running: recorded or
    /// reopened, waiting for someone to send a contractor now.
    UrgentAwaitingNotice,
    /// Notices not returned (通知单未回执, penalty condition 5) as of this time: the repair was
    /// accepted, the return deadline passed and the notice has not come back.
    NoticeNotReturned(Timestamp),
    /// Accepted repairs whose owner has not been called back yet (待回访).
    CallbacksDue,
    /// No response within the window (4小时响应超时) as of this time: notified, the clock
    /// running, the response deadline passed (penalty condition 2). Counted apart from
    /// [`Queue::RepairOverdue`] so the office sees which promise was broken.
    ResponseOverdue(Timestamp),
    /// Repairs overdue (整改逾期) as of this time: notified or in repair, the clock running, the
    /// repair deadline passed. A case can be in both this and [`Queue::ResponseOverdue`].
    RepairOverdue(Timestamp),
}

/// How close in time two findings of the same unit, room and check item must be recorded to be
/// flagged as probable duplicates: an owner who calls twice about one leak, an inspector and the
/// front desk recording the same defect on the same day.
pub const DUPLICATE_WINDOW_MS: i64 = plumbline_shared::time::DAY_MS;

/// A page of a listing.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Rows to skip.
    pub offset: u32,
    /// Rows to return (bounded by the store to 500).
    pub limit: u32,
}

pub use plumbline_shared::projection::CaseRecord;

/// The rows one project's reports are computed from (see `docs/reports.md`): every case, and
/// every notice, fine slip, callback, emergency repair and photo of those cases. Loaded whole
/// because the reports look across months (the backlog, the twelve-month trends).
#[derive(Debug, Clone, Default)]
pub struct ReportRows {
    /// The project's projection version when the rows were read (read before them, so the
    /// rows are at least as new).
    pub version: ProjectionVersion,
    /// Every case of the project, counted or not.
    pub cases: Vec<CaseRecord>,
    /// Every notice, current and past.
    pub notices: Vec<plumbline_shared::projection::NoticeRow>,
    /// Every fine slip, voided ones included.
    pub fines: Vec<plumbline_shared::projection::FineRow>,
    /// Every callback.
    pub callbacks: Vec<plumbline_shared::projection::CallbackRow>,
    /// Every emergency repair.
    pub emergencies: Vec<plumbline_shared::projection::EmergencyRow>,
    /// Every photo reference.
    pub photos: Vec<plumbline_shared::projection::EvidenceRow>,
}

impl ReportRows {
    /// Every table's rows in the order of their findings' ids (bytewise, whatever the
    /// database's collation), each finding's rows in the order they were read: rows spliced
    /// from two reads ([`Self::append`]) then sit where one read would have put them.
    pub fn sort_by_finding(&mut self) {
        self.cases
            .sort_by(|a, b| a.case.finding.as_str().cmp(b.case.finding.as_str()));
        self.notices
            .sort_by(|a, b| a.finding.as_str().cmp(b.finding.as_str()));
        self.fines
            .sort_by(|a, b| a.finding.as_str().cmp(b.finding.as_str()));
        self.callbacks
            .sort_by(|a, b| a.finding.as_str().cmp(b.finding.as_str()));
        self.emergencies
            .sort_by(|a, b| a.finding.as_str().cmp(b.finding.as_str()));
        self.photos
            .sort_by(|a, b| a.finding.as_str().cmp(b.finding.as_str()));
    }

    /// These rows without those of `units`' findings. Every row belongs to a finding whose
    /// case is among the cases (the projection writes a unit's rows together).
    pub fn without_units(&self, units: &BTreeSet<UnitId>) -> Self {
        let gone: BTreeSet<&str> = self
            .cases
            .iter()
            .filter(|c| units.contains(&c.unit))
            .map(|c| c.case.finding.as_str())
            .collect();
        fn keep<T: Clone>(
            rows: &[T],
            gone: &BTreeSet<&str>,
            finding: impl Fn(&T) -> &str,
        ) -> Vec<T> {
            rows.iter()
                .filter(|r| !gone.contains(finding(r)))
                .cloned()
                .collect()
        }
        Self {
            version: self.version,
            cases: keep(&self.cases, &gone, |r| r.case.finding.as_str()),
            notices: keep(&self.notices, &gone, |r| r.finding.as_str()),
            fines: keep(&self.fines, &gone, |r| r.finding.as_str()),
            callbacks: keep(&self.callbacks, &gone, |r| r.finding.as_str()),
            emergencies: keep(&self.emergencies, &gone, |r| r.finding.as_str()),
            photos: keep(&self.photos, &gone, |r| r.finding.as_str()),
        }
    }

    /// Adds `other`'s rows (call [`Self::sort_by_finding`] after).
    pub fn append(&mut self, other: Self) {
        self.cases.extend(other.cases);
        self.notices.extend(other.notices);
        self.fines.extend(other.fines);
        self.callbacks.extend(other.callbacks);
        self.emergencies.extend(other.emergencies);
        self.photos.extend(other.photos);
    }
}

/// How often a project's projection rows have been written, over all its units (the
/// `projection_versions` table): every write of a unit's rows adds one to `writes`, in the
/// same transaction. Two equal versions read at two instants mean equal rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ProjectionVersion {
    /// Units ever projected.
    pub units: u64,
    /// Writes of their rows, all together.
    pub writes: u64,
}

/// Per-unit evidence arrival.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceStatus {
    /// Referenced by documents.
    pub referenced: u64,
    /// Of those, arrived.
    pub arrived: u64,
    /// Hashes still missing.
    pub missing: Vec<BlobHash>,
}

/// Durable storage for documents, accounts and case records. See the module docs for the
/// guarantees every implementation gives.
#[async_trait]
pub trait Store:
    DocStore
    + AccountStore
    + DeviceStore
    + SessionStore
    + CounterStore
    + CaseStore
    + BlobRowStore
    + NotificationStore
    + WebhookStore
    + ContactStore
    + PositionStore
    + LeaseStore
    + ChangeFeed
    + Send
    + Sync
    + 'static
{
    /// Checks the database answers (readiness).
    async fn ping(&self) -> StoreResult<()>;
}

/// Documents: their changes, heads and compaction, and the projection written with them.
#[async_trait]
pub trait DocStore: Send + Sync + 'static {
    /// Loads a document's snapshot and changes.
    async fn load_doc(&self, doc: &DocId) -> StoreResult<Option<StoredDoc>>;
    /// The heads digest of every document of these projects.
    async fn doc_summaries(&self, projects: &[ProjectId]) -> StoreResult<Vec<DocSummary>>;
    /// The server's heads for one document.
    async fn doc_heads(&self, doc: &DocId) -> StoreResult<Option<Vec<ChangeHash>>>;
    /// Every document id (for `reindex`).
    async fn all_docs(&self) -> StoreResult<Vec<DocId>>;
    /// Stores changes, heads and projections of several documents in one durable transaction.
    async fn write_docs(&self, writes: Vec<DocWrite>) -> StoreResult<()>;
    /// Documents with at least `min_changes` changes stored since their last snapshot.
    async fn docs_to_compact(&self, min_changes: usize) -> StoreResult<Vec<DocId>>;
    /// Replaces a document's changes up to `up_to_seq` ([`StoredDoc::last_seq`]) by `snapshot`,
    /// a save of exactly the loaded document, in one transaction. Changes stored after the load
    /// have higher positions and are kept. A compaction up to a position no later than the
    /// snapshot's does nothing: it was made from an older load than the last compaction (two
    /// replicas, or a slow one), and its snapshot lacks changes that were deleted since.
    async fn compact_doc(&self, doc: &DocId, snapshot: Vec<u8>, up_to_seq: i64) -> StoreResult<()>;
    /// Replaces the whole case-record projection (for `reindex`).
    async fn replace_all_projections(&self, projections: Vec<UnitProjection>) -> StoreResult<()>;
}

/// People: users, their roles, passwords and sign-in attempts.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates a user.
    async fn create_user(&self, user: NewUser) -> StoreResult<()>;
    /// Grants (or changes) a user's role in a project.
    async fn set_membership(&self, user: &UserId, membership: Membership) -> StoreResult<()>;
    /// The argon2id hash of a user's password, if the user exists and has one.
    async fn password_hash(&self, user: &UserId) -> StoreResult<Option<String>>;
    /// Every user with their roles, by login name.
    async fn users(&self) -> StoreResult<Vec<UserInfo>>;
    /// A person's display name and roles, when the user exists.
    async fn user(&self, user: &UserId) -> StoreResult<Option<(String, Vec<Membership>)>>;
    /// Counts a sign-in attempt for a login name before its password is checked, atomically,
    /// so that attempts sent at once are counted one by one: `Locked` while the name is locked,
    /// else the attempts in a row so far, this one included. The name locks for `lock_ms` once
    /// they reach `lock_after`; a right password then clears them
    /// ([`AccountStore::clear_login_failures`]).
    async fn begin_login_attempt(
        &self,
        login: &str,
        now: Timestamp,
        lock_after: u32,
        lock_ms: i64,
    ) -> StoreResult<LoginAttempt>;
    /// Forgets the failed sign-ins of a login name (it just signed in).
    async fn clear_login_failures(&self, login: &str) -> StoreResult<()>;
}

/// Phones: enrollment, bearer tokens, presence and revocation.
#[async_trait]
pub trait DeviceStore: Send + Sync + 'static {
    /// Stores a one-time enrollment code (its hash) for a user.
    async fn create_enrollment_code(
        &self,
        code_hash: [u8; 32],
        user: &UserId,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// Consumes an enrollment code and enrolls a device, atomically: a code enrolls at most one
    /// device, and only before it expires. With `previous`, a device of the code's person that
    /// is not revoked gets the new token and stays itself (its offline work is still its own);
    /// otherwise `device` is a new one.
    async fn enroll_device(
        &self,
        code_hash: [u8; 32],
        device: &DeviceId,
        previous: Option<&DeviceId>,
        name: &str,
        token_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<Identity>;
    /// The identity behind a bearer token, unless the device is revoked.
    async fn identity_by_token(
        &self,
        token_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<Identity>>;
    /// Every enrolled device.
    async fn devices(&self) -> StoreResult<Vec<DeviceInfo>>;
    /// Records when devices were last seen and last synced whole (a later time only ever
    /// replaces an earlier one).
    async fn record_presence(&self, seen: Vec<(DeviceId, Presence)>) -> StoreResult<()>;
    /// The documents a device's changes were stored for, the latest first (at most `limit`).
    async fn device_work(&self, device: &DeviceId, limit: u32) -> StoreResult<Vec<DeviceWork>>;
    /// Revokes a device; its next request is refused.
    async fn revoke_device(&self, device: &DeviceId, now: Timestamp) -> StoreResult<()>;
}

/// The office web's sign-in sessions.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Starts an office web session; only the hash of its cookie is stored.
    async fn create_web_session(&self, session: NewWebSession) -> StoreResult<()>;
    /// The signed-in person behind a session cookie's hash, unless it expired.
    async fn web_session(
        &self,
        session_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<WebSession>>;
    /// Ends a session (signing out).
    async fn delete_web_session(&self, session_hash: [u8; 32]) -> StoreResult<()>;
}

/// The gapless document numbers (notices, fine slips).
#[async_trait]
pub trait CounterStore: Send + Sync + 'static {
    /// The number the next document of `series` in `year` would take (1, 2, …), without
    /// taking it: a [`DocWrite`] claims it ([`NumberClaim`]) in the transaction that stores the
    /// event using it, so a refused or failed action leaves no gap in the series.
    async fn next_number(&self, series: Series, year: i32) -> StoreResult<u32>;
}

/// The case records projected from the documents, and what is read from them.
#[async_trait]
pub trait CaseStore: Send + Sync + 'static {
    /// Case records in `filter.order`.
    async fn cases(&self, filter: &CaseFilter, page: Page) -> StoreResult<Vec<CaseRecord>>;
    /// How many case records match.
    async fn case_count(&self, filter: &CaseFilter) -> StoreResult<u64>;
    /// Evidence arrival for a unit (or every unit of the projects, when `unit` is `None`).
    async fn evidence_status(
        &self,
        projects: &[ProjectId],
        unit: Option<&UnitId>,
    ) -> StoreResult<EvidenceStatus>;
    /// Everything the reports of `project` are computed from.
    async fn report_rows(&self, project: &ProjectId) -> StoreResult<ReportRows>;
    /// The part of [`Self::report_rows`] that belongs to `units` (cases of those units, with
    /// their notices, fines, callbacks, emergency repairs and photos): what the report cache
    /// reads again for the units written since it last read.
    async fn report_rows_of_units(
        &self,
        project: &ProjectId,
        units: &[UnitId],
    ) -> StoreResult<ReportRows>;
    /// How many times each projected unit of `project` has had its rows written (the
    /// `projection_versions` table): a project's [`ProjectionVersion`] is their count and sum.
    async fn projection_unit_versions(
        &self,
        project: &ProjectId,
    ) -> StoreResult<Vec<(UnitId, u64)>>;
    /// The project's projection version: what [`Self::report_rows`] would now read with its
    /// rows, at the cost of one indexed sum.
    async fn projection_version(&self, project: &ProjectId) -> StoreResult<ProjectionVersion>;
    /// How far each unit's pre-handover inspection has got, for every unit of `project` that
    /// has been projected (the readiness page; a unit without a row has not been projected
    /// since the table exists and counts as not started).
    async fn unit_inspections(
        &self,
        project: &ProjectId,
    ) -> StoreResult<
        Vec<(
            UnitId,
            plumbline_shared::inspection_plan::InspectionProgress,
        )>,
    >;
    /// Units with a case row whose verdicts hold only until `now` or earlier (`verdicts_until
    /// <= now`), at most `limit`, the most overdue first: they must be derived again before
    /// anyone reads their rows.
    async fn units_with_stale_verdicts(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<(ProjectId, UnitId)>>;
    /// The earliest `verdicts_until` of any case row: no row goes stale before it.
    async fn next_verdict_change(&self) -> StoreResult<Option<Timestamp>>;
    /// Marks every case row of `project` due for deriving again (its rules changed): the next
    /// read or the scheduler derives them (`crate::verdicts`). Returns how many rows.
    async fn mark_project_due(&self, project: &ProjectId) -> StoreResult<u64>;
}

/// Which evidence blobs have arrived (the bytes live in the blob store).
#[async_trait]
pub trait BlobRowStore: Send + Sync + 'static {
    /// Records that a blob has arrived (idempotent).
    async fn record_blob(
        &self,
        hash: &BlobHash,
        bytes: u64,
        content_type: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Whether a blob has arrived.
    async fn blob_exists(&self, hash: &BlobHash) -> StoreResult<bool>;
    /// The projects whose documents reference a blob (for authorising downloads).
    async fn blob_projects(&self, hash: &BlobHash) -> StoreResult<Vec<ProjectId>>;
}

/// Reminders and escalations as each person received them.
#[async_trait]
pub trait NotificationStore: Send + Sync + 'static {
    /// A person's reminders and escalations, newest first: only `kind`'s when given, only
    /// unread ones when `unread_only`.
    async fn notifications(
        &self,
        user: &UserId,
        kind: Option<ReminderKind>,
        unread_only: bool,
        page: Page,
    ) -> StoreResult<Vec<Notification>>;
    /// How many of a person's notifications are unread.
    async fn unread_notifications(&self, user: &UserId) -> StoreResult<u64>;
    /// Marks a person's notifications read at `at` (`ids`, or all of them when `None`);
    /// another person's ids are left alone. Returns how many changed.
    async fn mark_notifications_read(
        &self,
        user: &UserId,
        ids: Option<Vec<i64>>,
        at: Timestamp,
    ) -> StoreResult<u64>;
    /// Every notification about one case, to every recipient, oldest first (its timeline).
    async fn case_notifications(&self, finding: &FindingId) -> StoreResult<Vec<Notification>>;
}

/// The projects' work-group robots and their message queue.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Sets (or, with `None`, removes) a project's work-group robot. Queued messages go to the
    /// robot set when they are sent; while none is set they wait.
    async fn set_webhook(&self, project: &ProjectId, hook: Option<Webhook>) -> StoreResult<()>;
    /// A project's work-group robot.
    async fn webhook(&self, project: &ProjectId) -> StoreResult<Option<Webhook>>;
    /// Claims up to `limit` queued robot messages whose attempt is due at `now`, for
    /// `lease_ms` (another sender skips them meanwhile), with what the message says.
    async fn claim_webhook_messages(
        &self,
        now: Timestamp,
        limit: usize,
        lease_ms: i64,
    ) -> StoreResult<Vec<WebhookMessage>>;
    /// Records the outcome of one attempt: delivered at `at`, or failed with `error` and tried
    /// again at `retry_at` (`None`: given up).
    async fn webhook_attempted(
        &self,
        id: i64,
        at: Timestamp,
        outcome: Result<(), (String, Option<Timestamp>)>,
    ) -> StoreResult<()>;
    /// A project's latest robot messages, newest first, for the administrator.
    async fn webhook_messages(
        &self,
        project: &ProjectId,
        limit: usize,
    ) -> StoreResult<Vec<WebhookMessage>>;
}

/// Owners' full contacts and who looked at them.
#[async_trait]
pub trait ContactStore: Send + Sync + 'static {
    /// The full contact of a complaint's owner, when one was taken.
    async fn owner_contact(&self, finding: &FindingId) -> StoreResult<Option<OwnerContactRecord>>;
    /// Up to `limit` contacts taken before contacts moved to the server, whose documents still
    /// show them in full, in the order of their findings' ids, after `after` when given.
    async fn unmasked_contacts(
        &self,
        after: Option<&FindingId>,
        limit: usize,
    ) -> StoreResult<Vec<OwnerContactRecord>>;
    /// Notes that the document of `finding` now shows its contact masked.
    async fn contact_masked(&self, finding: &FindingId) -> StoreResult<()>;
    /// Records that people saw owners' full contacts.
    async fn record_contact_views(&self, views: Vec<ContactView>) -> StoreResult<()>;
    /// The looks at owners' contacts in `projects`, newest first.
    async fn contact_views(
        &self,
        projects: &[ProjectId],
        page: Page,
    ) -> StoreResult<Vec<ContactView>>;
}

/// What each device holds as far as the server knows (`crate::positions`): in the database,
/// so that every replica answers a device's summary-only manifest.
#[async_trait]
pub trait PositionStore: Send + Sync + 'static {
    /// The remembered position of `device`: `None` when the server does not know it.
    async fn device_position(&self, device: &DeviceId) -> StoreResult<Option<Position>>;
    /// Remembers that `device` holds exactly `position` (which may be empty).
    async fn replace_device_position(
        &self,
        device: &DeviceId,
        position: &Position,
    ) -> StoreResult<()>;
    /// After an exchange: `device` now holds each document at the digest given. A `None`
    /// digest forgets the whole position (the server cannot tell what the device holds, and a
    /// position missing one document would still match its summary). Nothing changes for a
    /// device whose position is not known.
    async fn update_device_position(
        &self,
        device: &DeviceId,
        moved: &[(DocId, Option<HeadsDigest>)],
    ) -> StoreResult<()>;
}

/// Every document id written, by this server or another on the same database, as each write
/// commits (see [`ChangeFeed::follow`]).
pub type DocFeed = futures::stream::BoxStream<'static, StoreResult<DocId>>;

/// What other server replicas wrote (`crate::change_feed`).
#[async_trait]
pub trait ChangeFeed: Send + Sync + 'static {
    /// From now on, the id of every document any server writes to this database, once its
    /// write committed (this server's own writes included). The feed ends when its connection
    /// does; follow again then, knowing notices may have been missed meanwhile. `None` when
    /// the store has a single writer and so nothing to hear (SQLite: one process holds the
    /// file).
    async fn follow(&self) -> StoreResult<Option<DocFeed>>;
}

/// Background work one server replica does for all (`crate::leases`).
#[async_trait]
pub trait LeaseStore: Send + Sync + 'static {
    /// Takes the lease `name` for `holder` until `until` when it is free at `now` (never
    /// taken, expired, or already `holder`'s, which renews it), atomically: of replicas asking
    /// at once, one gets it. Whether `holder` holds it now.
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool>;
}

/// Which work-group platform a robot is on: each takes its own JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKind {
    /// 企业微信 group robot.
    Wecom,
    /// 钉钉 custom robot.
    Dingtalk,
}

impl WebhookKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookKind::Wecom => "wecom",
            WebhookKind::Dingtalk => "dingtalk",
        }
    }

    /// Parses [`WebhookKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "wecom" => Some(WebhookKind::Wecom),
            "dingtalk" => Some(WebhookKind::Dingtalk),
            _ => None,
        }
    }
}

/// A project's work-group robot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    /// The platform.
    pub kind: WebhookKind,
    /// The robot's address (with its key), `http://` or `https://`.
    pub url: String,
}

/// One queued robot message and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookMessage {
    /// Its number.
    pub id: i64,
    /// The project.
    pub project: ProjectId,
    /// The unit.
    pub unit: UnitId,
    /// The case.
    pub finding: FindingId,
    /// What about.
    pub kind: ReminderKind,
    /// The notice.
    pub notice_no: Option<String>,
    /// The reminder's instant.
    pub due_at: Timestamp,
    /// The case's description.
    pub description: String,
    /// Who was told, by name ("赵敏（经理）"), as the office sees it.
    pub recipients: Vec<String>,
    /// Attempts made.
    pub attempts: u32,
    /// When delivered.
    pub delivered_at: Option<Timestamp>,
    /// When the next attempt is due (`None` once delivered or given up).
    pub next_attempt_at: Option<Timestamp>,
    /// What the last failed attempt said.
    pub last_error: Option<String>,
}

/// One reminder or escalation as one person received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Its number.
    pub id: i64,
    /// The recipient.
    pub user: UserId,
    /// The project.
    pub project: ProjectId,
    /// The unit.
    pub unit: UnitId,
    /// The case.
    pub finding: FindingId,
    /// What it is about.
    pub kind: ReminderKind,
    /// The notice it concerns.
    pub notice_no: Option<String>,
    /// When it became due (the rule's instant).
    pub due_at: Timestamp,
    /// When the server recorded it.
    pub created_at: Timestamp,
    /// When the recipient marked it read.
    pub read_at: Option<Timestamp>,
}

/// Opens the store named by `url` (`sqlite:<path>`, or `postgres://…` / `postgresql://…`);
/// `clock` dates its bookkeeping columns.
pub async fn connect(url: &str, clock: Clock) -> anyhow::Result<Arc<dyn Store>> {
    match url.split_once(':') {
        Some(("sqlite", path)) => Ok(Arc::new(
            sqlite::SqliteStore::open(path.as_ref(), clock).await?,
        )),
        Some(("postgres" | "postgresql", _)) => Ok(Arc::new(
            postgres::PostgresStore::connect(url, clock).await?,
        )),
        _ => anyhow::bail!(
            "database URL `{}` is not understood; use sqlite:<path> or postgres://…",
            redact(url)
        ),
    }
}

/// Refuses a database migrated by a newer server: one of the `applied` migrations is not in
/// `known` (this binary's list). Its schema may have changed under the queries of this version,
/// and applying this version's migrations to it could go wrong; the way out is the newer server.
fn refuse_unknown_migrations(applied: &[String], known: &[(&str, &str)]) -> anyhow::Result<()> {
    match applied
        .iter()
        .find(|a| !known.iter().any(|(name, _)| name == a))
    {
        Some(name) => anyhow::bail!(
            "the database has migration {name} that this server does not know: it was migrated \
             by a newer Plumbline; upgrade the server"
        ),
        None => Ok(()),
    }
}

/// A URL with any password replaced, for logs and errors.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact("sqlite:data/p.db"), "sqlite:data/p.db");
    }

    #[test]
    fn a_migration_from_a_newer_server_is_refused() {
        let known = [("1_first", ""), ("2_second", "")];
        assert!(refuse_unknown_migrations(&[], &known).is_ok());
        assert!(refuse_unknown_migrations(&["1_first".into()], &known).is_ok());
        let err = refuse_unknown_migrations(&["1_first".into(), "3_third".into()], &known)
            .unwrap_err()
            .to_string();
        assert!(err.contains("migration 3_third"), "{err}");
        assert!(err.contains("upgrade the server"), "{err}");
    }
}
