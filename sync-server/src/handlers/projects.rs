//! `GET /api/v1/projects/{project}/template`: the checklist a project's units are inspected
//! with. A finding names a room, an item and a category of it, and the server refuses one whose
//! three do not belong together; a client that does not ship the template reads it here.

use axum::Json;
use axum::extract::{Path, State};
use plumbline_shared::ids::ProjectId;
use plumbline_shared::template::{self, ChecklistTemplate};

use crate::auth::DeviceAuth;
use crate::error::ApiError;
use crate::project_read::load_project;
use crate::state::AppState;

/// The project's checklist template, for a person with a role in the project.
pub async fn template(
    State(state): State<AppState>,
    DeviceAuth(identity): DeviceAuth,
    Path(raw): Path<String>,
) -> Result<Json<&'static ChecklistTemplate>, ApiError> {
    let project = ProjectId::new(&raw)
        .map_err(|e| ApiError::BadRequest(format!("`{raw}` is not a project id: {e}")))?;
    // A project the person has no role in is answered as one that does not exist, as on
    // `/cases`: its name is not confirmed to strangers.
    let not_found = || ApiError::NotFound(format!("project `{project}` not found"));
    if identity.membership(&project).is_none() {
        return Err(not_found());
    }
    load_project(&state, &project)
        .await
        .map_err(ApiError::Internal)?
        .ok_or_else(not_found)?;
    Ok(Json(template::of_project()))
}
