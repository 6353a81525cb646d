//! # plumbline-shared
//!
//! The vocabulary of Plumbline and the rules every replica applies the same way. Pure: no I/O,
//! no async; callers pass "now", read from the one [`clock::Clock`] (the only module that reads
//! the operating system's time, owned by the server's state and by the device engine).
//!
//! - [`ids`]: typed ids ([`ids::UnitId`], [`ids::FindingId`], [`ids::BlobHash`], …).
//! - [`project`]: project (楼盘) → building (楼栋) → unit (户), contractors (施工单位).
//! - [`template`]: checklist templates (rooms × check items), validated on load.
//! - [`inspection_plan`]: handover readiness and inspection planning — who walks which floors when
//!   ([`inspection_plan::Assignment`], kept in the project document), and when a unit counts as inspected.
//! - [`floor_plan`]: floor-plan images of a building's floors, kept in the project document,
//!   on which an inspector pins where a defect is.
//! - [`demo`]: the demo project, 郦城 (Licheng).
//! - [`doc`]: the automerge documents — one per unit (rounds, checklist results, findings with
//!   their evidence and event timelines) and one per project — and the typed operations that
//!   change them.
//! - [`event`]: what can happen to a finding (notice issued, repair reported, fine drafted, …),
//!   and beside it [`penalty`]: the five penalty conditions a fine slip names.
//! - [`workflow`]: one deterministic function from a finding's events and the time to its
//!   [`workflow::CaseState`]: status, deadlines, overdue flags, penalty conditions 1–5,
//!   emergency repair, callbacks, anomalies.
//! - [`projection`]: a unit document as rows of case records, for the server's tables.
//! - [`api`]: the versioned sync wire types that the app and the server share.
//! - [`validate`]: what a device's changes to a unit or project document may do, checked by the
//!   server before it stores them (the same rules the app applies when it makes them).
//! - [`money`]: amounts in fen, typed and printed in yuan, and in Chinese capital numerals on
//!   printed slips.
//! - [`units_csv`]: the buildings-and-units CSV an administrator imports, read and checked.
//!
//! ```
//! use plumbline_shared::doc::unit::{NewFinding, UnitDoc};
//! use plumbline_shared::event::Origin;
//! use plumbline_shared::ids::{DeviceId, ProjectId, UnitId, UserId};
//! use plumbline_shared::role::{Actor, Role};
//! use plumbline_shared::severity::Severity;
//! use plumbline_shared::time::Timestamp;
//! use plumbline_shared::workflow::{CaseState, Status, WorkflowSettings};
//!
//! let unit = UnitId::new("licheng-b1-1201").unwrap();
//! let mut doc = UnitDoc::new(&ProjectId::new("licheng").unwrap(), &unit);
//! let inspector = Actor {
//!     user: UserId::new("wang.li").unwrap(),
//!     role: Role::Inspector,
//!     device: DeviceId::new("phone-1").unwrap(),
//! };
//! let id = doc
//!     .record_finding(&inspector, Timestamp(1_000), NewFinding {
//!         origin: Origin::Inspection,
//!         round: None,
//!         room: "kitchen".parse().unwrap(),
//!         item: "kitchen.drain".parse().unwrap(),
//!         category: "plumbing".parse().unwrap(),
//!         severity: Severity::S2,
//!         description: "水槽下水慢".into(),
//!     })
//!     .unwrap();
//! let finding = doc.finding(&id).unwrap();
//! let state = CaseState::derive(&finding.timeline(), Timestamp(2_000), &WorkflowSettings::default());
//! assert_eq!(state.status, Status::Open);
//! ```
#![deny(missing_docs)]

pub mod api;
pub mod clock;
pub mod demo;
pub mod doc;
pub mod enroll_link;
pub mod event;
pub mod floor_plan;
pub mod ids;
pub mod inspection_plan;
pub mod lang;
pub mod money;
pub mod penalty;
pub mod project;
pub mod projection;
pub mod protocol;
pub mod role;
pub mod severity;
pub mod short_name;
pub mod template;
pub mod time;
pub mod units_csv;
pub mod validate;
pub mod workflow;
