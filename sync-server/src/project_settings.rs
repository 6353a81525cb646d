//! Each project's workflow settings, held in memory for the paths that derive case states.
//!
//! A project's [`WorkflowSettings`] live in its project document. Deriving a case needs them
//! on every sync and every office action, often while unit documents are locked, so reading
//! the project document there would cost a document load each time and could wait on a lock
//! the same request holds. Instead the server reads every project's settings once at start-up
//! and learns the new ones whenever it writes a project document (the import, the settings
//! page, an administrator's device). A project the server has not seen yet has the defaults.

use std::collections::HashMap;
use std::sync::RwLock;

use plumbline_shared::doc::DocId;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::project::Project;
use plumbline_shared::workflow::WorkflowSettings;

use crate::state::AppState;

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
    fn learn(&self, project: &Project) -> bool {
        let before = self
            .by_project
            .write()
            .expect("project settings lock poisoned")
            .insert(project.id.clone(), project.workflow);
        before.unwrap_or_default() != project.workflow
    }

    /// After `project`'s document was written (the import, the settings page, an
    /// administrator's device): its settings apply from now, and when they changed every case
    /// of the project is marked due, so no stored deadline follows the old ones.
    pub async fn written(state: &AppState, project: &Project) -> anyhow::Result<()> {
        if state.settings.learn(project) {
            let rows = state.store.mark_project_due(&project.id).await?;
            tracing::info!(project = %project.id, rows, "workflow settings changed; cases due for deriving again");
        }
        Ok(())
    }

    /// Reads again the settings of `project`, which another server replica wrote
    /// (`crate::change_feed`). That replica marked the project's cases due when the settings
    /// changed; this one only stops deriving with the old ones.
    pub async fn refresh(state: &AppState, project: &ProjectId) -> anyhow::Result<()> {
        if let Some(project) = crate::project_read::load_project(state, project).await?
            && state.settings.learn(&project)
        {
            tracing::info!(project = %project.id, "workflow settings changed on another replica");
        }
        Ok(())
    }

    /// Reads the settings of every stored project (at start-up, and after the feed of other
    /// replicas' writes was interrupted).
    pub async fn load_all(state: &AppState) -> anyhow::Result<()> {
        for doc in state.store.all_docs().await? {
            let DocId::Project(id) = doc else {
                continue;
            };
            if let Some(project) = crate::project_read::load_project(state, &id).await? {
                // Rows were projected under what the document holds: nothing to mark.
                state.settings.learn(&project);
            }
        }
        Ok(())
    }
}
