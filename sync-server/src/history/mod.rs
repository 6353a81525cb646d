//! A believable project history, scripted from a seed: what the demo starts from, and what the
//! report tests and the report benchmark count against.
//!
//! [`generate`] draws a script for a project of B buildings × F floors × P units ([`Params`])
//! with the residential checklist and six contractors, or for a project given to it (the
//! demo's 郦城): for every finding, when it was recorded, how it came in, what it is, and what
//! happened to it afterwards — notices, answers, refusals, disputes and reassignments, repair
//! reports, acceptances, emergency repairs, fines, callbacks, merges, cancellations, closings —
//! as [`Step`]s, together with the plain facts those steps establish ([`Facts`]: when each
//! notice was issued, answered, stopped, accepted, …). It also starts pre-handover rounds. The
//! *report month* is the calendar month, in Beijing time, before the one [`Params::now`] falls
//! in; the script spreads findings over that month and the three before it.
//!
//! The script only appends events the workflow accepts in the state the case is in ([`Sim`]
//! asserts it step by step). A caller that needs lives of a certain kind (the report tests
//! avoid the places where `docs/reports.md` leaves the answer open) gives [`Params::redraw`],
//! and a life is drawn again while it says why the life will not do.
//!
//! [`write`] stores the project and every unit document through the server's own write path
//! ([`crate::unit_write::edit_unit`], the one the office actions use), so the receipts and the
//! projection are the real ones; photos are either only referenced or generated and stored
//! like a phone's ([`Photos`]).
//!
//! Nothing here reads the wall clock or the machine's randomness: the same [`Params`] give the
//! same script on every machine.

mod builder;
mod edge_cases;
mod generate;
mod lives;
pub mod photos;
mod rng;
mod script;
mod sim;
mod today;
mod words;
mod write;

pub use generate::{THRESHOLD_GROUPS, generate};
pub use rng::{Month, Rng};
pub use script::*;
pub use sim::Sim;
pub use today::OPEN_WORK;
pub use write::{Cast, Photos, actor, write};

pub(crate) use builder::*;
pub(crate) use edge_cases::*;
pub(crate) use lives::*;
