//! Work the server refused, set aside so that the unit goes on syncing.
//!
//! The server refuses a document's changes as one batch (a finding off the checklist, an edit
//! the person's role may not make, a change a forged client wrote). Left in the document, the
//! refused changes would block the unit for good: every later change of this device depends on
//! them, so every later push carries them and is refused again. Instead the engine sets them
//! aside: the raw changes and what they did, in words, are kept in the local database with the
//! server's reason (shown on the sync screen, exportable as a file for the office), and the
//! document continues from the state the server last acknowledged. New work on the unit then
//! syncs as usual. Photos are untouched: they stay in the outbox and on the phone.

use std::path::PathBuf;

use automerge::AutoCommit;
use base64::Engine as _;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::{UnitDoc, UnitRecord};
use plumbline_shared::time::Timestamp;
use serde::Serialize;

use crate::engine::{Engine, EngineError, Inner};
use crate::local_records::{SetAside, SetAsideWork, WorkKind};
use crate::local_store::StoreError;

/// The file an export writes: everything needed to look at the work again, or to load the
/// changes into a copy of the unit's document (`changes` holds each change's bytes, base64,
/// in the document's order, as automerge's `load_incremental` reads them).
#[derive(Debug, Serialize)]
struct ExportFile<'a> {
    doc: &'a DocId,
    reason: &'a str,
    set_aside_at: Timestamp,
    device: Option<String>,
    work: &'a [SetAsideWork],
    changes: Vec<String>,
}

/// What changed from `before` to `after`, in words a person can check.
fn work_between(before: &UnitRecord, after: &UnitRecord) -> Vec<SetAsideWork> {
    let mut work = Vec::new();
    for (id, finding) in &after.findings {
        let kind = match before.findings.get(id) {
            None => WorkKind::NewFinding,
            Some(old) if old != finding => WorkKind::ChangedFinding,
            Some(_) => continue,
        };
        work.push(SetAsideWork {
            kind,
            finding: Some(id.clone()),
            description: finding.description.clone(),
        });
    }
    if before.rounds != after.rounds {
        work.push(SetAsideWork {
            kind: WorkKind::Rounds,
            finding: None,
            description: String::new(),
        });
    }
    work
}

/// The work of a batch on a document that may not be a unit (a project document an
/// administrator's device changed): the unit's diff where both sides read as units.
fn work_of(base: &AutoCommit, current: &AutoCommit) -> Vec<SetAsideWork> {
    let read = |doc: &AutoCommit| UnitDoc::from_trusted(doc.clone()).read().ok();
    match (read(base), read(current)) {
        (Some(before), Some(after)) => work_between(&before, &after),
        _ => vec![SetAsideWork {
            kind: WorkKind::Other,
            finding: None,
            description: String::new(),
        }],
    }
}

impl Engine {
    /// Sets aside this device's changes to `doc` since the server last acknowledged it, after
    /// the server refused them for `reason`. Returns `false` (and changes nothing) when the
    /// document has no acknowledged state to go back to; the refusal then stays on the
    /// document as before.
    pub(crate) fn set_aside_refused(
        &self,
        inner: &mut Inner,
        doc: &DocId,
        reason: &str,
    ) -> Result<bool, EngineError> {
        let Some(info) = inner.store.sync_info(doc)? else {
            return Ok(false);
        };
        let acked = info.acked_heads;
        let Some(current) = inner.docs.get_mut(doc) else {
            return Ok(false);
        };
        if acked.is_empty() || !current.get_missing_deps(&acked).is_empty() {
            return Ok(false);
        }
        let changes: Vec<Vec<u8>> = current
            .get_changes(&acked)
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        if changes.is_empty() {
            return Ok(false);
        }
        let actor = current.get_actor().clone();
        let mut base = current
            .fork_at(&acked)
            .map_err(|e| StoreError::Damaged {
                what: "document history",
                detail: e.to_string(),
            })?
            .with_actor(actor);
        let work = work_of(&base, current);
        let snapshot = base.save();
        let id = inner
            .store
            .set_aside(doc, reason, self.now(), &work, &changes, &snapshot)?;
        tracing::warn!(%doc, id, changes = changes.len(), reason, "set aside refused work");
        inner.docs.insert(doc.clone(), base);
        Ok(true)
    }

    /// Every batch set aside on this device, newest first.
    pub fn set_aside(&self) -> Result<Vec<SetAside>, EngineError> {
        Ok(self.inner().store.set_aside_rows()?)
    }

    /// Writes set-aside batch `id` to a JSON file in the device's export folder and returns
    /// its path: for the office, or to look at the refused work again.
    pub fn export_set_aside(&self, id: i64) -> Result<PathBuf, EngineError> {
        let (row, changes) = {
            let inner = self.inner();
            let row = inner
                .store
                .set_aside_rows()?
                .into_iter()
                .find(|r| r.id == id)
                .ok_or_else(|| StoreError::Damaged {
                    what: "set-aside work",
                    detail: format!("there is no set-aside batch {id} on this device"),
                })?;
            (row, inner.store.set_aside_changes(id)?)
        };
        let file = ExportFile {
            doc: &row.doc,
            reason: &row.reason,
            set_aside_at: row.at,
            device: self.identity().map(|i| i.device.to_string()),
            work: &row.work,
            changes: changes
                .iter()
                .map(|c| base64::engine::general_purpose::STANDARD.encode(c))
                .collect(),
        };
        let dir = self.shared.dir.join("exports");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("set-aside-{id}.json"));
        let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
        std::fs::write(&path, json)?;
        Ok(path)
    }
}
