//! The automerge documents: the source of truth on every device and on the server.
//!
//! - [`unit::UnitDoc`]: one per apartment unit — its inspection rounds with their checklist
//!   results, and its findings, each with its evidence references and its append-only event
//!   timeline. Small (tens of KB) and the unit of sync and of conflict.
//! - [`project::ProjectDoc`]: one per project — buildings, units, contractors, template.
//!
//! Shape of a unit document (root map):
//!
//! ```text
//! schema: "plumbline/unit"   schema_version: 1   project: "licheng"   unit: "licheng-b1-1201"
//! rounds:   { <round id>: { id, kind, number, started_at, started_by, results: { <item id>: {…} } } }
//! findings: { <finding id>: { id, origin, round, room, item, category, severity, description,
//!                             created_by, created_at,
//!                             evidence: { <blob hash>: {…} },
//!                             events:   [ {id, kind, actor, at}, … ],      append-only
//!                             receipts: { <event id>: {received_at, skew_ms} },
//!                             owner: {name, phone} } }               optional, sealed
//! editors:  { <device id>: <user id> }
//! walk:<walk id>: {id, snapshot, snapshot_hash, signature, signed_by}   sealed, written once
//! ```
//!
//! Why this shape:
//! - Findings and evidence are maps keyed by random ids and hashes, so two inspectors adding
//!   findings or photos offline never collide.
//! - The timeline is a list of immutable events; nothing derived (status, deadlines) is stored.
//! - `category`, `severity` and `description` are plain last-writer-wins registers; when two
//!   people change one concurrently automerge keeps both, and [`conflict`] reports them.
//! - Every device writes with its [`DeviceId`] as the automerge actor id, so each value in a
//!   conflict names the device that wrote it, and `editors` names the person behind it.
//! - Signed walks ([`walk`]) are root keys of their own (`walk:<id>`), not entries of a
//!   `walks` map: documents written before walks existed have no such map, and two phones
//!   creating it concurrently would make two maps of which automerge shows one, hiding the
//!   other's signature. A key per walk needs no container and never collides.
//! - The first change of every document is deterministic (fixed actor, fixed time), so two
//!   replicas that create the same unit's document independently produce the *same* change and
//!   never get two competing `findings` maps. (Two independently created root maps would
//!   conflict, and one side's findings would vanish behind the other's.)
//!
//! Writes are small typed operations (record a finding, edit a field, attach evidence, append
//! an event) that touch only what they change: reconciling a whole document after a one-field
//! edit costs a hundred times more.

pub mod bounds;
pub mod chunk;
pub mod conflict;
pub mod evidence;
pub mod finding;
mod in_our_words;
pub mod project;
pub mod round;
mod sealed;
pub mod unit;
pub mod walk;

use std::fmt;
use std::str::FromStr;

use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit};
use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, IdError, ProjectId, UnitId};
use crate::time::Timestamp;

/// Names a document: `project:<id>` or `unit:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DocId {
    /// A project document.
    Project(ProjectId),
    /// A unit document.
    Unit(UnitId),
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocId::Project(id) => write!(f, "project:{id}"),
            DocId::Unit(id) => write!(f, "unit:{id}"),
        }
    }
}

impl FromStr for DocId {
    type Err = DocError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |e: IdError| DocError::BadDocId {
            value: s.to_owned(),
            why: e.to_string(),
        };
        match s.split_once(':') {
            Some(("project", id)) => Ok(DocId::Project(ProjectId::new(id).map_err(bad)?)),
            Some(("unit", id)) => Ok(DocId::Unit(UnitId::new(id).map_err(bad)?)),
            _ => Err(DocError::BadDocId {
                value: s.chars().take(80).collect(),
                why: "expected `project:<id>` or `unit:<id>`".into(),
            }),
        }
    }
}

impl TryFrom<String> for DocId {
    type Error = DocError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DocId> for String {
    fn from(id: DocId) -> String {
        id.to_string()
    }
}

/// What went wrong with a document or an operation on it.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bytes are not an automerge document, or automerge refused an operation.
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The document does not fit Plumbline's schema.
    #[error("{doc} does not fit the schema: {what}")]
    Schema {
        /// Which document (`unit document`, `project document`).
        doc: &'static str,
        /// What is wrong, with the path to it.
        what: String,
    },
    /// A document id that does not parse.
    #[error("document id `{value}` is not valid: {why}")]
    BadDocId {
        /// The value given.
        value: String,
        /// Why it is refused.
        why: String,
    },
    /// An operation named a finding the document does not hold.
    #[error("finding `{0}` is not in this unit document")]
    NoSuchFinding(String),
    /// An operation named a round the document does not hold.
    #[error("inspection round `{0}` is not in this unit document")]
    NoSuchRound(String),
    /// An operation's input is not acceptable (too long, empty, over a limit).
    #[error("{0}")]
    Invalid(String),
}

/// The automerge actor id a device writes with: the device id's bytes, so a change (and every
/// value in a conflict) names the device that made it.
pub fn actor_for(device: &DeviceId) -> ActorId {
    ActorId::from(device.as_str().as_bytes())
}

/// The device that wrote with `actor`, when the actor is one of ours.
pub fn device_of(actor: &ActorId) -> Option<DeviceId> {
    std::str::from_utf8(actor.to_bytes())
        .ok()
        .and_then(|s| DeviceId::new(s).ok())
}

/// Starts a document with a deterministic first change: the same `seed` gives byte-identical
/// changes on every replica, so independently created copies merge without conflict.
fn deterministic_doc(
    seed: &str,
    init: impl FnOnce(&mut AutoCommit) -> Result<(), DocError>,
) -> Result<AutoCommit, DocError> {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(format!("init:{seed}").as_bytes()));
    init(&mut doc)?;
    doc.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

/// Commits the pending operations as one change, dated by the caller's clock (automerge's
/// change time is advisory; using the caller's keeps `shared` free of clock reads).
fn commit(doc: &mut AutoCommit, at: Timestamp, message: &str) {
    doc.commit_with(
        CommitOptions::default()
            .with_time(at.millis() / 1000)
            .with_message(message),
    );
}

/// Longest description of a finding, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// Longest free text of an event (reason, note, reply), in characters.
pub const MAX_EVENT_TEXT_CHARS: usize = 1_000;
/// Most events on one finding's timeline.
pub const MAX_EVENTS_PER_FINDING: usize = 500;
/// Most evidence references on one finding.
pub const MAX_EVIDENCE_PER_FINDING: usize = 60;
/// Most findings in one unit document.
pub const MAX_FINDINGS_PER_UNIT: usize = 2_000;

fn check_text(what: &str, text: &str, max: usize) -> Result<(), DocError> {
    bounds::check_text(what, text, max).map_err(|e| DocError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_ids_roundtrip_and_refuse_garbage() {
        let id: DocId = "unit:licheng-b1-1201".parse().unwrap();
        assert_eq!(id.to_string(), "unit:licheng-b1-1201");
        assert!("room:x".parse::<DocId>().is_err());
        assert!(
            "unit:a b"
                .parse::<DocId>()
                .unwrap_err()
                .to_string()
                .contains("`unit:a b`")
        );
    }

    #[test]
    fn actor_ids_name_their_device() {
        let d = DeviceId::new("phone-7").unwrap();
        assert_eq!(device_of(&actor_for(&d)), Some(d));
    }
}
