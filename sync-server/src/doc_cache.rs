//! Loaded documents and per-device sync states.
//!
//! A sync needs the server's copy of each document in memory. [`DocCache`] keeps recently used
//! documents loaded, one async lock per document so that two devices syncing the same unit are
//! applied one after the other (never two forks of one document racing to the store). Before a
//! cached copy is used it is checked against the heads in the store, so a change written by
//! another server replica (or by `reindex`, or the admin CLI) is never missed.
//!
//! The sync sessions ([`Sessions`], the protocol's server half) live beside them, in memory
//! only: after a restart a device's first exchange for a document takes one more round trip,
//! which automerge's protocol handles by itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::{AutoCommit, ChangeHash};
use plumbline_shared::doc::project::ProjectDoc;
use plumbline_shared::doc::{DocError, DocId};
use plumbline_shared::ids::ProjectId;
use plumbline_shared::project::Project;
use plumbline_shared::protocol::server::Sessions;
use tokio::sync::OwnedMutexGuard;

use crate::store::{NewChange, Store, StoreResult, StoredDoc};

/// Most documents kept loaded; past it, idle ones are dropped.
const MAX_LOADED: usize = 4_096;

/// A document in memory.
#[derive(Debug)]
pub struct LoadedDoc {
    /// Its project.
    pub project: ProjectId,
    /// The automerge document.
    pub doc: AutoCommit,
}

/// The lock-protected slot of one document.
#[derive(Debug, Default)]
pub struct Slot {
    loaded: Option<LoadedDoc>,
    /// A project document's contents as last read, with the heads they were read at.
    project: Option<(Vec<ChangeHash>, Project)>,
}

/// Documents in memory and sync states. See the module docs.
pub struct DocCache {
    store: Arc<dyn Store>,
    slots: Mutex<HashMap<DocId, Arc<tokio::sync::Mutex<Slot>>>>,
    sessions: Mutex<Sessions>,
}

impl std::fmt::Debug for DocCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocCache").finish_non_exhaustive()
    }
}

/// A locked document slot.
pub type DocGuard = OwnedMutexGuard<Slot>;

impl DocCache {
    /// An empty cache over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            slots: Mutex::new(HashMap::new()),
            sessions: Mutex::new(Sessions::new()),
        }
    }

    /// Locks one document. Lock several in sorted order to avoid deadlocks.
    pub async fn lock(&self, id: &DocId) -> DocGuard {
        let slot = {
            let mut slots = self.slots.lock().expect("doc cache lock poisoned");
            if slots.len() >= MAX_LOADED {
                slots.retain(|_, s| Arc::strong_count(s) > 1);
            }
            slots.entry(id.clone()).or_default().clone()
        };
        slot.lock_owned().await
    }

    /// The document in `guard`, loaded or refreshed from the store. `None` when the store has
    /// no such document.
    pub async fn get<'g>(
        &self,
        guard: &'g mut DocGuard,
        id: &DocId,
    ) -> StoreResult<Option<&'g mut LoadedDoc>> {
        let stored_heads = self.store.doc_heads(id).await?;
        let Some(mut stored_heads) = stored_heads else {
            guard.loaded = None;
            return Ok(None);
        };
        stored_heads.sort();
        let fresh = match guard.loaded.as_mut() {
            Some(loaded) => {
                let mut heads = loaded.doc.get_heads();
                heads.sort();
                heads == stored_heads
            }
            None => false,
        };
        if !fresh {
            let Some(stored) = self.store.load_doc(id).await? else {
                guard.loaded = None;
                return Ok(None);
            };
            let doc = assemble(id, &stored)?;
            guard.loaded = Some(LoadedDoc {
                project: stored.project,
                doc,
            });
        }
        Ok(guard.loaded.as_mut())
    }

    /// Replaces the loaded copy after a successful write.
    pub fn put(guard: &mut DocGuard, loaded: LoadedDoc) {
        guard.loaded = Some(loaded);
    }

    /// Every device's sync sessions (see [`Sessions`]). Held briefly, never across an await.
    pub fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        self.sessions.lock().expect("sync sessions lock poisoned")
    }
}

impl Slot {
    /// The project the loaded project document holds, kept until the document's heads change
    /// (`None` when nothing is loaded): every office page reads its project, and reading a
    /// document of a thousand units takes tens of milliseconds, while comparing heads takes
    /// none. Kept beside the copy rather than in it, so a copy changed in place is read again.
    pub fn read_project(&mut self) -> Result<Option<Project>, DocError> {
        let Some(loaded) = self.loaded.as_mut() else {
            return Ok(None);
        };
        let heads = loaded.doc.get_heads();
        if let Some((at, project)) = &self.project
            && *at == heads
        {
            return Ok(Some(project.clone()));
        }
        let project = ProjectDoc::load(&loaded.doc.save()).and_then(|doc| doc.project())?;
        self.project = Some((heads, project.clone()));
        Ok(Some(project))
    }
}

/// Rebuilds a stored document: its snapshot, then every change stored after it.
pub fn assemble(id: &DocId, stored: &StoredDoc) -> anyhow::Result<AutoCommit> {
    let mut doc = match &stored.snapshot {
        Some(bytes) => {
            AutoCommit::load(bytes).map_err(|e| anyhow::anyhow!("stored snapshot of {id}: {e}"))?
        }
        None => AutoCommit::new(),
    };
    for change in &stored.changes {
        doc.load_incremental(change)
            .map_err(|e| anyhow::anyhow!("stored change of {id}: {e}"))?;
    }
    Ok(doc)
}

/// The changes of `doc` that are not ancestors of `before`, as rows to store.
pub fn new_changes(doc: &mut AutoCommit, before: &[ChangeHash]) -> Vec<NewChange> {
    doc.get_changes(before)
        .into_iter()
        .map(|c| NewChange {
            hash: c.hash(),
            bytes: c.raw_bytes().to_vec(),
        })
        .collect()
}
