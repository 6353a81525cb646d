//! `POST /api/v1/contractor/actions`: what a contractor's foreman does on a finding assigned to
//! the company, written into the unit document by the server.
//!
//! Why an endpoint rather than a filtered copy of the unit document: a unit document holds the
//! findings of every trade, and automerge has no partial replication, so any copy a contractor
//! device holds would either leak other companies' findings or be a second document that must
//! be merged back by hand. Contractors read their cases from `GET /api/v1/cases` (filtered to
//! their company) and act here; the server checks the finding is theirs and the action is one a
//! contractor may take, then appends the event as the contractor's, signed with the device's
//! automerge actor, exactly as if the device had synced it.

use axum::Json;
use axum::extract::State;
use plumbline_shared::api::{
    API_VERSION, ContractorAction, ContractorActionReply, MAX_ACTION_EVIDENCE,
};
use plumbline_shared::doc::{DocId, bounds};
use plumbline_shared::event::{Event, EventKind};
use plumbline_shared::role::{Actor, Role};

use crate::auth::DeviceAuth;
use crate::codec::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;
use crate::unit_write::edit_unit;

/// Records a contractor's action on a finding assigned to its company.
#[tracing::instrument(skip_all, err(level = "warn"), fields(device.id = %identity.device))]
pub async fn act(
    State(state): State<AppState>,
    DeviceAuth(identity): DeviceAuth,
    JsonBody(action): JsonBody<ContractorAction>,
) -> Result<Json<ContractorActionReply>, ApiError> {
    if action.api_version != API_VERSION {
        return Err(ApiError::BadRequest(format!(
            "this server speaks API version {API_VERSION}, the app sent version {}; update the app",
            action.api_version
        )));
    }
    check_kind(&action.kind)?;
    // The same bounds as an event that comes through sync: texts, and a time within the
    // plausible window around now (a foreman's answer dated last year or next decade is a
    // forged one, whatever the phone's clock says).
    bounds::check_event(&action.kind)
        .and_then(|()| {
            bounds::check_times(
                "the time of the answer",
                action.at,
                Some(&action.kind),
                state.now(),
            )
        })
        .map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    if action.evidence.len() > MAX_ACTION_EVIDENCE {
        return Err(ApiError::TooLarge(format!(
            "attach at most {MAX_ACTION_EVIDENCE} photos to one action; this one has {}",
            action.evidence.len()
        )));
    }
    for ev in &action.evidence {
        if ev.device != identity.device || ev.author != identity.user {
            return Err(ApiError::Unprocessable(format!(
                "photo {} names another device or person as its author",
                ev.hash
            )));
        }
        ev.validate()
            .map_err(|e| ApiError::BadRequest(format!("photo {}: {e}", ev.hash)))?;
    }
    let doc_id = DocId::Unit(action.unit.clone());
    let skew_ms = action.device_time.0.saturating_sub(state.now().0);
    let status = edit_unit(
        &state,
        &doc_id,
        Some(&identity.device),
        skew_ms,
        |unit, before, project| {
            let settings = state.settings_of(project);
            let not_found = || {
                ApiError::NotFound(format!(
                    "finding `{}` not found in unit `{}`",
                    action.finding, action.unit
                ))
            };
            let membership = identity.membership(project).ok_or_else(not_found)?;
            if membership.role != Role::Contractor {
                return Err(ApiError::Forbidden(
                    "this endpoint is for contractor accounts; other roles sync the unit document"
                        .into(),
                ));
            }
            let company = membership.contractor.clone().ok_or_else(|| {
                ApiError::Forbidden("this contractor account is not linked to a company".into())
            })?;
            let finding = before.findings.get(&action.finding).ok_or_else(not_found)?;
            // Another company's finding is reported as missing: its existence is not theirs to see.
            if finding.state(state.now(), &settings).contractor.as_ref() != Some(&company) {
                return Err(not_found());
            }
            if let EventKind::RepairReported { evidence, .. } = &action.kind
                && let Some(missing) = evidence.iter().find(|h| {
                    !finding.evidence.contains_key(*h)
                        && !action.evidence.iter().any(|e| &e.hash == *h)
                })
            {
                return Err(ApiError::BadRequest(format!(
                    "the repair names photo {missing}, which is neither attached nor sent with it"
                )));
            }
            let actor = Actor {
                user: identity.user.clone(),
                role: Role::Contractor,
                device: identity.device.clone(),
            };
            let invalid = |e: plumbline_shared::doc::DocError| ApiError::BadRequest(e.to_string());
            for ev in &action.evidence {
                unit.attach_evidence(&actor, action.at, &action.finding, ev.clone())
                    .map_err(invalid)?;
            }
            let event = Event {
                id: action.event.clone(),
                kind: action.kind.clone(),
                actor,
                at: action.at,
            };
            unit.append(&action.finding, event).map_err(invalid)?;
            let after = unit.finding(&action.finding).map_err(invalid)?;
            Ok(after.state(state.now(), &settings).status)
        },
    )
    .await?;
    metrics::counter!("plumbline_contractor_actions_total").increment(1);
    Ok(Json(ContractorActionReply {
        event: action.event,
        status,
    }))
}

/// Only a contractor's own answers come through here; photos come with them, not alone.
fn check_kind(kind: &EventKind) -> Result<(), ApiError> {
    let ours = matches!(
        kind,
        EventKind::NoticeRefused { .. }
            | EventKind::ContractorResponded { .. }
            | EventKind::Disputed { .. }
            | EventKind::RepairReported { .. }
            | EventKind::NoticeReturned { .. }
    );
    if ours && kind.allows(Role::Contractor) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "a contractor may not record `{}`; contractors answer notices, report repairs and dispute",
            kind.name()
        )))
    }
}
