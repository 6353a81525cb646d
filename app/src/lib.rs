//! # plumbline-app
//!
//! The inspector's app (投诉代表 and 施工单位 on a phone with no signal), in two layers:
//!
//! - the **device engine** ([`Engine`]): the one owner of the local SQLite store
//!   ([`local_store`]), the automerge unit and project documents and the photo files
//!   ([`files`]). It records findings and photos offline, committing each action before it
//!   reports it saved, turns camera files into evidence ([`capture`]: bounded decode, EXIF
//!   orientation and time, 2,048 px JPEG, thumbnail, BLAKE3), and syncs with the sync server
//!   ([`sync_run`], [`uploads`], over [`client`]) in the background: records first, then
//!   photos in resumable chunks, then the floor-plan images the editor shows ([`floor_plan_images`]). It takes
//!   commands and emits [`events`], so it runs the same with or without a window; the
//!   end-to-end tests drive it directly.
//! - the **Dioxus UI** ([`ui`]): one screen per file, each a component of plain props that
//!   renders the same under dioxus-ssr in tests as in the window; one root ([`ui::InspectorApp`])
//!   that reads view models from the engine and sends it commands — no screen touches SQLite
//!   or automerge. The window itself (`src/main.rs`) is behind the `desktop` feature, so the
//!   library and its tests never link WebKit.

pub mod account;
pub mod client;
pub mod contractor;
pub mod engine;
pub mod events;
pub mod files;
pub mod floor_plan_images;
pub mod inspection;
pub mod local_records;
pub mod local_store;
pub mod notifications;
pub mod set_aside;
pub mod signature;
pub mod sync_run;
pub mod ui;
pub mod uploads;
pub mod walk;

pub use account::{SignOutError, UnsyncedWork};
pub use engine::{DeviceIdentity, Engine, EngineError, NewPhoto};
pub use events::{EngineEvent, Outbox, SyncProgress, SyncStatus};
pub use sync_run::SyncReport;
