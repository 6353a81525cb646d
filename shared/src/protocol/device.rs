//! The device's half: one sync of its documents, as a machine its driver steps through.
//!
//! Records go first and in few round trips: the documents edited here are pushed before
//! anything else, in sessions that start from the heads the server acknowledged (so the first
//! message already carries the new changes). When the push's last reply carries the server's
//! summary and it is the device's own, the sync is over in that one round trip. Otherwise a
//! summary-only manifest follows (one small round trip when nothing else changed: the server
//! remembers what this device holds), the list of documents only when the server asks, and
//! sync messages for the documents that differ, at most [`MAX_DOCS_PER_REQUEST`] per request,
//! until both sides hold the same heads.
//!
//! The driver loops: [`DeviceSync::next_request`] says what to send (or that the sync is
//! over); the driver sends it and hands the answer to [`DeviceSync::on_manifest`] or
//! [`DeviceSync::on_exchange`]. What the machine reads and writes on the device goes through
//! [`DeviceSide`]: each reply is committed per document in one write together with the
//! session and the acknowledged heads ([`Commit`]), so a sync cut off at any point resumes
//! where it stopped and never claims more than the device holds. A failed request just ends
//! the machine; the next sync starts a new one.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, ChangeHash};

use crate::api::{
    API_VERSION, DocMessage, HeadsDigest, MAX_DOCS_PER_REQUEST, ManifestEntry, ManifestRequest,
    ManifestResponse, SyncRequest, SyncResponse, same_heads,
};
use crate::doc::DocId;
use crate::time::Timestamp;

/// Most exchange rounds one sync makes; automerge needs two or three, more means a bug or a
/// server that keeps changing, and the next sync continues.
pub const MAX_ROUNDS: usize = 16;

/// The server's reply made no sense: the sync stops, nothing of the reply is committed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadReply(pub String);

/// What the device's store says about a document's last sync.
#[derive(Debug, Clone, Default)]
pub struct LastSync {
    /// The heads the server last acknowledged.
    pub acked: Vec<ChangeHash>,
    /// The session committed with the last reply (`sync::State::encode`).
    pub state: Option<Vec<u8>>,
}

/// One document's step of a sync, to commit in one write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The document.
    pub doc: DocId,
    /// Changes received (an incremental save; empty when none).
    pub changes: Vec<u8>,
    /// The session to resume from (`sync::State::encode`).
    pub state: Vec<u8>,
    /// The server's durable heads, when it acknowledged them.
    pub acked: Option<Vec<ChangeHash>>,
    /// The server's refusal, kept on the document; `None` clears an earlier one.
    pub refused: Option<String>,
    /// Both sides now hold the same heads: nothing edited here is unsent.
    pub finished: bool,
}

/// What the sync reads and writes on the device. Called between requests, never across one.
pub trait DeviceSide {
    /// The side's errors; a reply that makes no sense becomes one.
    type Error: From<BadReply>;
    /// Documents edited here since the server last acknowledged them.
    fn unsent(&mut self) -> Result<Vec<DocId>, Self::Error>;
    /// Every document on the device with its heads.
    fn all_heads(&mut self) -> Result<Vec<(DocId, Vec<ChangeHash>)>, Self::Error>;
    /// The document, loaded; an empty one (held in memory) when the device has none yet.
    fn doc(&mut self, doc: &DocId) -> Result<&mut AutoCommit, Self::Error>;
    /// What was committed about the document's last sync.
    fn last_sync(&mut self, doc: &DocId) -> Result<LastSync, Self::Error>;
    /// Commits one document's step, all or nothing.
    fn commit(&mut self, commit: Commit) -> Result<(), Self::Error>;
    /// The server refused the document's changes: set the refused work aside and go on from
    /// what the server acknowledged. `false` when there is nothing to go back to (the
    /// machine then commits the refusal on the document).
    fn set_aside(&mut self, doc: &DocId, reason: &str) -> Result<bool, Self::Error>;
}

/// A request to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `POST /api/v1/sync/manifest`.
    Manifest(ManifestRequest),
    /// `POST /api/v1/sync/exchange`.
    Exchange(SyncRequest),
}

/// What one sync did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Documents the server acknowledged.
    pub docs_acked: usize,
    /// Documents whose changes the server refused, with its reasons.
    pub refused: Vec<(DocId, String)>,
    /// Those of them whose refused work was set aside: they sync on, from what the server
    /// holds.
    pub set_aside: Vec<DocId>,
    /// Requests made.
    pub round_trips: usize,
    /// Documents to exchange in this sync, as known so far.
    pub docs_total: usize,
    /// Of them, documents exchanged at least once.
    pub docs_done: usize,
}

impl Tally {
    /// Whether `doc` stays refused: its refused work could not be set aside.
    fn blocked(&self, doc: &DocId) -> bool {
        self.refused.iter().any(|(r, _)| r == doc) && !self.set_aside.contains(doc)
    }

    fn was_refused(&self, doc: &DocId) -> bool {
        self.refused.iter().any(|(r, _)| r == doc)
    }
}

#[derive(Debug)]
enum Stage {
    Start,
    /// Exchanging: the push (then the manifest) or the pull (then the end).
    Exchanging {
        then_manifest: bool,
    },
    Manifest {
        with_entries: bool,
    },
    Done,
}

/// One sync of the device's documents. See the module docs.
#[derive(Debug)]
pub struct DeviceSync {
    stage: Stage,
    sessions: BTreeMap<DocId, sync::State>,
    /// Documents left in this round, and those for the next.
    round: VecDeque<DocId>,
    next_round: Vec<DocId>,
    rounds: usize,
    /// Documents of the request in flight.
    in_flight: Vec<DocId>,
    exchanged: BTreeSet<DocId>,
    /// The server's summary from the last reply, when it sent one.
    server_summary: Option<HeadsDigest>,
    tally: Tally,
}

impl Default for DeviceSync {
    fn default() -> Self {
        Self::new()
    }
}

impl DeviceSync {
    /// A sync about to start.
    pub fn new() -> Self {
        Self {
            stage: Stage::Start,
            sessions: BTreeMap::new(),
            round: VecDeque::new(),
            next_round: Vec::new(),
            rounds: 0,
            in_flight: Vec::new(),
            exchanged: BTreeSet::new(),
            server_summary: None,
            tally: Tally::default(),
        }
    }

    /// What the sync did so far.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// The next request to send, or `None` once the documents' sync is over.
    pub fn next_request<S: DeviceSide>(
        &mut self,
        side: &mut S,
        now: Timestamp,
    ) -> Result<Option<Request>, S::Error> {
        loop {
            match self.stage {
                Stage::Start => {
                    let pushed = side.unsent()?;
                    if pushed.is_empty() {
                        self.stage = Stage::Manifest {
                            with_entries: false,
                        };
                    } else {
                        self.open(side, pushed)?;
                        self.stage = Stage::Exchanging {
                            then_manifest: true,
                        };
                    }
                }
                Stage::Exchanging { then_manifest } => {
                    if let Some(messages) = self.next_batch(side)? {
                        self.tally.round_trips += 1;
                        return Ok(Some(Request::Exchange(SyncRequest {
                            api_version: API_VERSION,
                            device_time: now,
                            messages,
                        })));
                    }
                    self.stage = if then_manifest && !self.in_sync_after_push(side, now)? {
                        Stage::Manifest {
                            with_entries: false,
                        }
                    } else {
                        Stage::Done
                    };
                }
                Stage::Manifest { with_entries } => {
                    self.tally.round_trips += 1;
                    return Ok(Some(Request::Manifest(manifest_request(
                        side.all_heads()?,
                        with_entries,
                        now,
                    ))));
                }
                Stage::Done => return Ok(None),
            }
        }
    }

    /// Whether the push left the device holding exactly what the server holds: the last
    /// reply carried the server's summary and it is the device's own. Then the manifest would
    /// only say "in sync", and is not sent.
    fn in_sync_after_push<S: DeviceSide>(
        &mut self,
        side: &mut S,
        now: Timestamp,
    ) -> Result<bool, S::Error> {
        let Some(server) = self.server_summary else {
            return Ok(false);
        };
        Ok(manifest_request(side.all_heads()?, false, now).summary == server)
    }

    /// Takes the server's answer to the manifest just sent.
    pub fn on_manifest<S: DeviceSide>(
        &mut self,
        side: &mut S,
        answer: ManifestResponse,
    ) -> Result<(), S::Error> {
        let Stage::Manifest { with_entries } = self.stage else {
            return Err(
                BadReply("a manifest answer arrived when none was asked for".into()).into(),
            );
        };
        let todo: Vec<DocId> = match answer {
            ManifestResponse::InSync { .. } => {
                self.stage = Stage::Done;
                return Ok(());
            }
            ManifestResponse::SendEntries { .. } if with_entries => {
                return Err(
                    BadReply("the server asked for the manifest entries twice".into()).into(),
                );
            }
            ManifestResponse::SendEntries { .. } => {
                self.stage = Stage::Manifest { with_entries: true };
                return Ok(());
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
                .filter(|d| !self.tally.blocked(d))
                .collect(),
        };
        self.open(side, todo)?;
        self.stage = Stage::Exchanging {
            then_manifest: false,
        };
        Ok(())
    }

    /// Takes the server's answer to the exchange just sent and commits it.
    pub fn on_exchange<S: DeviceSide>(
        &mut self,
        side: &mut S,
        reply: SyncResponse,
    ) -> Result<(), S::Error> {
        let sent = std::mem::take(&mut self.in_flight);
        self.server_summary = reply.summary;
        let finished = self.apply(side, reply)?;
        for doc in &sent {
            if self.exchanged.insert(doc.clone()) {
                self.tally.docs_done += 1;
            }
        }
        let tally = &self.tally;
        self.next_round.extend(
            sent.into_iter()
                .filter(|d| !finished.contains(d) && !tally.was_refused(d)),
        );
        Ok(())
    }

    /// Starts the sessions of an exchange phase.
    fn open<S: DeviceSide>(&mut self, side: &mut S, docs: Vec<DocId>) -> Result<(), S::Error> {
        self.sessions.clear();
        self.exchanged.clear();
        self.rounds = 0;
        self.next_round.clear();
        self.tally.docs_total += docs.len();
        for doc in &docs {
            let last = side.last_sync(doc)?;
            let am = side.doc(doc)?;
            self.sessions.insert(doc.clone(), session_from(am, last));
        }
        self.round = docs.into();
        Ok(())
    }

    /// The messages of the next request of this phase, or `None` when it is over.
    fn next_batch<S: DeviceSide>(
        &mut self,
        side: &mut S,
    ) -> Result<Option<Vec<DocMessage>>, S::Error> {
        loop {
            if self.round.is_empty() {
                self.rounds += 1;
                if self.next_round.is_empty() || self.rounds >= MAX_ROUNDS {
                    return Ok(None);
                }
                self.round = std::mem::take(&mut self.next_round).into();
            }
            let take = self.round.len().min(MAX_DOCS_PER_REQUEST);
            let batch: Vec<DocId> = self.round.drain(..take).collect();
            let mut messages = Vec::new();
            for doc in batch {
                let am = side.doc(&doc)?;
                let Some(state) = self.sessions.get_mut(&doc) else {
                    continue;
                };
                if let Some(m) = am.sync().generate_sync_message(state) {
                    messages.push(DocMessage {
                        doc,
                        message: m.encode(),
                    });
                }
            }
            if !messages.is_empty() {
                self.in_flight = messages.iter().map(|m| m.doc.clone()).collect();
                return Ok(Some(messages));
            }
        }
    }

    /// Applies and commits a reply. Returns the documents both sides now hold at the same
    /// heads: nothing more to say about those.
    fn apply<S: DeviceSide>(
        &mut self,
        side: &mut S,
        reply: SyncResponse,
    ) -> Result<Vec<DocId>, S::Error> {
        let acks: BTreeMap<DocId, Vec<ChangeHash>> = reply
            .acks
            .iter()
            .filter(|a| self.sessions.contains_key(&a.doc))
            .map(|a| (a.doc.clone(), a.change_hashes()))
            .collect();
        // Decode everything first: a reply that makes no sense commits nothing.
        let mut messages = BTreeMap::new();
        for m in reply.messages {
            let message = sync::Message::decode(&m.message).map_err(|e| {
                BadReply(format!(
                    "the server's sync message for {} cannot be read: {e}",
                    m.doc
                ))
            })?;
            if self.sessions.contains_key(&m.doc) {
                messages.insert(m.doc, message);
            }
        }
        let touched: BTreeSet<DocId> = messages.keys().chain(acks.keys()).cloned().collect();
        let mut finished = Vec::new();
        for doc in touched {
            let state = self
                .sessions
                .get_mut(&doc)
                .expect("filtered to open sessions");
            let am = side.doc(&doc)?;
            let mut changes = Vec::new();
            if let Some(message) = messages.remove(&doc) {
                let before = am.get_heads();
                am.sync()
                    .receive_sync_message(state, message)
                    .map_err(|e| {
                        BadReply(format!(
                            "the server's sync message for {doc} does not apply: {e}"
                        ))
                    })?;
                changes = am
                    .get_changes(&before)
                    .iter()
                    .flat_map(|c| c.raw_bytes().to_vec())
                    .collect();
            }
            let acked = acks.get(&doc).cloned();
            let done = acked
                .as_ref()
                .is_some_and(|heads| same_heads(&am.get_heads(), heads));
            if acked.is_some() {
                self.tally.docs_acked += 1;
            }
            side.commit(Commit {
                doc: doc.clone(),
                changes,
                state: state.encode(),
                acked: acked.clone(),
                refused: None,
                finished: done,
            })?;
            if let (true, Some(heads)) = (done, acked) {
                // Both sides hold the same heads: the session is over.
                let mut state = sync::State::new();
                state.shared_heads = heads;
                self.sessions.insert(doc.clone(), state);
                finished.push(doc);
            }
        }
        for r in reply.refused {
            if !self.sessions.contains_key(&r.doc) {
                continue;
            }
            // The server dropped its side of the session; so do we.
            self.sessions.insert(r.doc.clone(), sync::State::new());
            if side.set_aside(&r.doc, &r.reason)? {
                self.tally.set_aside.push(r.doc.clone());
            } else {
                side.commit(Commit {
                    doc: r.doc.clone(),
                    changes: Vec::new(),
                    state: sync::State::new().encode(),
                    acked: None,
                    refused: Some(r.reason.clone()),
                    finished: false,
                })?;
            }
            self.tally.refused.push((r.doc, r.reason));
        }
        Ok(finished)
    }
}

/// The session to start `doc` with. When the server acknowledged heads this device holds,
/// the session starts as if the server had just said "I have those": the first message then
/// carries the changes made since, and a push is one round trip instead of two. Otherwise
/// only the heads both sides shared are kept (automerge's rule between connections).
pub fn session_from(doc: &mut AutoCommit, last: LastSync) -> sync::State {
    let LastSync { acked, state } = last;
    if !acked.is_empty() && doc.get_missing_deps(&acked).is_empty() {
        let mut state = sync::State::new();
        state.shared_heads = acked.clone();
        state.their_heads = Some(acked.clone());
        state.their_need = Some(Vec::new());
        state.their_have = Some(vec![sync::Have {
            last_sync: acked,
            bloom: sync::BloomFilter::default(),
        }]);
        return state;
    }
    state
        .and_then(|bytes| sync::State::decode(&bytes).ok())
        .unwrap_or_default()
}

/// The manifest of the documents held, with their list when `with_entries`.
pub fn manifest_request(
    held: Vec<(DocId, Vec<ChangeHash>)>,
    with_entries: bool,
    now: Timestamp,
) -> ManifestRequest {
    let entries: Vec<ManifestEntry> = held
        .into_iter()
        .map(|(doc, heads)| ManifestEntry {
            heads: HeadsDigest::of_heads(&heads),
            doc,
        })
        .collect();
    let summary = HeadsDigest::of_manifest(entries.iter().map(|e| (&e.doc, &e.heads)));
    ManifestRequest {
        api_version: API_VERSION,
        device_time: now,
        summary,
        entries: with_entries.then_some(entries),
    }
}
