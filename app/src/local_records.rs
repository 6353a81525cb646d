//! The records this device keeps about its own work, as the local store writes them and the
//! screens read them: what a blob on its way belongs to, how far its upload got, and the work
//! the server refused and the device set aside.
//!
//! Types only, apart from the store (`crate::local_store`) and the engine's operations on them
//! (`crate::set_aside`, `crate::uploads`), which all depend on these and on nothing of each
//! other's for them.

use std::fmt;
use std::str::FromStr;

use plumbline_shared::doc::DocId;
use plumbline_shared::ids::{FindingId, IdError, WalkId};
use plumbline_shared::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What a blob on its way belongs to: a finding's photo, or the owner's signature of a signed
/// walk ([`plumbline_shared::doc::walk`]). Stored as text: the finding's id, or `walk:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceOf {
    /// A photo of this finding.
    Finding(FindingId),
    /// The signature of this walk.
    Walk(WalkId),
}

impl fmt::Display for EvidenceOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvidenceOf::Finding(id) => write!(f, "{id}"),
            EvidenceOf::Walk(id) => write!(f, "walk:{id}"),
        }
    }
}

impl FromStr for EvidenceOf {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("walk:") {
            Some(walk) => WalkId::new(walk).map(EvidenceOf::Walk),
            None => FindingId::new(s).map(EvidenceOf::Finding),
        }
    }
}

/// Where an evidence upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Waiting for a sync.
    Queued,
    /// Part of it is on the server.
    Uploading,
    /// The server confirmed the hash: stored.
    Sent,
    /// The server refused it; retrying will not help (the reason is kept).
    Failed,
}

impl UploadState {
    /// As the database spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Queued => "queued",
            UploadState::Uploading => "uploading",
            UploadState::Sent => "sent",
            UploadState::Failed => "failed",
        }
    }

    /// From the database's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => UploadState::Queued,
            "uploading" => UploadState::Uploading,
            "sent" => UploadState::Sent,
            "failed" => UploadState::Failed,
            _ => return None,
        })
    }
}

/// What a set-aside batch did, one line per finding (or per round) it touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAsideWork {
    /// What kind of work.
    pub kind: WorkKind,
    /// The finding, when the work was on one.
    pub finding: Option<FindingId>,
    /// The finding's description as this device had it.
    pub description: String,
}

/// The kinds of work a batch may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// A finding recorded here.
    NewFinding,
    /// A finding changed here: its fields, photos or timeline.
    ChangedFinding,
    /// Inspection rounds (a room's checks, a round's end).
    Rounds,
    /// Anything else in the document.
    Other,
}

/// One refused batch, as the sync screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetAside {
    /// Its number on this device (for the export).
    pub id: i64,
    /// The document it was for.
    pub doc: DocId,
    /// The server's reason.
    pub reason: String,
    /// When it was set aside, by the device's clock.
    pub at: Timestamp,
    /// What it did.
    pub work: Vec<SetAsideWork>,
    /// How many automerge changes it holds.
    pub changes: usize,
}
