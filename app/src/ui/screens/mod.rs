//! One screen per file. Each takes plain props (view models, the language, callbacks), so it
//! renders the same in the window and under dioxus-ssr in the component tests.

pub mod enroll;
pub mod finding;
pub mod finding_editor;
pub mod findings;
pub mod floor_plan;
pub mod folder_pick;
pub mod grid;
pub mod notices;
pub mod photo_picker;
pub mod projects;
pub mod settings;
pub mod shell;
pub mod sync;
pub mod tasks;
pub mod unit;
pub mod walk;
