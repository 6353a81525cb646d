//! The server's half of a manifest: which documents differ between a device and the server.
//!
//! A device sends the digest of everything it holds ([`HeadsDigest::of_manifest`]), and its
//! list of documents only when asked. The server answers from, in order: the summary (equal
//! to its own: in sync), the list (the device's own word), or the position it remembers for
//! the device, when the summary is the digest of that position. Otherwise it asks for the list.
//! Remembering positions is the driver's (they live in the server's database).

use std::collections::BTreeMap;

use crate::api::{HeadsDigest, ManifestRequest};
use crate::doc::DocId;

/// What a device holds, as far as the server knows: per document, the digest of its heads.
pub type Position = BTreeMap<DocId, HeadsDigest>;

/// How to answer a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// The device holds exactly what the server holds: answer "in sync" and remember the
    /// server's documents as its position.
    InSync,
    /// The device listed what it holds: remember that as its position and compare with it.
    Listed(Position),
    /// Only a summary that differs: compare with the remembered position whose digest is the
    /// summary, or ask for the list when there is none.
    LookUp(HeadsDigest),
}

/// Reads a device's manifest against `server`, the digest of what the server holds that the
/// device may read.
pub fn read(request: ManifestRequest, server: &HeadsDigest) -> Reading {
    if request.summary == *server {
        return Reading::InSync;
    }
    match request.entries {
        Some(entries) => Reading::Listed(entries.into_iter().map(|e| (e.doc, e.heads)).collect()),
        None => Reading::LookUp(request.summary),
    }
}

/// Whether a remembered position is what a device holds: its digest is the device's summary.
pub fn position_matches(position: &Position, summary: &HeadsDigest) -> bool {
    HeadsDigest::of_manifest(position) == *summary
}

/// The documents that need an exchange.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Differences {
    /// Held by both at different heads.
    pub changed: Vec<DocId>,
    /// Held by the server only.
    pub new_on_server: Vec<DocId>,
}

impl Differences {
    /// Every document named, changed first.
    pub fn docs(&self) -> impl Iterator<Item = &DocId> {
        self.changed.iter().chain(&self.new_on_server)
    }
}

/// Compares what the server holds (`server`, in its order) with what the device holds.
pub fn differences<'a>(
    server: impl IntoIterator<Item = (&'a DocId, &'a HeadsDigest)>,
    device: &Position,
) -> Differences {
    let mut out = Differences::default();
    for (doc, heads) in server {
        match device.get(doc) {
            Some(d) if d == heads => {}
            Some(_) => out.changed.push(doc.clone()),
            None => out.new_on_server.push(doc.clone()),
        }
    }
    out
}
