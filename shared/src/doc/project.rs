//! The project document: buildings, units, contractors and the template name.
//!
//! A project changes rarely and only through an administrator, so, unlike unit documents, it
//! is reconciled whole with autosurgeon: the lists are keyed by id, so concurrent edits of
//! different units merge by identity.

use automerge::{AutoCommit, ROOT, ReadDoc, Value, transaction::Transactable};
use autosurgeon::{hydrate_prop, reconcile_prop};

use crate::doc::{DocError, actor_for, commit, deterministic_doc};
use crate::ids::{DeviceId, ProjectId};
use crate::project::{FloorPlan, Project};
use crate::time::Timestamp;

/// The `schema` value of a project document.
pub const PROJECT_SCHEMA: &str = "plumbline/project";

/// One project's automerge document.
#[derive(Debug, Clone)]
pub struct ProjectDoc {
    doc: AutoCommit,
}

fn schema_error(what: impl Into<String>) -> DocError {
    DocError::Schema {
        doc: "project document",
        what: what.into(),
    }
}

impl ProjectDoc {
    /// The document for `project`, written by `device` at `at`.
    pub fn create(project: &Project, device: &DeviceId, at: Timestamp) -> Result<Self, DocError> {
        let doc = deterministic_doc(&format!("project:{}", project.id), |doc| {
            doc.put(ROOT, "schema", PROJECT_SCHEMA)?;
            doc.put(ROOT, "id", project.id.as_str())?;
            Ok(())
        })?;
        let mut this = Self { doc };
        this.update(project, device, at)?;
        Ok(this)
    }

    /// Loads a saved document and checks that it fits the schema.
    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        let this = Self {
            doc: AutoCommit::load(bytes)?,
        };
        this.project()?;
        Ok(this)
    }

    /// Wraps a document held in memory (e.g. one a device's sync changed) and checks that it
    /// fits the schema.
    pub fn from_automerge(doc: AutoCommit) -> Result<Self, DocError> {
        let this = Self { doc };
        this.project()?;
        Ok(this)
    }

    /// The project's id.
    pub fn id(&self) -> Result<ProjectId, DocError> {
        hydrate_prop(&self.doc, ROOT, "id").map_err(|e| schema_error(format!("`id`: {e}")))
    }

    /// The project as the document holds it.
    pub fn project(&self) -> Result<Project, DocError> {
        match self.doc.get(ROOT, "schema")? {
            Some((Value::Scalar(s), _)) if s.as_str() == Some(PROJECT_SCHEMA) => {}
            _ => {
                return Err(schema_error(format!(
                    "`schema` is not \"{PROJECT_SCHEMA}\""
                )));
            }
        }
        hydrate_prop(&self.doc, ROOT, "project")
            .map_err(|e| schema_error(format!("`project`: {e}")))
    }

    /// Writes `project` over what the document holds (the id must stay the same).
    pub fn update(
        &mut self,
        project: &Project,
        device: &DeviceId,
        at: Timestamp,
    ) -> Result<(), DocError> {
        if self.id()? != project.id {
            return Err(DocError::Invalid(format!(
                "project `{}` cannot be written into the document of project `{}`",
                project.id,
                self.id()?
            )));
        }
        self.doc.set_actor(actor_for(device));
        reconcile_prop(&mut self.doc, ROOT, "project", project)
            .map_err(|e| DocError::Invalid(format!("could not write project: {e}")))?;
        commit(&mut self.doc, at, "update project");
        Ok(())
    }

    /// The whole document as bytes.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The underlying automerge document, for sync.
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
}

/// The floor plans a project document holds, read without hydrating the rest of the project:
/// the server checks them on every download of a plan image, and a project of a thousand units
/// takes far longer to hydrate whole. A document written before plans existed has none.
pub fn floor_plans_of(doc: &AutoCommit) -> Result<Vec<FloorPlan>, DocError> {
    let project = match doc.get(ROOT, "project")? {
        Some((Value::Object(automerge::ObjType::Map), id)) => id,
        _ => return Err(schema_error("`project` is not a map")),
    };
    if doc.get(&project, "floor_plans")?.is_none() {
        return Ok(Vec::new());
    }
    hydrate_prop(doc, &project, "floor_plans")
        .map_err(|e| schema_error(format!("`project.floor_plans`: {e}")))
}
