//! What the engine tells the UI: events as things happen, and the outbox on request.

use plumbline_shared::doc::DocId;

use plumbline_shared::ids::{BlobHash, EventId};
use plumbline_shared::time::Timestamp;
use serde::Serialize;

use crate::local_records::{EvidenceOf, SetAside, UploadState};

/// Something the UI may want to show. Sent on a broadcast channel: a slow screen misses old
/// progress events, never the state (ask [`crate::Engine::outbox`] and
/// [`crate::Engine::sync_status`] for that).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A user action is on disk.
    Saved {
        /// The document it changed.
        doc: DocId,
    },
    /// A sync started.
    SyncStarted,
    /// How far the running sync is.
    SyncProgress(SyncProgress),
    /// A sync finished; what is still unsynced is in the outbox.
    SyncFinished {
        /// Documents whose changes the server now holds.
        docs_acked: usize,
        /// Photos the server confirmed in this sync.
        photos_sent: usize,
    },
    /// A sync stopped early; it is tried again later by itself.
    SyncFailed {
        /// Why, in words for the user.
        reason: String,
    },
    /// The server no longer accepts this device (revoked, or signed out elsewhere). Nothing
    /// local is deleted; enrolling again resumes syncing.
    SignedOut {
        /// The server's words.
        reason: String,
    },
    /// Changes to a document were refused by the server; they stay on the device.
    Refused {
        /// The document.
        doc: DocId,
        /// The server's reason.
        reason: String,
    },
}

/// Counts of a running sync, for a progress bar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    /// Documents exchanged so far.
    pub docs_done: usize,
    /// Documents that differ.
    pub docs_total: usize,
    /// Photos finished in this sync.
    pub photos_done: usize,
    /// Photos to upload in this sync.
    pub photos_total: usize,
    /// Photo bytes sent in this sync.
    pub bytes_sent: u64,
    /// Photo bytes to send in this sync.
    pub bytes_total: u64,
}

/// What the device holds that the server has not confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Outbox {
    /// Documents with changes of this device the server has not acknowledged.
    pub records: Vec<PendingRecord>,
    /// Photos not yet confirmed (and failed ones), oldest first.
    pub photos: Vec<PendingPhoto>,
    /// A contractor's answers not yet stored by the server (and refused ones), oldest first.
    pub actions: Vec<PendingAction>,
    /// Work the server refused, set aside so its unit syncs on (see [`crate::set_aside`]),
    /// newest first. It never reaches the server; it stays here to be read and exported.
    pub set_aside: Vec<SetAside>,
}

/// A contractor's answer on its way (see `crate::contractor`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingAction {
    /// Its event id.
    pub event: EventId,
    /// When the foreman gave it.
    pub since: Timestamp,
    /// Why the server refused it, when it did.
    pub refused: Option<String>,
}

impl Outbox {
    /// Whether everything is on the server.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
            && self.photos.is_empty()
            && self.actions.is_empty()
            && self.set_aside.is_empty()
    }
}

/// A document with unsynced changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingRecord {
    /// The document.
    pub doc: DocId,
    /// This device's changes the server has not acknowledged.
    pub changes: usize,
    /// Why the server refused them, when it did.
    pub refused: Option<String>,
}

/// A photo on its way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingPhoto {
    /// The photo (or signature).
    pub hash: BlobHash,
    /// What it belongs to.
    pub of: EvidenceOf,
    /// Where it stands.
    pub state: UploadState,
    /// Percent uploaded.
    pub percent: u8,
    /// The last failure, in words.
    pub error: Option<String>,
    /// When it was taken into the outbox.
    pub since: Timestamp,
}

/// The sync side of the engine, for the sync screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// Enrolled with a server.
    pub enrolled: bool,
    /// The server no longer accepts this device.
    pub signed_out: bool,
    /// A sync is running.
    pub running: bool,
    /// The last sync that finished.
    pub last_success: Option<Timestamp>,
    /// The last failure, in words, when the last sync failed.
    pub last_error: Option<String>,
    /// The last failure was the network or a passing server fault (it retries by itself, and
    /// the work is safe), as opposed to a refusal that needs a person.
    pub last_error_transient: bool,
}
