//! The account on this device: the person's preferences, the projects they work in, and
//! signing out.
//!
//! Signing out is the one command that deletes records, so it refuses while the outbox holds
//! anything unless the caller says the person chose to discard it: the UI asks first, in
//! words that say how much would be lost.

use std::collections::BTreeMap;

use plumbline_shared::doc::DocId;
use plumbline_shared::doc::conflict::FieldConflict;
use plumbline_shared::doc::project::ProjectDoc;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::ids::{FindingId, UnitId};
use plumbline_shared::project::Project;

use crate::engine::{Engine, EngineError};
use crate::events::EngineEvent;
use crate::local_store::StoreError;

/// A preference's key is stored beside the engine's own settings under this prefix, so the
/// two never collide.
const PREFERENCE_PREFIX: &str = "pref.";

/// Why signing out did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsyncedWork {
    /// Documents with changes the server has not acknowledged.
    pub records: usize,
    /// Photos the server has not confirmed.
    pub photos: usize,
}

impl Engine {
    /// A preference of the person using this device (the UI's language, …).
    pub fn preference(&self, key: &str) -> Result<Option<String>, EngineError> {
        Ok(self
            .inner()
            .store
            .setting(&format!("{PREFERENCE_PREFIX}{key}"))?)
    }

    /// Stores a preference; it survives restarts.
    pub fn set_preference(&self, key: &str, value: &str) -> Result<(), EngineError> {
        self.inner()
            .store
            .set_settings(&[(&format!("{PREFERENCE_PREFIX}{key}"), value)])?;
        Ok(())
    }

    /// The folder the engine keeps its data in.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.shared.dir
    }

    /// Bytes the engine's data takes on disk: the database and every photo file.
    pub fn disk_usage(&self) -> Result<u64, EngineError> {
        fn walk(dir: &std::path::Path) -> std::io::Result<u64> {
            let mut total = 0;
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let meta = entry.metadata()?;
                total += if meta.is_dir() {
                    walk(&entry.path())?
                } else {
                    meta.len()
                };
            }
            Ok(total)
        }
        Ok(walk(&self.shared.dir)?)
    }

    /// The projects this device holds, in their documents' order.
    pub fn projects(&self) -> Result<Vec<Project>, EngineError> {
        let mut inner = self.inner();
        let ids: Vec<DocId> = inner
            .store
            .doc_ids()?
            .into_iter()
            .filter(|d| matches!(d, DocId::Project(_)))
            .collect();
        let mut projects = Vec::with_capacity(ids.len());
        for id in ids {
            if !Self::ensure_loaded(&mut inner, &id)? {
                continue;
            }
            let bytes = inner.docs.get_mut(&id).expect("loaded just above").save();
            let doc = ProjectDoc::load(&bytes).map_err(|e| StoreError::Damaged {
                what: "project document",
                detail: format!("{id}: {e}"),
            })?;
            projects.push(doc.project()?);
        }
        Ok(projects)
    }

    /// Every field of a unit's findings that holds more than one value (two people changed
    /// it while apart), by finding; findings without conflicts are left out.
    pub fn conflicts(
        &self,
        unit: &UnitId,
    ) -> Result<BTreeMap<FindingId, Vec<FieldConflict>>, EngineError> {
        let doc_id = DocId::Unit(unit.clone());
        let mut inner = self.inner();
        if !Self::ensure_loaded(&mut inner, &doc_id)? {
            return Err(EngineError::UnknownUnit(unit.clone()));
        }
        let doc = UnitDoc::from_trusted(inner.docs.get(&doc_id).expect("loaded").clone());
        drop(inner);
        let mut out = BTreeMap::new();
        for id in doc.finding_ids()? {
            let conflicts = doc.conflicts(&id)?;
            if !conflicts.is_empty() {
                out.insert(id, conflicts);
            }
        }
        Ok(out)
    }

    /// Signs this device out and deletes its records and photos, so that the next person
    /// starts clean. With work the server has not confirmed, it refuses unless
    /// `discard_unsynced` says the person saw [`UnsyncedWork`] and chose to lose it.
    pub fn sign_out(&self, discard_unsynced: bool) -> Result<(), SignOutError> {
        let outbox = self.outbox()?;
        if !outbox.is_empty() && !discard_unsynced {
            return Err(SignOutError::Unsynced(UnsyncedWork {
                records: outbox.records.len() + outbox.actions.len() + outbox.set_aside.len(),
                photos: outbox.photos.len(),
            }));
        }
        let hashes: Vec<_> = {
            let mut inner = self.inner();
            let hashes = inner
                .store
                .evidence()
                .map_err(EngineError::from)?
                .into_iter()
                .map(|e| e.hash)
                .collect();
            inner
                .store
                .wipe(PREFERENCE_PREFIX)
                .map_err(EngineError::from)?;
            inner.docs.clear();
            hashes
        };
        // The rows are gone first: a crash here leaves only stray files, which the next start
        // removes (`PhotoFiles::remove_strays`).
        for hash in &hashes {
            self.shared.files.remove(hash).map_err(EngineError::from)?;
        }
        // Floor plans belong to the projects, not to the person's work: never counted as
        // unsynced above, but gone with the account like its records.
        self.shared
            .files
            .remove_plans()
            .map_err(EngineError::from)?;
        *self.shared.identity.lock().expect("identity lock poisoned") = None;
        {
            let mut status = self.shared.status.lock().expect("status lock poisoned");
            *status = crate::events::SyncStatus::default();
        }
        self.emit(EngineEvent::SignedOut {
            reason: "signed out on this device".into(),
        });
        Ok(())
    }
}

/// Why [`Engine::sign_out`] failed.
#[derive(Debug, thiserror::Error)]
pub enum SignOutError {
    /// Work would be lost; ask the person.
    #[error(
        "{} records and {} photos are not on the server yet; sync first, or confirm that they may be discarded",
        .0.records,
        .0.photos
    )]
    Unsynced(UnsyncedWork),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}
