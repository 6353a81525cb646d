//! Folding a document's stored changes into a snapshot.
//!
//! Documents are stored as append-only changes, one row per change hash, so that storing a
//! change twice is a no-op and a write is a few small inserts. Loading a document then replays
//! every change; after a few hundred that costs more than loading one `save()`. So from time
//! to time (`[compaction]` in the configuration) the server replaces a document's changes with
//! a snapshot of exactly those changes.
//!
//! Safety: the document is rebuilt from the store (not from the cache) under its lock, saved,
//! and the rows up to the last one loaded are replaced in one transaction; rows stored after
//! the load stay. What a compaction forgets is which device sent each folded change (the
//! `changes.device_id` column); the events inside the document still name their authors.

use std::time::Duration;

use plumbline_shared::doc::DocId;

use crate::doc_cache::assemble;
use crate::leases;
use crate::state::AppState;

/// Compacts every document with at least `min_changes` changes since its last snapshot.
/// Returns how many were compacted.
pub async fn compact_due(state: &AppState, min_changes: usize) -> anyhow::Result<usize> {
    let due = state.store.docs_to_compact(min_changes.max(1)).await?;
    let mut done = 0;
    for doc in &due {
        if compact(state, doc).await? {
            done += 1;
        }
    }
    Ok(done)
}

/// Compacts one document. Returns `false` when there was nothing to fold.
pub async fn compact(state: &AppState, doc: &DocId) -> anyhow::Result<bool> {
    let _guard = state.docs.lock(doc).await;
    let Some(stored) = state.store.load_doc(doc).await? else {
        return Ok(false);
    };
    if stored.changes.is_empty() {
        return Ok(false);
    }
    let folded = stored.changes.len();
    let mut automerge = assemble(doc, &stored)?;
    let snapshot = automerge.save();
    let bytes = snapshot.len();
    state
        .store
        .compact_doc(doc, snapshot, stored.last_seq)
        .await?;
    metrics::counter!("plumbline_compactions_total").increment(1);
    tracing::info!(%doc, folded, bytes, "compacted a document into a snapshot");
    Ok(true)
}

/// Runs [`compact_due`] every `[compaction] every_secs` until the process ends; does nothing
/// when that is 0. A failed pass is logged and the next one tries again.
pub fn spawn(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let every = state.config.compaction.every_secs;
    if every == 0 {
        return None;
    }
    let min_changes = state.config.compaction.min_changes;
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(every));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // the first tick is immediate; let the server start first
        loop {
            tick.tick().await;
            // Of several replicas, one compacts (see `crate::leases`).
            if !leases::hold(&state, leases::COMPACTION, 2 * Duration::from_secs(every)).await {
                continue;
            }
            if let Err(e) = compact_due(&state, min_changes).await {
                tracing::warn!(error = ?e, "a compaction pass failed; the next one retries");
            }
        }
    }))
}
