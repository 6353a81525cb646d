//! Reading a case as it stands: the unit's document under its lock, the case's derived state
//! at the server's now, its project, and the conflicting values of its fields.
//!
//! For the office web (through `web::case_load`, which turns a [`ReadError`] into a page) and
//! anything else on the server that needs a case; its errors say what went wrong in the
//! server's terms, not in HTTP's.

use plumbline_shared::doc::conflict::FieldConflict;
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::doc::unit::UnitDoc;
pub use plumbline_shared::doc::walk::WalkStatus;
use plumbline_shared::doc::walk::statuses;
use plumbline_shared::doc::{DocError, DocId};
use plumbline_shared::ids::{FindingId, ProjectId, UnitId};
use plumbline_shared::project::Project;
use plumbline_shared::workflow::CaseState;

use crate::state::AppState;
use crate::store::StoreError;

/// Why a case or a project could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A membership or a document names a project this server holds no document of.
    #[error("there is no project `{0}` on this server")]
    NoProject(ProjectId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored document does not read.
    #[error("{0:#}")]
    Unreadable(anyhow::Error),
}

/// A case as it stands now, read under its document's lock.
#[derive(Debug)]
pub struct Loaded {
    /// Its project.
    pub project: Project,
    /// The finding as stored.
    pub finding: Finding,
    /// Its state, derived at the server's now.
    pub state: CaseState,
    /// Its fields' concurrent values, if any.
    pub conflicts: Vec<FieldConflict>,
}

/// A unit's signed walks with its project, under the document's lock; `None` when the unit
/// does not exist.
pub async fn load_walks(
    state: &AppState,
    unit: &UnitId,
) -> Result<Option<(ProjectId, Vec<WalkStatus>)>, ReadError> {
    let Some(unit_doc) = unit_doc(state, unit).await? else {
        return Ok(None);
    };
    let unreadable = |e: DocError| ReadError::Unreadable(e.into());
    let project = unit_doc.project_id().map_err(unreadable)?;
    Ok(Some((project, statuses(&unit_doc).map_err(unreadable)?)))
}

/// The unit's signed walks that list `finding`, oldest first: for the pages that show them
/// (the case page, the dispute pack), not for every read of a case.
pub async fn walks_listing(
    state: &AppState,
    unit: &UnitId,
    finding: &FindingId,
) -> Result<Vec<WalkStatus>, ReadError> {
    Ok(load_walks(state, unit)
        .await?
        .map(|(_, walks)| walks)
        .unwrap_or_default()
        .into_iter()
        .filter(|w| w.walk.snapshot.findings.iter().any(|s| &s.id == finding))
        .collect())
}

/// The unit's document as stored now, read under its lock.
async fn unit_doc(state: &AppState, unit: &UnitId) -> Result<Option<UnitDoc>, ReadError> {
    let doc_id = DocId::Unit(unit.clone());
    let mut guard = state.docs.lock(&doc_id).await;
    Ok(state
        .docs
        .get(&mut guard, &doc_id)
        .await?
        .map(|loaded| UnitDoc::from_trusted(loaded.doc.clone())))
}

/// The case as it stands now, with its project; `None` when the unit or the finding does not
/// exist.
pub async fn load(
    state: &AppState,
    unit: &UnitId,
    finding: &FindingId,
) -> Result<Option<Loaded>, ReadError> {
    let unreadable = |e: plumbline_shared::doc::DocError| ReadError::Unreadable(e.into());
    let Some(unit_doc) = unit_doc(state, unit).await? else {
        return Ok(None);
    };
    let project_id = unit_doc.project_id().map_err(unreadable)?;
    let Ok(f) = unit_doc.finding(finding) else {
        return Ok(None);
    };
    let conflicts = unit_doc.conflicts(finding).map_err(unreadable)?;
    let project = load_project(state, &project_id).await?;
    Ok(Some(Loaded {
        state: f.state(state.now(), &state.settings_of(&project_id)),
        finding: f,
        project,
        conflicts,
    }))
}

/// A project as its document holds it now (read once per version of the document).
pub async fn load_project(state: &AppState, id: &ProjectId) -> Result<Project, ReadError> {
    let doc_id = DocId::Project(id.clone());
    let mut guard = state.docs.lock(&doc_id).await;
    if state.docs.get(&mut guard, &doc_id).await?.is_none() {
        return Err(ReadError::NoProject(id.clone()));
    }
    guard
        .read_project()
        .map_err(|e| ReadError::Unreadable(e.into()))?
        .ok_or_else(|| ReadError::NoProject(id.clone()))
}
