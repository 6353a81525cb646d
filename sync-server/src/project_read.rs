//! Reading a project as its document holds it now, for the pages, the command line and the
//! checks that need the project's buildings, units and contractors.

use anyhow::Context;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::project::Project;

use crate::state::AppState;

/// The project as its document holds it now, when it exists (read once per version of the
/// document: see [`crate::doc_cache::Slot::read_project`]).
pub async fn load_project(
    state: &AppState,
    project: &ProjectId,
) -> anyhow::Result<Option<Project>> {
    let doc_id = DocId::Project(project.clone());
    let mut guard = state.docs.lock(&doc_id).await;
    if state.docs.get(&mut guard, &doc_id).await?.is_none() {
        return Ok(None);
    }
    guard
        .read_project()
        .with_context(|| format!("reading the document of project `{project}`"))
}
