//! Changing a stored project document on the server for a person (inspection assignments
//! today), so every device of the project receives the change with its next sync.
//!
//! The write is the one the unit import makes ([`crate::setup::create_project`]): hydrate the
//! [`Project`], change it, reconcile it back into the [`ProjectDoc`] as the server's actor, and
//! store the new changes and heads with [`crate::store::DocStore::write_docs`]. The new heads are
//! what make a device's next manifest differ, so the device asks for the document and
//! automerge's sync sends it the changes. Unlike the import, the document stays locked from
//! the read to the durable write: two coordinators saving assignments at the same moment are
//! applied one after the other, and neither loses the other's.

use plumbline_shared::doc::DocId;
use plumbline_shared::doc::project::ProjectDoc;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::project::Project;

use crate::doc_cache::{DocCache, LoadedDoc, new_changes};
use crate::state::AppState;
use crate::store::DocWrite;

/// Why [`edit_project`] changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ProjectEditError<E> {
    /// The edit refused (bad input); nothing was written.
    #[error("{0}")]
    Refused(E),
    /// The project has no document on this server.
    #[error("project `{0}` has no document on this server")]
    NoSuchProject(ProjectId),
    /// Reading, writing or storing failed.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Applies `edit` to the project as its document holds it and stores the result durably.
///
/// `edit` returns a value for the caller or refuses with an error, in which case nothing is
/// stored. An edit that leaves the project as it was stores nothing.
pub async fn edit_project<T, E>(
    state: &AppState,
    project: &ProjectId,
    edit: impl FnOnce(&mut Project) -> Result<T, E>,
) -> Result<T, ProjectEditError<E>> {
    let doc_id = DocId::Project(project.clone());
    let mut guard = state.docs.lock(&doc_id).await;
    let Some(loaded) = state
        .docs
        .get(&mut guard, &doc_id)
        .await
        .map_err(anyhow::Error::from)?
    else {
        return Err(ProjectEditError::NoSuchProject(project.clone()));
    };
    let before_heads = loaded.doc.get_heads();
    let owner = loaded.project.clone();
    let mut doc = ProjectDoc::load(&loaded.doc.save()).map_err(anyhow::Error::from)?;
    let mut value = doc.project().map_err(anyhow::Error::from)?;
    let old = value.clone();
    let out = edit(&mut value).map_err(ProjectEditError::Refused)?;
    if value == old {
        return Ok(out);
    }
    doc.update(&value, &state.server.device, state.now())
        .map_err(anyhow::Error::from)?;
    let am = doc.automerge_mut();
    state
        .store
        .write_docs(vec![DocWrite {
            doc: doc_id.clone(),
            project: owner.clone(),
            device: None,
            changes: new_changes(am, &before_heads),
            heads: am.get_heads(),
            base: Some(before_heads),
            projection: None,
            claims: Vec::new(),
            contacts: Vec::new(),
        }])
        .await
        .map_err(anyhow::Error::from)?;
    DocCache::put(
        &mut guard,
        LoadedDoc {
            project: owner,
            doc: am.clone(),
        },
    );
    crate::settings_apply::written(state, &value).await?;
    tracing::info!(project = %project, "project document changed");
    Ok(out)
}
