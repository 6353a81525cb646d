//! The server's half of an exchange, one document at a time.
//!
//! For each document of a device's request the driver takes the device's [`Session`] out of
//! [`Sessions`] and calls [`Session::receive`] with the server's durable copy. What comes back
//! is either nothing to store ([`Received::Nothing`]) or the new changes applied to a scratch
//! copy ([`Received::Changes`]): the driver validates them and stores them, and only once the
//! write is durable turns the candidate's [`Unstored`] answer into a [`Held`] one
//! ([`Unstored::stored`]). [`Held::answer`] then says what to reply, and what is left of the
//! session goes back ([`Sessions::keep`]).
//! A candidate that is refused is simply dropped: its session goes with it, and the device's
//! next message starts a new one from what it has.
//!
//! Sessions (automerge sync states, one per device and document) and the changes waiting for
//! a dependency are memory only: a restart forgets them and costs a device one more round
//! trip, which automerge's protocol handles by itself.

use std::collections::HashMap;

use automerge::sync::{self, SyncDoc};
use automerge::{AutoCommit, AutomergeError, Change, ChangeHash};

use crate::api::same_heads;
use crate::doc::DocId;
use crate::ids::DeviceId;

/// Most sync states kept; past it, all are dropped (devices then take one extra round trip).
const MAX_SYNC_STATES: usize = 200_000;
/// Most bytes of waiting changes kept per device and document (see [`Session::receive`]).
const MAX_WAITING_BYTES: usize = 8 * 1024 * 1024;
/// Most bytes of waiting changes kept in all; past it, all are dropped (the devices' next
/// sessions send them again).
const MAX_WAITING_TOTAL_BYTES: usize = 64 * 1024 * 1024;

type Key = (DeviceId, DocId);

/// Every device's session on every document, and the changes that wait for a dependency.
#[derive(Default)]
pub struct Sessions {
    states: HashMap<Key, sync::State>,
    /// Raw changes (as `load_incremental` takes them) waiting for a change they depend on.
    waiting: HashMap<Key, Vec<Vec<u8>>>,
    waiting_bytes: usize,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("states", &self.states.len())
            .field("waiting", &self.waiting.len())
            .field("waiting_bytes", &self.waiting_bytes)
            .finish()
    }
}

/// What a device's message brought for one document.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per document of a request, built and matched once
pub enum Received {
    /// Nothing to store: no new change, or new changes still waiting for one they depend on
    /// (the answer asks for it). Answer with [`Held::answer`].
    Nothing(Held),
    /// New changes, applied to a scratch copy: validate them, store them, then
    /// [`Unstored::stored`].
    Changes(Box<Candidate>),
}

/// New changes from a device, not stored yet.
#[derive(Debug)]
pub struct Candidate {
    /// The server's heads before them.
    pub before: Vec<ChangeHash>,
    /// The server's copy with them applied.
    pub after: AutoCommit,
    /// The new changes themselves, in causal order.
    pub incoming: Vec<Change>,
    /// The answer, once they are stored.
    pub unstored: Unstored,
}

/// The answer to changes that are not durable yet.
#[derive(Debug)]
pub struct Unstored(Held);

impl Unstored {
    /// The changes (or what the driver made of them) are durable: the answer may
    /// acknowledge them. Calling this before the write would let a crash lose a change the
    /// device was told is stored.
    pub fn stored(self) -> Held {
        self.0
    }
}

/// A document's part of the answer, between receiving and replying.
#[derive(Debug)]
pub struct Held {
    state: sync::State,
    /// Changes the device's waiting changes depend on and did not send: the answer asks.
    missing: Vec<ChangeHash>,
    /// The device's changes that wait for those, to keep for its next request.
    waiting: Vec<Vec<u8>>,
}

/// One device's session on one document, taken out of [`Sessions`] for the length of a
/// request ([`Sessions::take`]): the automerge work on it happens outside the lock that
/// guards every device's sessions, and what is left goes back with [`Sessions::keep`].
#[derive(Debug, Default)]
pub struct Session {
    state: sync::State,
    waiting: Vec<Vec<u8>>,
}

/// What goes back into [`Sessions`] after an answer.
#[derive(Debug)]
pub struct Kept {
    state: sync::State,
    waiting: Vec<Vec<u8>>,
}

/// The server's answer for one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The encoded sync message to send, if there is anything to say.
    pub message: Option<Vec<u8>>,
    /// The server's durable heads: the acknowledgement.
    pub heads: Vec<ChangeHash>,
    /// Whether the device holds the server's heads once it has this answer (the server holds
    /// every head the device announced). Only then may its position be moved.
    pub device_holds_heads: bool,
}

/// Whether an exchange's reply carries the server's summary
/// ([`crate::api::SyncResponse::summary`]): the exchange stored new changes (a push; a pull
/// has no use for it, and computing it reads every document's heads), none of its documents
/// was refused, and each answer leaves the device holding the server's heads
/// ([`Answer::device_holds_heads`]).
pub fn summary_due(
    device_holds_heads: impl IntoIterator<Item = bool>,
    refused: usize,
    stored: usize,
) -> bool {
    stored > 0 && refused == 0 && device_holds_heads.into_iter().all(|holds| holds)
}

/// Decodes a device's sync message for `doc`; an error says in words what is wrong with it
/// (automerge's own texts name its parser's internals).
pub fn decode_message(doc: &DocId, bytes: &[u8]) -> Result<sync::Message, String> {
    sync::Message::decode(bytes).map_err(|_| match bytes.first() {
        None => format!("the sync message for {doc} is empty"),
        Some(0x42 | 0x43) => format!(
            "the sync message for {doc} is damaged or cut short: it starts like an \
                 automerge sync message but does not decode"
        ),
        Some(b) => format!(
            "the sync message for {doc} is not an automerge sync message: it starts with \
                 byte 0x{b:02x}, where 0x42 or 0x43 is expected"
        ),
    })
}

/// Keeps only the heads both sides share: the rest of a state belongs to one connection.
fn between_connections(state: &sync::State) -> sync::State {
    sync::State::decode(&state.encode()).unwrap_or_default()
}

impl Sessions {
    /// No session yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a new session of `device` for `docs` (a manifest named them): the
    /// per-connection parts of their states (what was sent, what the device was last known to
    /// have) are dropped, keeping only the heads both sides shared. automerge's protocol
    /// expects exactly this between connections; without it, a state that believes
    /// everything was already sent stays silent while the device has since lost or never
    /// applied what was sent.
    pub fn begin<'a>(&mut self, device: &DeviceId, docs: impl IntoIterator<Item = &'a DocId>) {
        for doc in docs {
            if let Some(state) = self.states.get_mut(&(device.clone(), doc.clone())) {
                *state = between_connections(state);
            }
        }
    }

    /// Takes `device`'s session on `doc_id` out, for one request (a new one when there is
    /// none). Put back what is left with [`Sessions::keep`]; a session not put back is over.
    pub fn take(&mut self, device: &DeviceId, doc_id: &DocId) -> Session {
        let key = (device.clone(), doc_id.clone());
        Session {
            state: self.states.remove(&key).unwrap_or_default(),
            waiting: self.take_waiting(&key),
        }
    }

    /// Keeps what an answer left of `device`'s session on `doc_id` for its next request.
    pub fn keep(&mut self, device: &DeviceId, doc_id: &DocId, kept: Kept) {
        let key = (device.clone(), doc_id.clone());
        if self.states.len() >= MAX_SYNC_STATES {
            self.states.clear();
        }
        self.states.insert(key.clone(), kept.state);
        self.keep_waiting(key, kept.waiting);
    }

    /// Forgets everything: what a restart does.
    pub fn clear(&mut self) {
        self.states.clear();
        self.waiting.clear();
        self.waiting_bytes = 0;
    }

    fn take_waiting(&mut self, key: &Key) -> Vec<Vec<u8>> {
        let taken = self.waiting.remove(key).unwrap_or_default();
        self.waiting_bytes -= taken.iter().map(Vec::len).sum::<usize>();
        taken
    }

    fn keep_waiting(&mut self, key: Key, changes: Vec<Vec<u8>>) {
        let bytes: usize = changes.iter().map(Vec::len).sum();
        if changes.is_empty() || bytes > MAX_WAITING_BYTES {
            return;
        }
        if self.waiting_bytes + bytes > MAX_WAITING_TOTAL_BYTES {
            self.waiting.clear();
            self.waiting_bytes = 0;
        }
        self.waiting_bytes += bytes;
        self.waiting.insert(key, changes);
    }
}

impl Session {
    /// Applies the device's `message` to a scratch copy of `doc`.
    ///
    /// Changes whose dependencies have not arrived wait here for the device's next request.
    /// automerge's protocol expects the receiver to hold such changes and ask for what they
    /// depend on: the sender decides what to send from a Bloom filter of what the receiver
    /// has, and a false positive (about 1 in 100 changes) makes it leave out a change the
    /// receiver lacks. The sender never sends a change twice in one session, so a receiver
    /// that dropped the waiting ones would wait for them forever. Nothing waiting is stored
    /// or validated until its dependencies are there; past a bound the waiting changes are
    /// dropped, and the device's next session sends them again.
    ///
    /// An error (the message does not apply) ends the device's session on the document.
    pub fn receive(
        self,
        doc: &mut AutoCommit,
        message: sync::Message,
    ) -> Result<Received, AutomergeError> {
        let Session {
            mut state,
            mut waiting,
        } = self;
        let before = doc.get_heads();
        let mut fork = doc.fork();
        let mut fork_state = state.clone();
        let arriving: Vec<Vec<u8>> = message.changes.iter().map(<[u8]>::to_vec).collect();
        waiting
            .iter()
            .try_for_each(|chunk| fork.load_incremental(chunk).map(drop))
            .and_then(|()| fork.sync().receive_sync_message(&mut fork_state, message))?;
        waiting.extend(arriving);
        let missing: Vec<ChangeHash> = fork
            .get_missing_deps(&[])
            .into_iter()
            .filter(|h| !before.contains(h))
            .collect();
        if missing.is_empty() {
            waiting.clear();
        }
        let incoming = fork.get_changes(&before);
        // With changes still waiting, nothing is stored yet: the batch is validated and
        // stored whole once what it depends on has arrived (the answer asks for it).
        if incoming.is_empty() || !missing.is_empty() {
            // Whatever applied to the scratch copy is not stored: the heads both sides share
            // are still those from before this message.
            let shared = std::mem::take(&mut state.shared_heads);
            let mut state = fork_state;
            if !missing.is_empty() {
                state.shared_heads = shared;
            }
            return Ok(Received::Nothing(Held {
                state,
                missing,
                waiting,
            }));
        }
        Ok(Received::Changes(Box::new(Candidate {
            before,
            after: fork,
            incoming,
            unstored: Unstored(Held {
                state: fork_state,
                missing,
                waiting,
            }),
        })))
    }
}

impl Held {
    /// What to answer for the document whose durable copy is `doc` (with any accepted changes
    /// stored), and what to keep of the session ([`Sessions::keep`]).
    pub fn answer(self, doc: &mut AutoCommit) -> (Answer, Kept) {
        let Held {
            mut state,
            missing,
            waiting,
        } = self;
        let heads = doc.get_heads();
        let device_heads = state.their_heads.clone().unwrap_or_default();
        // A device that already holds exactly the server's heads (the usual end of a push)
        // needs no sync message: the acknowledgement tells it the same, in fewer bytes.
        let mut reply = if same_heads(&device_heads, &heads) {
            None
        } else {
            doc.sync().generate_sync_message(&mut state)
        };
        if let Some(m) = reply.as_mut() {
            // The encoding requires sorted hashes.
            m.need.extend(missing.iter().copied());
            m.need.sort();
            m.need.dedup();
        }
        // After this answer the device holds the server's heads, provided the server holds
        // every head the device announced.
        let device_holds_heads = doc.get_missing_deps(&device_heads).is_empty();
        // Nothing more to say, or the answer completes the device's copy (clients stop once
        // both sides hold the same heads): the session is over, keep only the shared heads.
        // The full state (the device's `have` summaries, every change sent) is the bulk of
        // the server's memory per device and document — 50 devices × 241 documents of them
        // were 30 MiB; should the device still answer, its message says what it has.
        if reply.is_none() || device_holds_heads {
            state = between_connections(&state);
        }
        let answer = Answer {
            message: reply.map(sync::Message::encode),
            heads,
            device_holds_heads,
        };
        (answer, Kept { state, waiting })
    }
}
