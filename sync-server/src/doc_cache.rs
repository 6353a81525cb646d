//! Loaded documents and per-device sync states.
//!
//! A sync needs the server's copy of each document in memory. [`DocCache`] keeps recently used
//! documents loaded, one async lock per document so that two devices syncing the same unit are
//! applied one after the other (never two forks of one document racing to the store). Before a
//! cached copy is used it is checked against the heads in the store, so a change written by
//! another server replica (or by `reindex`, or the admin CLI) is never missed.
//!
//! Sync states (`automerge::sync::State`, one per device and document) live in memory only:
//! after a restart a device's first exchange for a document takes one more round trip, which
//! automerge's protocol handles by itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::{AutoCommit, ChangeHash};
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::{DeviceId, ProjectId};
use tokio::sync::OwnedMutexGuard;

use crate::store::{NewChange, Store, StoreResult, StoredDoc};

/// Most documents kept loaded; past it, idle ones are dropped.
const MAX_LOADED: usize = 4_096;
/// Most sync states kept; past it, all are dropped (devices then take one extra round trip).
const MAX_SYNC_STATES: usize = 200_000;

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
}

/// Documents in memory and sync states. See the module docs.
pub struct DocCache {
    store: Arc<dyn Store>,
    slots: Mutex<HashMap<DocId, Arc<tokio::sync::Mutex<Slot>>>>,
    sync_states: Mutex<HashMap<(DeviceId, DocId), automerge::sync::State>>,
    waiting: Mutex<HashMap<(DeviceId, DocId), WaitingChanges>>,
}

/// Raw changes (as `load_incremental` takes them) waiting for a change they depend on.
type WaitingChanges = Vec<Vec<u8>>;

/// Most bytes of waiting changes kept per device and document (see [`DocCache::keep_waiting`]).
const MAX_WAITING_BYTES: usize = 8 * 1024 * 1024;
/// Most bytes of waiting changes kept in all; past it, all are dropped (the devices' next
/// sessions send them again).
const MAX_WAITING_TOTAL_BYTES: usize = 64 * 1024 * 1024;

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
            sync_states: Mutex::new(HashMap::new()),
            waiting: Mutex::new(HashMap::new()),
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

    /// Takes the sync state of (device, document), or a fresh one.
    pub fn take_sync_state(&self, device: &DeviceId, doc: &DocId) -> automerge::sync::State {
        let mut states = self.sync_states.lock().expect("sync state lock poisoned");
        states
            .remove(&(device.clone(), doc.clone()))
            .unwrap_or_default()
    }

    /// Starts a new sync session of `device` for `docs`: the per-connection parts of their sync
    /// states (what was sent, what the device was last known to have) are dropped, keeping only
    /// the heads both sides shared. automerge's protocol expects exactly this between
    /// connections; without it, a state that believes everything was already sent stays
    /// silent while the device has since lost or never applied what was sent.
    pub fn begin_session<'a>(&self, device: &DeviceId, docs: impl IntoIterator<Item = &'a DocId>) {
        let mut states = self.sync_states.lock().expect("sync state lock poisoned");
        for doc in docs {
            let key = (device.clone(), doc.clone());
            if let Some(state) = states.get_mut(&key) {
                *state = automerge::sync::State::decode(&state.encode()).unwrap_or_default();
            }
        }
    }

    /// Takes the changes of (device, document) that arrived before one they depend on.
    pub fn take_waiting(&self, device: &DeviceId, doc: &DocId) -> Vec<Vec<u8>> {
        let mut waiting = self.waiting.lock().expect("waiting changes lock poisoned");
        waiting
            .remove(&(device.clone(), doc.clone()))
            .unwrap_or_default()
    }

    /// Keeps changes a device sent whose dependencies have not arrived yet, for its next
    /// request. automerge's protocol expects the receiver to hold such changes and ask for what
    /// they depend on: the sender decides what to send from a Bloom filter of what the
    /// receiver has, and a false positive (about 1 in 100 changes) makes it leave out a change
    /// the receiver lacks. The sender never sends a change twice in one session, so a receiver
    /// that dropped the waiting ones would wait for them forever. Nothing waiting is stored or
    /// validated until its dependencies are there. Bounded per document and in all; past a bound
    /// the changes are dropped, and the device's next session sends them again.
    pub fn keep_waiting(&self, device: &DeviceId, doc: &DocId, changes: Vec<Vec<u8>>) {
        let bytes: usize = changes.iter().map(Vec::len).sum();
        let mut waiting = self.waiting.lock().expect("waiting changes lock poisoned");
        let key = (device.clone(), doc.clone());
        if changes.is_empty() || bytes > MAX_WAITING_BYTES {
            waiting.remove(&key);
            return;
        }
        waiting.remove(&key);
        // Waiting is rare (a Bloom-filter false positive), so summing on insert costs little.
        let held: usize = waiting.values().flatten().map(Vec::len).sum();
        if held + bytes > MAX_WAITING_TOTAL_BYTES {
            waiting.clear();
        }
        waiting.insert(key, changes);
    }

    /// Keeps the sync state of (device, document) for the device's next request.
    pub fn keep_sync_state(&self, device: &DeviceId, doc: &DocId, state: automerge::sync::State) {
        let mut states = self.sync_states.lock().expect("sync state lock poisoned");
        if states.len() >= MAX_SYNC_STATES {
            states.clear();
        }
        states.insert((device.clone(), doc.clone()), state);
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
