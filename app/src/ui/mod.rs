//! The inspector app's screens (Dioxus).
//!
//! - [`screens`]: one component per screen, plain props only.
//! - [`model`]: the view models those props are, computed from the engine's records.
//! - [`app`]: the root, [`InspectorApp`]: navigation, the engine's events, and the commands.
//! - [`i18n`], [`errors`], [`style`], [`icons`]: words, failures in words, the stylesheet,
//!   and the icons (inline SVG, independent of the system's fonts).

pub mod app;
pub mod errors;
pub mod i18n;
pub mod icons;
pub mod model;
pub mod photos;
pub mod screens;
pub mod style;

pub use app::{AppContext, InspectorApp};
