//! `GET /api/v1/cases`: the case records a device's user may see.

use axum::Json;
use axum::extract::State;

use crate::codec::QueryParams;
use plumbline_shared::ids::{ProjectId, UnitId};
use serde::Deserialize;

use crate::auth::DeviceAuth;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{CaseFilter, CaseRecord, EvidenceStatus, Page};
use plumbline_shared::role::Role;

/// Query parameters.
#[derive(Debug, Deserialize)]
pub struct CasesQuery {
    /// The project.
    pub project: ProjectId,
    /// Only this unit.
    pub unit: Option<UnitId>,
    /// Rows to skip.
    #[serde(default)]
    pub offset: u32,
    /// Rows to return (at most 500).
    pub limit: Option<u32>,
}

/// Lists case records. Contractors see only their company's cases.
pub async fn list(
    State(state): State<AppState>,
    DeviceAuth(identity): DeviceAuth,
    QueryParams(q): QueryParams<CasesQuery>,
) -> Result<Json<Vec<CaseRecord>>, ApiError> {
    let Some(m) = identity.membership(&q.project) else {
        return Err(ApiError::NotFound(format!(
            "project `{}` not found",
            q.project
        )));
    };
    let contractor = match m.role {
        Role::Contractor => Some(m.contractor.clone().ok_or_else(|| {
            ApiError::Forbidden("this contractor account is not linked to a company".into())
        })?),
        _ => None,
    };
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > 500 {
        return Err(ApiError::BadRequest(
            "limit must be between 1 and 500".into(),
        ));
    }
    let filter = CaseFilter {
        projects: vec![q.project],
        unit: q.unit,
        contractor,
        ..Default::default()
    };
    Ok(Json(
        state
            .store
            .cases(
                &filter,
                Page {
                    offset: q.offset,
                    limit,
                },
            )
            .await?,
    ))
}

/// Query of the evidence status.
#[derive(Debug, Deserialize)]
pub struct EvidenceQuery {
    /// The project.
    pub project: ProjectId,
    /// Only this unit.
    pub unit: Option<UnitId>,
}

/// Which referenced evidence has arrived ("evidence 87/310") and which is missing.
pub async fn evidence(
    State(state): State<AppState>,
    DeviceAuth(identity): DeviceAuth,
    QueryParams(q): QueryParams<EvidenceQuery>,
) -> Result<Json<EvidenceStatus>, ApiError> {
    match identity.membership(&q.project) {
        Some(m) if m.role != Role::Contractor => {}
        _ => {
            return Err(ApiError::NotFound(format!(
                "project `{}` not found",
                q.project
            )));
        }
    }
    Ok(Json(
        state
            .store
            .evidence_status(&[q.project], q.unit.as_ref())
            .await?,
    ))
}
