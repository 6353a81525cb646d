//! The device's own database: documents, evidence and its upload state, sync state, settings.
//!
//! One SQLite file in WAL mode with `synchronous = FULL`: a commit is on disk before the engine
//! tells the user "saved", so a crash (or the battery dying) at any moment loses nothing the
//! user saw saved. Every user action is one transaction: the automerge changes it made and,
//! for a photo, the evidence row that puts it in the outbox.
//!
//! Documents are stored the way the server stores them: a snapshot plus the incremental saves
//! made since, so that an action writes a few hundred bytes, not the whole unit. [`LocalStore::
//! compact`] folds them when they pile up.

use std::path::Path;

use automerge::{AutoCommit, ChangeHash};
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::{BlobHash, EventId};
use plumbline_shared::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use crate::local_records::{EvidenceOf, SetAside, SetAsideWork, UploadState};

/// Why the local store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("the local database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value does not read back.
    #[error("the local database holds a damaged {what}: {detail}")]
    Damaged {
        /// What was being read.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

/// A result of the local store.
pub type StoreResult<T> = Result<T, StoreError>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS docs (
    doc_id      TEXT PRIMARY KEY,
    snapshot    BLOB,
    acked_heads BLOB NOT NULL DEFAULT x'',
    sync_state  BLOB,
    refused     TEXT
);
CREATE TABLE IF NOT EXISTS doc_changes (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    bytes  BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS doc_changes_doc ON doc_changes(doc_id, seq);
CREATE TABLE IF NOT EXISTS evidence (
    hash         TEXT PRIMARY KEY,
    doc_id       TEXT NOT NULL,
    finding_id   TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    state        TEXT NOT NULL,
    sent_bytes   INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER,
    file_deleted INTEGER NOT NULL DEFAULT 0
);
";

/// Schema changes after [`SCHEMA`], in order; `PRAGMA user_version` counts those applied. A
/// phone updated in the field keeps its database: each step runs once, in one transaction.
const MIGRATIONS: &[&str] = &[
    // A photo's thumbnail is uploaded as its own blob, before the photo (see `crate::uploads`).
    "ALTER TABLE evidence ADD COLUMN thumb_hash TEXT;
     ALTER TABLE evidence ADD COLUMN thumb_bytes INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE evidence ADD COLUMN thumb_state TEXT;",
    // Documents edited here since the server last acknowledged holding exactly what this
    // device holds: a sync pushes them before asking for the manifest (see `crate::sync_run`).
    "ALTER TABLE docs ADD COLUMN unsent INTEGER NOT NULL DEFAULT 0;",
    // A contractor's actions wait here until the server stored them (see `crate::contractor`):
    // the request as JSON, sent again with the same event id until it is answered.
    "CREATE TABLE contractor_actions (
        event_id   TEXT PRIMARY KEY,
        body       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        refused    TEXT
     );",
    // Work the server refused, set aside so the document goes on syncing (see
    // `crate::set_aside`): the raw changes, what they did, and the server's reason.
    "CREATE TABLE set_aside (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id   TEXT NOT NULL,
        reason   TEXT NOT NULL,
        at       INTEGER NOT NULL,
        work     TEXT NOT NULL,
        change_count INTEGER NOT NULL
     );
     CREATE TABLE set_aside_changes (
        set_aside INTEGER NOT NULL REFERENCES set_aside(id),
        seq       INTEGER NOT NULL,
        bytes     BLOB NOT NULL,
        PRIMARY KEY (set_aside, seq)
     );",
];

/// One photo in the outbox (or already sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRow {
    /// The photo's hash: its name here and on the server.
    pub hash: BlobHash,
    /// The unit document that references it.
    pub doc: DocId,
    /// What it belongs to.
    pub of: EvidenceOf,
    /// Its size.
    pub bytes: u64,
    /// Where its upload stands.
    pub state: UploadState,
    /// Bytes the server is known to hold.
    pub sent_bytes: u64,
    /// The last failure, in words.
    pub error: Option<String>,
    /// Upload attempts so far.
    pub attempts: u32,
    /// When it was captured into the outbox.
    pub created_at: Timestamp,
    /// When the server confirmed it.
    pub confirmed_at: Option<Timestamp>,
    /// Whether the full-size file was deleted (after confirmation, under the retention rule).
    pub file_deleted: bool,
    /// The thumbnail's upload, when the photo has one.
    pub thumbnail: Option<ThumbnailUpload>,
}

/// The upload of a photo's thumbnail: small, sent in one request before any full-size photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbnailUpload {
    /// The thumbnail's hash.
    pub hash: BlobHash,
    /// Its size.
    pub bytes: u64,
    /// Queued, sent or failed (never "uploading": it is one request).
    pub state: UploadState,
}

/// A document as stored: snapshot plus incremental saves.
#[derive(Debug, Default)]
pub struct StoredDoc {
    /// A full save, when one was made.
    pub snapshot: Option<Vec<u8>>,
    /// Incremental saves since, in order.
    pub changes: Vec<Vec<u8>>,
    /// What the server acknowledged holding.
    pub acked_heads: Vec<ChangeHash>,
    /// The persisted automerge sync state.
    pub sync_state: Option<Vec<u8>>,
    /// Why the server last refused this document's changes.
    pub refused: Option<String>,
}

impl StoredDoc {
    /// Rebuilds the automerge document.
    pub fn assemble(&self) -> Result<AutoCommit, automerge::AutomergeError> {
        let mut doc = match &self.snapshot {
            Some(bytes) => AutoCommit::load(bytes)?,
            None => AutoCommit::new(),
        };
        for change in &self.changes {
            doc.load_incremental(change)?;
        }
        Ok(doc)
    }
}

/// The device's SQLite database. See the module docs.
#[derive(Debug)]
pub struct LocalStore {
    conn: Connection,
}

fn heads_to_bytes(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

fn heads_from_bytes(bytes: &[u8]) -> StoreResult<Vec<ChangeHash>> {
    if !bytes.len().is_multiple_of(32) {
        return Err(StoreError::Damaged {
            what: "list of heads",
            detail: format!("{} bytes is not a multiple of 32", bytes.len()),
        });
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            ChangeHash(h)
        })
        .collect())
}

fn parse<T: std::str::FromStr>(what: &'static str, s: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| StoreError::Damaged {
        what,
        detail: format!("`{s}`: {e}"),
    })
}

/// One write of an action: changes to documents and evidence rows, committed together.
#[derive(Debug, Default)]
pub struct ActionWrite {
    /// Incremental saves, per document.
    pub changes: Vec<(DocId, Vec<u8>)>,
    /// New photos for the outbox.
    pub evidence: Vec<EvidenceRow>,
    /// A contractor's action for the server.
    pub request: Option<QueuedAction>,
}

/// A contractor's action waiting for the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedAction {
    /// Its event id (the retry key).
    pub event: EventId,
    /// The request, as JSON.
    pub body: String,
    /// When it was queued.
    pub created_at: Timestamp,
    /// Why the server refused it, when it did.
    pub refused: Option<String>,
}

impl LocalStore {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let conn = Connection::open(path)?;
        // FULL: in WAL mode, NORMAL may lose the last commits on power loss; the user was told
        // "saved" after each of them, so every commit is synced.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )?;
        conn.execute_batch(SCHEMA)?;
        let mut store = Self { conn };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> StoreResult<()> {
        let applied: usize = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?
            .try_into()
            .unwrap_or(0);
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// A setting, when set.
    pub fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets several settings in one transaction.
    pub fn set_settings(&mut self, values: &[(&str, &str)]) -> StoreResult<()> {
        let tx = self.conn.transaction()?;
        for (k, v) in values {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![k, v],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes every record, photo row and account setting in one transaction, keeping only
    /// the settings whose key starts with `keep_prefix` (the person's preferences): what
    /// signing out leaves behind.
    pub fn wipe(&mut self, keep_prefix: &str) -> StoreResult<()> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "DELETE FROM doc_changes; DELETE FROM docs; DELETE FROM evidence;
             DELETE FROM contractor_actions;",
        )?;
        tx.execute(
            "DELETE FROM settings WHERE substr(key, 1, length(?1)) <> ?1",
            [keep_prefix],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Documents edited here that the server has not acknowledged whole yet, and whose last
    /// push was not refused.
    pub fn unsent_docs(&self) -> StoreResult<Vec<DocId>> {
        let mut stmt = self.conn.prepare(
            "SELECT doc_id FROM docs WHERE unsent = 1 AND refused IS NULL ORDER BY doc_id",
        )?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|s| parse("document id", s)).collect()
    }

    /// The server acknowledged holding exactly what this device holds of `doc`.
    pub fn mark_sent(&mut self, doc: &DocId) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE docs SET unsent = 0 WHERE doc_id = ?1",
            [doc.to_string()],
        )?;
        Ok(())
    }

    /// Every stored document id.
    pub fn doc_ids(&self) -> StoreResult<Vec<DocId>> {
        let mut stmt = self
            .conn
            .prepare("SELECT doc_id FROM docs ORDER BY doc_id")?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|s| parse("document id", s)).collect()
    }

    /// A stored document.
    pub fn load_doc(&self, doc: &DocId) -> StoreResult<Option<StoredDoc>> {
        let id = doc.to_string();
        let row = self
            .conn
            .query_row(
                "SELECT snapshot, acked_heads, sync_state, refused FROM docs WHERE doc_id = ?1",
                [&id],
                |r| {
                    Ok((
                        r.get::<_, Option<Vec<u8>>>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Option<Vec<u8>>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((snapshot, acked, sync_state, refused)) = row else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM doc_changes WHERE doc_id = ?1 ORDER BY seq")?;
        let changes = stmt
            .query_map([&id], |r| r.get::<_, Vec<u8>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(StoredDoc {
            snapshot,
            changes,
            acked_heads: heads_from_bytes(&acked)?,
            sync_state,
            refused,
        }))
    }

    /// What is known about a document's sync, without reading its content: the acknowledged
    /// heads, the persisted sync state and the last refusal. `None` for an unknown document.
    pub fn sync_info(&self, doc: &DocId) -> StoreResult<Option<StoredDoc>> {
        let row = self
            .conn
            .query_row(
                "SELECT acked_heads, sync_state, refused FROM docs WHERE doc_id = ?1",
                [doc.to_string()],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Option<Vec<u8>>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(acked, sync_state, refused)| {
            Ok(StoredDoc {
                snapshot: None,
                changes: Vec::new(),
                acked_heads: heads_from_bytes(&acked)?,
                sync_state,
                refused,
            })
        })
        .transpose()
    }

    /// Commits one action: its document changes and new evidence rows, all or nothing.
    pub fn commit_action(&mut self, write: &ActionWrite) -> StoreResult<()> {
        let tx = self.conn.transaction()?;
        for (doc, bytes) in &write.changes {
            if bytes.is_empty() {
                continue;
            }
            let id = doc.to_string();
            tx.execute("INSERT OR IGNORE INTO docs (doc_id) VALUES (?1)", [&id])?;
            tx.execute("UPDATE docs SET unsent = 1 WHERE doc_id = ?1", [&id])?;
            tx.execute(
                "INSERT INTO doc_changes (doc_id, bytes) VALUES (?1, ?2)",
                params![id, bytes],
            )?;
        }
        for e in &write.evidence {
            tx.execute(
                "INSERT OR IGNORE INTO evidence
                    (hash, doc_id, finding_id, bytes, state, created_at, thumb_hash, thumb_bytes, thumb_state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    e.hash.as_str(),
                    e.doc.to_string(),
                    e.of.to_string(),
                    e.bytes as i64,
                    e.state.as_str(),
                    e.created_at.0,
                    e.thumbnail.as_ref().map(|t| t.hash.as_str()),
                    e.thumbnail.as_ref().map_or(0, |t| t.bytes as i64),
                    e.thumbnail.as_ref().map(|t| t.state.as_str()),
                ],
            )?;
        }
        if let Some(action) = &write.request {
            tx.execute(
                "INSERT INTO contractor_actions (event_id, body, created_at) VALUES (?1, ?2, ?3)",
                params![action.event.as_str(), action.body, action.created_at.0],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Keeps a refused batch of `doc` (its `changes`, what they did, the server's `reason`)
    /// and puts the document back to `base`, the state the server acknowledged: one
    /// transaction, so the work is either set aside and the document clean, or neither.
    pub fn set_aside(
        &mut self,
        doc: &DocId,
        reason: &str,
        at: Timestamp,
        work: &[SetAsideWork],
        changes: &[Vec<u8>],
        base: &[u8],
    ) -> StoreResult<i64> {
        let id = doc.to_string();
        let work = serde_json::to_string(work).map_err(|e| StoreError::Damaged {
            what: "set-aside work",
            detail: e.to_string(),
        })?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO set_aside (doc_id, reason, at, work, change_count) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, reason, at.0, work, changes.len() as i64],
        )?;
        let batch = tx.last_insert_rowid();
        for (seq, bytes) in changes.iter().enumerate() {
            tx.execute(
                "INSERT INTO set_aside_changes (set_aside, seq, bytes) VALUES (?1, ?2, ?3)",
                params![batch, seq as i64, bytes],
            )?;
        }
        tx.execute(
            "UPDATE docs SET snapshot = ?2, sync_state = NULL, refused = NULL, unsent = 0
             WHERE doc_id = ?1",
            params![id, base],
        )?;
        tx.execute("DELETE FROM doc_changes WHERE doc_id = ?1", [&id])?;
        tx.commit()?;
        Ok(batch)
    }

    /// Every set-aside batch, newest first (without its changes' bytes: see
    /// [`Self::set_aside_changes`]).
    pub fn set_aside_rows(&self) -> StoreResult<Vec<SetAside>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, doc_id, reason, at, work, change_count FROM set_aside ORDER BY id DESC",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, doc, reason, at, work, count)| {
                let work = serde_json::from_str(&work).map_err(|e| StoreError::Damaged {
                    what: "set-aside work",
                    detail: e.to_string(),
                })?;
                Ok(SetAside {
                    id,
                    doc: parse("document id", &doc)?,
                    reason,
                    at: Timestamp(at),
                    work,
                    changes: usize::try_from(count).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The changes' bytes of set-aside batch `id`, in the document's order.
    pub fn set_aside_changes(&self, id: i64) -> StoreResult<Vec<Vec<u8>>> {
        let mut stmt = self
            .conn
            .prepare("SELECT bytes FROM set_aside_changes WHERE set_aside = ?1 ORDER BY seq")?;
        let bytes = stmt
            .query_map([id], |r| r.get::<_, Vec<u8>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(bytes)
    }

    /// A contractor's actions not yet stored by the server, oldest first (refused ones too).
    pub fn queued_actions(&self) -> StoreResult<Vec<QueuedAction>> {
        let mut stmt = self.conn.prepare(
            "SELECT event_id, body, created_at, refused FROM contractor_actions
             ORDER BY created_at, event_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(event, body, at, refused)| {
                Ok(QueuedAction {
                    event: event.parse().map_err(|e| StoreError::Damaged {
                        what: "queued action",
                        detail: format!("event id `{event}`: {e}"),
                    })?,
                    body,
                    created_at: Timestamp(at),
                    refused,
                })
            })
            .collect()
    }

    /// Forgets an action the server stored.
    pub fn finish_action(&mut self, event: &EventId) -> StoreResult<()> {
        self.conn.execute(
            "DELETE FROM contractor_actions WHERE event_id = ?1",
            [event.as_str()],
        )?;
        Ok(())
    }

    /// Keeps the server's reason for refusing an action; it is not sent again.
    pub fn refuse_action(&mut self, event: &EventId, reason: &str) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE contractor_actions SET refused = ?2 WHERE event_id = ?1",
            params![event.as_str(), reason],
        )?;
        Ok(())
    }

    /// Commits what one sync exchange did to a document: the changes received (an incremental
    /// save), the sync state to resume from, and the acknowledged heads when the server sent
    /// them. One transaction, so that a crash never leaves a state that claims changes the
    /// document does not hold.
    pub fn commit_sync(
        &mut self,
        doc: &DocId,
        changes: &[u8],
        sync_state: &[u8],
        acked_heads: Option<&[ChangeHash]>,
        refused: Option<&str>,
    ) -> StoreResult<()> {
        let id = doc.to_string();
        let tx = self.conn.transaction()?;
        tx.execute("INSERT OR IGNORE INTO docs (doc_id) VALUES (?1)", [&id])?;
        if !changes.is_empty() {
            tx.execute(
                "INSERT INTO doc_changes (doc_id, bytes) VALUES (?1, ?2)",
                params![id, changes],
            )?;
        }
        tx.execute(
            "UPDATE docs SET sync_state = ?2, refused = ?3 WHERE doc_id = ?1",
            params![id, sync_state, refused],
        )?;
        if let Some(heads) = acked_heads {
            tx.execute(
                "UPDATE docs SET acked_heads = ?2 WHERE doc_id = ?1",
                params![id, heads_to_bytes(heads)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces a document's snapshot and incremental saves by one full save.
    pub fn compact(&mut self, doc: &DocId, snapshot: &[u8]) -> StoreResult<()> {
        let id = doc.to_string();
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE docs SET snapshot = ?2 WHERE doc_id = ?1",
            params![id, snapshot],
        )?;
        tx.execute("DELETE FROM doc_changes WHERE doc_id = ?1", [&id])?;
        tx.commit()?;
        Ok(())
    }

    /// Every evidence row, oldest first.
    pub fn evidence(&self) -> StoreResult<Vec<EvidenceRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT hash, doc_id, finding_id, bytes, state, sent_bytes, error, attempts,
                    created_at, confirmed_at, file_deleted, thumb_hash, thumb_bytes, thumb_state
             FROM evidence ORDER BY created_at, hash",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, i64>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                    r.get::<_, bool>(10)?,
                    (
                        r.get::<_, Option<String>>(11)?,
                        r.get::<_, i64>(12)?,
                        r.get::<_, Option<String>>(13)?,
                    ),
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(
                |(
                    hash,
                    doc,
                    finding,
                    bytes,
                    state,
                    sent,
                    error,
                    attempts,
                    created,
                    confirmed,
                    deleted,
                    (thumb_hash, thumb_bytes, thumb_state),
                )| {
                    let thumbnail = match (thumb_hash, thumb_state) {
                        (Some(hash), Some(state)) => Some(ThumbnailUpload {
                            hash: parse("thumbnail hash", &hash)?,
                            bytes: thumb_bytes.max(0) as u64,
                            state: parse_upload_state(&state)?,
                        }),
                        _ => None,
                    };
                    Ok(EvidenceRow {
                        hash: parse("photo hash", &hash)?,
                        doc: parse("document id", &doc)?,
                        of: parse("finding id", &finding)?,
                        bytes: bytes.max(0) as u64,
                        state: parse_upload_state(&state)?,
                        sent_bytes: sent.max(0) as u64,
                        error,
                        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                        created_at: Timestamp(created),
                        confirmed_at: confirmed.map(Timestamp),
                        file_deleted: deleted,
                        thumbnail,
                    })
                },
            )
            .collect()
    }

    /// Records an upload's progress or outcome.
    pub fn set_upload(
        &mut self,
        hash: &BlobHash,
        state: UploadState,
        sent_bytes: u64,
        error: Option<&str>,
        confirmed_at: Option<Timestamp>,
    ) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE evidence SET state = ?2, sent_bytes = ?3, error = ?4,
                    confirmed_at = COALESCE(confirmed_at, ?5)
             WHERE hash = ?1",
            params![
                hash.as_str(),
                state.as_str(),
                sent_bytes as i64,
                error,
                confirmed_at.map(|t| t.0)
            ],
        )?;
        Ok(())
    }

    /// Records a thumbnail's upload outcome (keyed by its photo's hash).
    pub fn set_thumbnail_upload(
        &mut self,
        photo: &BlobHash,
        state: UploadState,
    ) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE evidence SET thumb_state = ?2 WHERE hash = ?1 AND thumb_hash IS NOT NULL",
            params![photo.as_str(), state.as_str()],
        )?;
        Ok(())
    }

    /// Counts one more upload attempt.
    pub fn count_attempt(&mut self, hash: &BlobHash) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE evidence SET attempts = attempts + 1 WHERE hash = ?1",
            [hash.as_str()],
        )?;
        Ok(())
    }

    /// Marks a photo's full-size file deleted (it stays on the server).
    pub fn mark_file_deleted(&mut self, hash: &BlobHash) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE evidence SET file_deleted = 1 WHERE hash = ?1 AND state = 'sent'",
            [hash.as_str()],
        )?;
        Ok(())
    }
}

/// An upload state as the database spells it.
fn parse_upload_state(s: &str) -> StoreResult<UploadState> {
    UploadState::parse(s).ok_or_else(|| StoreError::Damaged {
        what: "upload state",
        detail: s.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A database written before the first migration (as on a phone updated in the field)
    /// opens, keeps its rows, and gains the new columns; opening it again changes nothing.
    #[test]
    fn an_old_database_is_migrated_once_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.sqlite");
        let hash = BlobHash::of(b"photo");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(SCHEMA).unwrap();
            old.execute(
                "INSERT INTO evidence (hash, doc_id, finding_id, bytes, state, created_at)
                 VALUES (?1, 'unit:licheng-b1-101', 'f-1', 5, 'queued', 1)",
                [hash.as_str()],
            )
            .unwrap();
        }
        for _ in 0..2 {
            let store = LocalStore::open(&path).unwrap();
            let rows = store.evidence().unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].hash, hash);
            assert_eq!(rows[0].thumbnail, None);
            let version: i64 = store
                .conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, MIGRATIONS.len() as i64);
        }
    }
}
