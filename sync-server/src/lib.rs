//! # plumbline-sync-server
//!
//! The server side of Plumbline. It will hold:
//!
//! - the **axum sync server**: authenticated, batched sync of automerge documents with devices,
//!   a change from a device checked against its author's role before it is kept, and an explicit,
//!   durable acknowledgement;
//! - **storage**: append-only change storage behind one store trait, SQLite by default and
//!   PostgreSQL for several server replicas;
//! - **blobs**: evidence photos stored by their BLAKE3 hash, uploaded resumably and verified;
//! - the **projection**: the case-record tables (cases, events, notices, fines, …) derived from
//!   the documents with `plumbline_shared`'s workflow, rebuildable at will;
//! - the **office web**: server-rendered pages for office staff (zh-CN first, English second),
//!   whose actions are changes to the same documents.
//!
//! Nothing is built here yet.
