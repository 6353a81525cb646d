//! The sync protocol's two halves as pure cores: no network, no database, no clock.
//!
//! Each half takes what arrived (a device's message, the server's reply, what the store
//! holds) and says what to send and what to write; its driver does the I/O around it. The
//! server's driver is the HTTP handler (`sync-server/src/handlers/sync.rs`), the device's is
//! the app engine's sync (`app/src/sync_run.rs`). Because the rules live here, a simulation
//! can drive both halves through a network that drops, duplicates, delays and reorders
//! messages and through crashes at any point (`shared/tests/simulation.rs`).
//!
//! - [`server`]: one device's message for one document: apply it to a scratch copy, keep what
//!   waits for a dependency, hand the new changes over for validation and storage, answer once
//!   they are durable.
//! - [`manifest`]: which documents differ, from the device's summary, its list, or the
//!   position the server remembers.
//! - [`device`]: the device's whole document sync: push what was edited here, ask the
//!   manifest, exchange until both sides hold the same heads, committing each reply.
//!
//! `docs/protocol.md` describes the same exchange for someone writing another client.

pub mod device;
pub mod manifest;
pub mod server;
