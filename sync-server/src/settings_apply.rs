//! Keeping each project's workflow settings (`crate::project_settings::ProjectSettings`, held in memory) in step with
//! its project document: after this server writes the document, after another replica did
//! (`crate::change_feed`), and for every project at start-up.
//!
//! Apart from the cache itself because these read documents through the server's
//! state, which holds the settings: the cache knows nothing of the state.

use plumbline_shared::doc::DocId;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::project::Project;

use crate::project_read::load_project;
use crate::state::AppState;

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
    if let Some(project) = load_project(state, project).await?
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
        if let Some(project) = load_project(state, &id).await? {
            // Rows were projected under what the document holds: nothing to mark.
            state.settings.learn(&project);
        }
    }
    Ok(())
}
