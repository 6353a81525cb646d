//! One sync, and the background loop that runs them.
//!
//! Records before photos, always: documents are exchanged first so the office sees a finding
//! while its photos are still on the way; then photos upload in chunks ([`crate::uploads`]);
//! then the floor-plan images the device lacks are fetched ([`crate::floor_plan_images`]).
//!
//! The document part: first the documents edited here are pushed (automerge sync messages
//! that already carry the new changes, usually one round trip); then the server's two steps
//! (see `plumbline_shared::api`): a summary-only manifest (one small round trip when nothing
//! else changed; the server remembers what this device holds, so it names the documents that
//! differ without a list), then sync messages for those, at most [`MAX_DOCS_PER_REQUEST`] per
//! request, until both sides hold the same heads. Whatever a reply brings is committed per document in one transaction
//! together with the sync state and the acknowledged heads, so a sync cut off at any point
//! resumes where it stopped and never claims more than the device holds.

use std::collections::BTreeMap;
use std::time::Duration;

use automerge::AutoCommit;
use automerge::sync::{self, SyncDoc};
use plumbline_shared::api::{
    API_VERSION, DocMessage, HeadsDigest, MAX_DOCS_PER_REQUEST, ManifestEntry, ManifestRequest,
    ManifestResponse, SyncRequest, same_heads,
};
use plumbline_shared::doc::DocId;

use crate::client::{ClientError, ServerClient};
use crate::engine::{Engine, EngineError};
use crate::events::{EngineEvent, SyncProgress};

/// Most exchange rounds one sync makes; automerge needs two or three, more means a bug or a
/// server that keeps changing, and the next sync continues.
const MAX_ROUNDS: usize = 16;

/// Longest wait between failed background syncs.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Documents the server acknowledged.
    pub docs_acked: usize,
    /// Documents whose changes the server refused, with its reasons.
    pub refused: Vec<(DocId, String)>,
    /// Those of them whose refused work was set aside (see [`crate::set_aside`]): they sync
    /// on, from what the server holds.
    pub set_aside: Vec<DocId>,
    /// Photos the server confirmed.
    pub photos_sent: usize,
    /// Requests made.
    pub round_trips: usize,
}

impl SyncReport {
    /// Whether `doc` stays refused: its refused work could not be set aside.
    fn blocked(&self, doc: &DocId) -> bool {
        self.refused.iter().any(|(r, _)| r == doc) && !self.set_aside.contains(doc)
    }
}

impl Engine {
    /// Runs one sync now: documents, then photos. Waits for a sync already running to end
    /// first. A failure leaves everything as it was committed so far; the next sync resumes.
    pub async fn sync(&self) -> Result<SyncReport, EngineError> {
        let _one_at_a_time = self.shared.sync_lock.lock().await;
        let client = self.client()?;
        self.set_status(|s| s.running = true);
        self.emit(EngineEvent::SyncStarted);
        let mut report = SyncReport::default();
        let mut progress = SyncProgress::default();
        let result = async {
            self.sync_docs(&client, &mut report, &mut progress).await?;
            // A foreman's answers go before photos: the office sees "on site" at once, and
            // the repair's photos follow like any other.
            self.send_foreman_actions(&client).await?;
            self.upload_thumbnails(&client, &mut progress).await?;
            self.upload_photos(&client, &mut report, &mut progress)
                .await?;
            self.apply_retention()?;
            Ok::<_, EngineError>(())
        }
        .await;
        if result.is_ok() {
            // Last, and never failing the sync: a plan or a list that did not arrive is tried
            // next time.
            self.download_plans(&client).await;
            self.fetch_notifications(&client).await;
        }
        match &result {
            Ok(()) => {
                self.set_status(|s| {
                    s.running = false;
                    s.last_success = Some(self.now());
                    s.last_error = None;
                });
                self.emit(EngineEvent::SyncFinished {
                    docs_acked: report.docs_acked,
                    photos_sent: report.photos_sent,
                });
            }
            Err(EngineError::Server(ClientError::Unauthorized(reason))) => {
                self.set_status(|s| {
                    s.running = false;
                    s.signed_out = true;
                    s.last_error = Some(reason.clone());
                });
                self.emit(EngineEvent::SignedOut {
                    reason: reason.clone(),
                });
            }
            Err(e) => {
                let reason = e.to_string();
                let transient = matches!(e, EngineError::Server(c) if c.is_transient());
                self.set_status(|s| {
                    s.running = false;
                    s.last_error = Some(reason.clone());
                    s.last_error_transient = transient;
                });
                self.emit(EngineEvent::SyncFailed { reason });
            }
        }
        result.map(|()| report)
    }

    fn set_status(&self, f: impl FnOnce(&mut crate::events::SyncStatus)) {
        f(&mut self.shared.status.lock().expect("status lock poisoned"));
    }

    /// Asks the background loop to sync as soon as it can (after an edit, on demand, when the
    /// network comes back).
    pub fn sync_soon(&self) {
        self.shared.wake.notify_one();
    }

    /// The platform reports the network came back (or changed): sync now if there is
    /// anything to do. Going offline needs no call: a sync that cannot reach the server fails
    /// quietly and the loop waits.
    pub fn connectivity_changed(&self, online: bool) {
        if online {
            self.sync_soon();
        }
    }

    /// Starts the background loop: a sync at start, on every [`Self::sync_soon`], and every
    /// `every`; after a failure it waits longer each time, up to five minutes. Stops when the
    /// device is signed out (enrolling again calls `sync_soon`, which needs a running loop:
    /// start it again then).
    pub fn start(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_secs(2);
            loop {
                if engine.identity().is_some() && !engine.sync_status().signed_out {
                    match engine.sync().await {
                        Ok(_) => backoff = Duration::from_secs(2),
                        Err(e) => {
                            tracing::info!(error = %e, "background sync failed; retrying later");
                            let wait = backoff;
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                            tokio::select! {
                                () = tokio::time::sleep(wait) => {}
                                () = engine.shared.wake.notified() => {}
                            }
                            continue;
                        }
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    () = engine.shared.wake.notified() => {}
                }
            }
        })
    }

    /// The manifest entries of every document on the device.
    fn manifest_request(&self, with_entries: bool) -> Result<ManifestRequest, EngineError> {
        let mut inner = self.inner();
        let ids = inner.store.doc_ids()?;
        let mut entries = Vec::with_capacity(ids.len());
        for doc in ids {
            if !Engine::ensure_loaded(&mut inner, &doc)? {
                continue;
            }
            let am = inner.docs.get_mut(&doc).expect("loaded just above");
            entries.push(ManifestEntry {
                heads: HeadsDigest::of_heads(&am.get_heads()),
                doc,
            });
        }
        let summary = HeadsDigest::of_manifest(entries.iter().map(|e| (&e.doc, &e.heads)));
        Ok(ManifestRequest {
            api_version: API_VERSION,
            device_time: self.now(),
            summary,
            entries: with_entries.then_some(entries),
        })
    }

    async fn sync_docs(
        &self,
        client: &ServerClient,
        report: &mut SyncReport,
        progress: &mut SyncProgress,
    ) -> Result<(), EngineError> {
        // Push first: what was edited here goes without waiting for the manifest. The server
        // then knows this device's position, so the summary that follows usually matches.
        let pushed = self.inner().store.unsent_docs()?;
        progress.docs_total = pushed.len();
        if !pushed.is_empty() {
            self.exchange_docs(client, pushed, report, progress).await?;
        }
        report.round_trips += 1;
        let mut answer = client.manifest(&self.manifest_request(false)?).await?;
        if matches!(answer, ManifestResponse::SendEntries { .. }) {
            report.round_trips += 1;
            answer = client.manifest(&self.manifest_request(true)?).await?;
        }
        let todo: Vec<DocId> = match answer {
            ManifestResponse::InSync { .. } => return Ok(()),
            ManifestResponse::SendEntries { .. } => {
                return Err(ClientError::BadReply(
                    "the server asked for the manifest entries twice".into(),
                )
                .into());
            }
            ManifestResponse::Differs {
                changed,
                new_on_server,
                ..
            } => changed
                .into_iter()
                .chain(new_on_server)
                // Refused in the push just now: asking again would be refused again, unless
                // the refused work was set aside (then the server's side comes back now).
                .filter(|d| !report.blocked(d))
                .collect(),
        };
        progress.docs_total += todo.len();
        self.emit(EngineEvent::SyncProgress(progress.clone()));
        self.exchange_docs(client, todo, report, progress).await?;
        progress.docs_done = progress.docs_total;
        self.emit(EngineEvent::SyncProgress(progress.clone()));
        Ok(())
    }

    /// A new session for `doc`. When the server acknowledged heads this device holds, the
    /// session starts as if the server had just said "I have those": the first message then
    /// carries the changes made since, and a push is one round trip instead of two. Otherwise
    /// only the heads both sides shared are kept (automerge's rule between connections).
    fn session_for(&self, doc: &DocId) -> Result<sync::State, EngineError> {
        let mut inner = self.inner();
        let Some(stored) = inner.store.sync_info(doc)? else {
            return Ok(sync::State::new());
        };
        let acked = stored.acked_heads;
        let holds_acked = !acked.is_empty()
            && inner
                .docs
                .get_mut(doc)
                .is_some_and(|am| am.get_missing_deps(&acked).is_empty());
        if holds_acked {
            let mut state = sync::State::new();
            state.shared_heads = acked.clone();
            state.their_heads = Some(acked.clone());
            state.their_need = Some(Vec::new());
            state.their_have = Some(vec![sync::Have {
                last_sync: acked,
                bloom: sync::BloomFilter::default(),
            }]);
            return Ok(state);
        }
        Ok(stored
            .sync_state
            .and_then(|bytes| sync::State::decode(&bytes).ok())
            .unwrap_or_default())
    }

    /// Exchanges sync messages for `todo` until neither side has anything to send.
    async fn exchange_docs(
        &self,
        client: &ServerClient,
        todo: Vec<DocId>,
        report: &mut SyncReport,
        progress: &mut SyncProgress,
    ) -> Result<(), EngineError> {
        let mut states: BTreeMap<DocId, sync::State> = BTreeMap::new();
        for doc in &todo {
            {
                let mut inner = self.inner();
                if !Engine::ensure_loaded(&mut inner, doc)? {
                    inner.docs.insert(doc.clone(), AutoCommit::new());
                }
            }
            states.insert(doc.clone(), self.session_for(doc)?);
        }
        let mut done = std::collections::BTreeSet::new();
        let mut pending = todo;
        for _ in 0..MAX_ROUNDS {
            if pending.is_empty() {
                break;
            }
            let mut next = Vec::new();
            for batch in pending.chunks(MAX_DOCS_PER_REQUEST) {
                let messages = self.outgoing(batch, &mut states);
                if messages.is_empty() {
                    continue;
                }
                let sent: Vec<DocId> = messages.iter().map(|m| m.doc.clone()).collect();
                report.round_trips += 1;
                let reply = client
                    .exchange(&SyncRequest {
                        api_version: API_VERSION,
                        device_time: self.now(),
                        messages,
                    })
                    .await?;
                let finished = self.apply_reply(reply, &mut states, report)?;
                for doc in &sent {
                    if done.insert(doc.clone()) {
                        progress.docs_done += 1;
                    }
                }
                self.emit(EngineEvent::SyncProgress(progress.clone()));
                next.extend(sent.into_iter().filter(|d| {
                    !finished.contains(d) && !report.refused.iter().any(|(r, _)| r == d)
                }));
            }
            pending = next;
        }
        Ok(())
    }

    /// The sync messages this device has for `docs`.
    fn outgoing(
        &self,
        docs: &[DocId],
        states: &mut BTreeMap<DocId, sync::State>,
    ) -> Vec<DocMessage> {
        let mut inner = self.inner();
        let mut messages = Vec::new();
        for doc in docs {
            let (Some(am), Some(state)) = (inner.docs.get_mut(doc), states.get_mut(doc)) else {
                continue;
            };
            if let Some(m) = am.sync().generate_sync_message(state) {
                messages.push(DocMessage {
                    doc: doc.clone(),
                    message: m.encode(),
                });
            }
        }
        messages
    }

    /// Applies and commits what the server answered. Returns the documents both sides now
    /// hold at the same heads: nothing more to say about those.
    fn apply_reply(
        &self,
        reply: plumbline_shared::api::SyncResponse,
        states: &mut BTreeMap<DocId, sync::State>,
        report: &mut SyncReport,
    ) -> Result<Vec<DocId>, EngineError> {
        let all_acks: BTreeMap<DocId, Vec<automerge::ChangeHash>> = reply
            .acks
            .iter()
            .map(|a| (a.doc.clone(), a.change_hashes()))
            .collect();
        let mut acked = all_acks.clone();
        let mut inner = self.inner();
        let mut touched: Vec<DocId> = Vec::new();
        for m in reply.messages {
            let message = sync::Message::decode(&m.message)
                .map_err(|e| ClientError::BadReply(format!("a sync message for {}: {e}", m.doc)))?;
            let (Some(am), Some(state)) = (inner.docs.get_mut(&m.doc), states.get_mut(&m.doc))
            else {
                continue;
            };
            let before = am.get_heads();
            am.sync()
                .receive_sync_message(state, message)
                .map_err(|e| ClientError::BadReply(format!("a sync message for {}: {e}", m.doc)))?;
            let changes: Vec<u8> = am
                .get_changes(&before)
                .iter()
                .flat_map(|c| c.raw_bytes().to_vec())
                .collect();
            let heads = acked.remove(&m.doc);
            if heads.is_some() {
                report.docs_acked += 1;
            }
            let encoded = state.encode();
            inner
                .store
                .commit_sync(&m.doc, &changes, &encoded, heads.as_deref(), None)?;
            touched.push(m.doc);
        }
        let acks_only: Vec<DocId> = acked.keys().cloned().collect();
        for (doc, heads) in acked {
            let Some(state) = states.get(&doc) else {
                continue;
            };
            report.docs_acked += 1;
            inner
                .store
                .commit_sync(&doc, &[], &state.encode(), Some(&heads), None)?;
        }
        let mut finished = Vec::new();
        for doc in touched.iter().chain(&acks_only) {
            let Some(heads) = all_acks.get(doc) else {
                continue;
            };
            let Some(am) = inner.docs.get_mut(doc) else {
                continue;
            };
            if same_heads(&am.get_heads(), heads) {
                // Under the same lock as any edit: an edit made since would have moved the heads.
                let mut state = sync::State::new();
                state.shared_heads = heads.clone();
                states.insert(doc.clone(), state);
                inner.store.mark_sent(doc)?;
                finished.push(doc.clone());
            }
        }
        for r in reply.refused {
            tracing::warn!(doc = %r.doc, reason = %r.reason, "the server refused a document's changes");
            // The server dropped its side of the session; so do we. The refused work is set
            // aside and the document goes on from what the server acknowledged; where there is
            // nothing to go back to, the changes stay and the refusal stays on the document.
            states.insert(r.doc.clone(), sync::State::new());
            if self.set_aside_refused(&mut inner, &r.doc, &r.reason)? {
                report.set_aside.push(r.doc.clone());
            } else {
                inner.store.commit_sync(
                    &r.doc,
                    &[],
                    &sync::State::new().encode(),
                    None,
                    Some(&r.reason),
                )?;
            }
            report.refused.push((r.doc.clone(), r.reason.clone()));
            self.emit(EngineEvent::Refused {
                doc: r.doc,
                reason: r.reason,
            });
        }
        Ok(finished)
    }
}
