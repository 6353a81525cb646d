//! Each project's workflow settings, held in memory for the paths that derive case states.
//!
//! A project's [`WorkflowSettings`] live in its project document. Deriving a case needs them
//! on every sync and every office action, often while unit documents are locked, so reading
//! the project document there would cost a document load each time and could wait on a lock
//! the same request holds. Instead the server reads every project's settings once at start-up
//! and learns the new ones whenever it writes a project document (the import, the settings
//! page, an administrator's device). A project the server has not seen yet has the defaults.
//! `crate::settings_apply` keeps this cache in step with the documents.

use std::collections::HashMap;
use std::sync::RwLock;

use plumbline_shared::ids::ProjectId;
use plumbline_shared::project::Project;
use plumbline_shared::workflow::WorkflowSettings;

/// The settings of every project this server holds.
#[derive(Debug, Default)]
pub struct ProjectSettings {
    by_project: RwLock<HashMap<ProjectId, WorkflowSettings>>,
}

impl ProjectSettings {
    /// The settings of `project` (the defaults for a project not yet written).
    pub fn of(&self, project: &ProjectId) -> WorkflowSettings {
        self.by_project
            .read()
            .expect("project settings lock poisoned")
            .get(project)
            .copied()
            .unwrap_or_default()
    }

    /// Records the settings `project` holds now; whether they differ from what the cases were
    /// derived with (a project seen for the first time was derived with the defaults).
    pub fn learn(&self, project: &Project) -> bool {
        let before = self
            .by_project
            .write()
            .expect("project settings lock poisoned")
            .insert(project.id.clone(), project.workflow);
        before.unwrap_or_default() != project.workflow
    }
}
