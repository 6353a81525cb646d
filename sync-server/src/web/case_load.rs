//! Reading a case for the office web: the unit's document under its lock, the case's derived
//! state at the server's now, its project, and the person's role there.
//!
//! The pages (the case page, the printed notice) and the action kit ([`super::case_kit`]) read
//! cases through here; none of them touches the document cache or the store directly. The
//! reading itself is [`crate::case_read`], whose errors are not HTTP types; this module turns
//! them into pages.

use axum::http::StatusCode;
use axum::response::Response;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::{DeviceId, FindingId, UnitId};
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;

use super::i18n::Msg;
use super::layout::{internal, message_page};
use super::session::Staff;
pub use crate::case_read::{Loaded, load, load_project};
use crate::error::ApiError;
use crate::state::AppState;

/// The case of a page's path for a signed-in person, or the page to answer with: 404 when the
/// ids are no ids or name no case, the error page when reading fails. Whether the person may
/// see it is the page's to decide (a foreman sees some pages of some cases).
pub async fn load_for_page(
    state: &AppState,
    staff: &Staff,
    unit: &str,
    finding: &str,
) -> Result<(UnitId, FindingId, Loaded), Response> {
    let Some((unit, finding)) = ids(unit, finding) else {
        return Err(not_found(staff));
    };
    match load(state, &unit, &finding).await {
        Ok(Some(loaded)) => Ok((unit, finding, loaded)),
        Ok(None) => Err(not_found(staff)),
        Err(e) => Err(internal(e)),
    }
}

/// The case's ids from a path, when they are ids.
pub fn ids(unit: &str, finding: &str) -> Option<(UnitId, FindingId)> {
    Some((UnitId::new(unit).ok()?, FindingId::new(finding).ok()?))
}

/// 404 for a case that does not exist or is not the person's to see.
pub fn not_found(staff: &Staff) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        staff.lang,
        Msg::NotFound.text(staff.lang),
        Some(staff.top_bar()),
    )
}

/// The automerge actor of a person's office web actions: one per person and server instance,
/// so that two servers never write as the same actor.
pub fn web_device(state: &AppState, staff: &Staff) -> Result<DeviceId, ApiError> {
    let instance = state.server.device.as_str().trim_start_matches("server-");
    let short: String = instance.chars().take(8).collect();
    DeviceId::new(format!("web-{short}-{}", staff.user))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("web device id: {e}")))
}

/// The project of a unit and the person's role in it; `Err` is the page to answer with.
pub async fn context(
    state: &AppState,
    staff: &Staff,
    unit: &UnitId,
) -> Result<(Project, Role), Response> {
    let doc_id = DocId::Unit(unit.clone());
    let project_id = {
        let mut guard = state.docs.lock(&doc_id).await;
        match state.docs.get(&mut guard, &doc_id).await {
            Ok(Some(loaded)) => loaded.project.clone(),
            Ok(None) => return Err(not_found(staff)),
            Err(e) => return Err(internal(e)),
        }
    };
    let Some(role) = staff.role_in(&project_id) else {
        return Err(not_found(staff));
    };
    let project = load_project(state, &project_id).await.map_err(internal)?;
    Ok((project, role))
}
