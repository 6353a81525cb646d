//! Rebuilding every case-record table from the documents alone (`plumbline-sync-server
//! reindex`): the tables are a projection, so a migration that reshapes them, or a doubt about
//! them, is answered by projecting every unit document again.

use anyhow::Context;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::projection::project_unit;

use crate::state::AppState;

/// Rebuilds every case-record table from the documents alone.
pub async fn reindex(state: &AppState) -> anyhow::Result<usize> {
    let at = state.now();
    let mut projections = Vec::new();
    for id in state.store.all_docs().await? {
        if let DocId::Unit(_) = id {
            let mut guard = state.docs.lock(&id).await;
            let Some(loaded) = state.docs.get(&mut guard, &id).await? else {
                continue;
            };
            let unit = UnitDoc::from_automerge(loaded.doc.clone())
                .with_context(|| format!("document {id}"))?;
            let settings = state.settings_of(&loaded.project);
            projections.push(project_unit(&unit, at, &settings)?);
        }
    }
    let n = projections.len();
    state.store.replace_all_projections(projections).await?;
    Ok(n)
}
