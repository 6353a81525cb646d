//! One sync, and the background loop that runs them.
//!
//! Records before photos, always: documents are exchanged first so the office sees a finding
//! while its photos are still on the way; then photos upload in chunks ([`crate::uploads`]);
//! then the floor-plan images the device lacks are fetched ([`crate::floor_plan_images`]).
//!
//! The document part is the protocol's device half,
//! [`plumbline_shared::protocol::device::DeviceSync`]: this file only carries its requests to
//! the server and lets it read and commit through the local store ([`EngineSide`]), each
//! reply per document in one transaction together with the session and the acknowledged
//! heads, so a sync cut off at any point resumes where it stopped.

use std::time::Duration;

use automerge::{AutoCommit, ChangeHash};
use plumbline_shared::doc::DocId;
use plumbline_shared::protocol::device::{
    BadReply, Commit, DeviceSide, DeviceSync, LastSync, Request,
};

use crate::client::{ClientError, ServerClient};
use crate::engine::{Engine, EngineError, Inner};
use crate::events::{EngineEvent, SyncProgress};

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

    async fn sync_docs(
        &self,
        client: &ServerClient,
        report: &mut SyncReport,
        progress: &mut SyncProgress,
    ) -> Result<(), EngineError> {
        let mut run = DeviceSync::new();
        loop {
            let request = {
                let mut inner = self.inner();
                run.next_request(&mut EngineSide::new(self, &mut inner), self.now())?
            };
            let Some(request) = request else { break };
            match request {
                Request::Manifest(manifest) => {
                    let answer = client.manifest(&manifest).await?;
                    let mut inner = self.inner();
                    run.on_manifest(&mut EngineSide::new(self, &mut inner), answer)?;
                }
                Request::Exchange(exchange) => {
                    let reply = client.exchange(&exchange).await?;
                    let refused_before = run.tally().refused.len();
                    {
                        let mut inner = self.inner();
                        run.on_exchange(&mut EngineSide::new(self, &mut inner), reply)?;
                    }
                    for (doc, reason) in &run.tally().refused[refused_before..] {
                        tracing::warn!(%doc, %reason, "the server refused a document's changes");
                        self.emit(EngineEvent::Refused {
                            doc: doc.clone(),
                            reason: reason.clone(),
                        });
                    }
                }
            }
            progress.docs_total = run.tally().docs_total;
            progress.docs_done = run.tally().docs_done;
            self.emit(EngineEvent::SyncProgress(progress.clone()));
        }
        let tally = run.tally();
        report.docs_acked += tally.docs_acked;
        report.refused.extend(tally.refused.iter().cloned());
        report.set_aside.extend(tally.set_aside.iter().cloned());
        report.round_trips += tally.round_trips;
        progress.docs_done = progress.docs_total;
        self.emit(EngineEvent::SyncProgress(progress.clone()));
        Ok(())
    }
}

/// The device's store and loaded documents as the sync machine sees them, for one step.
struct EngineSide<'a> {
    engine: &'a Engine,
    inner: &'a mut Inner,
}

impl<'a> EngineSide<'a> {
    fn new(engine: &'a Engine, inner: &'a mut Inner) -> Self {
        Self { engine, inner }
    }
}

impl From<BadReply> for EngineError {
    fn from(bad: BadReply) -> Self {
        EngineError::Server(ClientError::BadReply(bad.0))
    }
}

impl DeviceSide for EngineSide<'_> {
    type Error = EngineError;

    fn unsent(&mut self) -> Result<Vec<DocId>, EngineError> {
        Ok(self.inner.store.unsent_docs()?)
    }

    fn all_heads(&mut self) -> Result<Vec<(DocId, Vec<ChangeHash>)>, EngineError> {
        let ids = self.inner.store.doc_ids()?;
        let mut held = Vec::with_capacity(ids.len());
        for doc in ids {
            if !Engine::ensure_loaded(self.inner, &doc)? {
                continue;
            }
            let am = self.inner.docs.get_mut(&doc).expect("loaded just above");
            held.push((doc, am.get_heads()));
        }
        Ok(held)
    }

    fn doc(&mut self, doc: &DocId) -> Result<&mut AutoCommit, EngineError> {
        if !Engine::ensure_loaded(self.inner, doc)? {
            self.inner.docs.insert(doc.clone(), AutoCommit::new());
        }
        Ok(self.inner.docs.get_mut(doc).expect("loaded just above"))
    }

    fn last_sync(&mut self, doc: &DocId) -> Result<LastSync, EngineError> {
        Ok(match self.inner.store.sync_info(doc)? {
            Some(stored) => LastSync {
                acked: stored.acked_heads,
                state: stored.sync_state,
            },
            None => LastSync::default(),
        })
    }

    fn commit(&mut self, commit: Commit) -> Result<(), EngineError> {
        let store = &mut self.inner.store;
        store.commit_sync(
            &commit.doc,
            &commit.changes,
            &commit.state,
            commit.acked.as_deref(),
            commit.refused.as_deref(),
        )?;
        if commit.finished {
            // Under the same lock as any edit: an edit made since would have moved the heads.
            store.mark_sent(&commit.doc)?;
        }
        Ok(())
    }

    fn set_aside(&mut self, doc: &DocId, reason: &str) -> Result<bool, EngineError> {
        self.engine.set_aside_refused(self.inner, doc, reason)
    }
}
