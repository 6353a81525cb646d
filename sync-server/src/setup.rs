//! Creating projects on the server: the project document and one unit document per unit.

use plumbline_shared::doc::DocId;
use plumbline_shared::doc::project::ProjectDoc;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::project::Project;
use plumbline_shared::projection::project_unit;

use crate::doc_cache::new_changes;
use crate::state::AppState;
use crate::store::DocWrite;

/// Writes the documents of `project`: its project document and an empty document for every
/// unit that has none yet. Idempotent: unit documents are created deterministically, and the
/// project document is updated in place when it exists.
pub async fn create_project(state: &AppState, project: &Project) -> anyhow::Result<()> {
    let at = state.now();
    let project_doc_id = DocId::Project(project.id.clone());
    let mut writes = Vec::new();
    {
        let mut guard = state.docs.lock(&project_doc_id).await;
        let existing = state.docs.get(&mut guard, &project_doc_id).await?;
        let (mut doc, before) = match existing {
            Some(loaded) => {
                let before = loaded.doc.get_heads();
                let mut doc = ProjectDoc::load(&loaded.doc.save())?;
                doc.update(project, &state.server.device, at)?;
                (doc, before)
            }
            None => (
                ProjectDoc::create(project, &state.server.device, at)?,
                Vec::new(),
            ),
        };
        let am = doc.automerge_mut();
        writes.push(DocWrite {
            doc: project_doc_id.clone(),
            project: project.id.clone(),
            device: None,
            changes: new_changes(am, &before),
            heads: am.get_heads(),
            base: Some(before),
            projection: None,
            claims: Vec::new(),
            contacts: Vec::new(),
        });
    }
    for (_, unit) in project.units() {
        let id = DocId::Unit(unit.id.clone());
        if state.store.doc_heads(&id).await?.is_some() {
            continue;
        }
        let mut doc = UnitDoc::new(&project.id, &unit.id);
        let projection = project_unit(&doc, at, &project.workflow)?;
        let am = doc.automerge_mut();
        writes.push(DocWrite {
            doc: id,
            project: project.id.clone(),
            device: None,
            changes: new_changes(am, &[]),
            heads: am.get_heads(),
            base: Some(Vec::new()),
            projection: Some(projection),
            claims: Vec::new(),
            contacts: Vec::new(),
        });
    }
    let count = writes.len();
    state.store.write_docs(writes).await?;
    crate::settings_apply::written(state, project).await?;
    tracing::info!(project = %project.id, documents = count, "project documents written");
    Ok(())
}
