//! # plumbline-app
//!
//! The inspector's app (投诉代表 and 施工单位 on a phone with no signal). It will hold two layers:
//!
//! - the **device engine**: a headless task that owns the local SQLite store, the automerge unit
//!   and project documents and the photo files; captures findings and evidence offline; and syncs
//!   with the sync server using the wire types in `plumbline_shared::api`. It takes commands and
//!   emits events, so it runs the same with or without a window (the end-to-end tests drive it
//!   directly).
//! - the **Dioxus UI**: one screen per file, all routes in one place, that only sends commands to
//!   the engine and renders its events — it never touches SQLite or automerge itself.
//!
//! Nothing is built here yet; the domain rules it will use live in `plumbline_shared`.
