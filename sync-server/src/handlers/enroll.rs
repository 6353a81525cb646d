//! `POST /api/v1/enroll`: a device trades a one-time code for its token.

use axum::Json;
use axum::extract::State;
use plumbline_shared::api::{EnrollRequest, EnrollResponse};
use plumbline_shared::ids::DeviceId;

use crate::accounts::{code_hash, new_token};
use crate::codec::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::StoreError;
use crate::throttle::Peer;

/// Enrolls a device.
#[tracing::instrument(skip_all, err(level = "warn"))]
pub async fn enroll(
    State(state): State<AppState>,
    peer: Peer,
    JsonBody(req): JsonBody<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    // Codes are 10 characters of 32 kinds; guessing one is slowed to a few tries a minute per
    // address, before anything is looked up.
    if let Some(ip) = peer.0
        && let Err(wait) = state.throttle.enrollments.take(ip)
    {
        return Err(ApiError::TooMany {
            message: "too many enrollment attempts from this address; try again in a little while"
                .into(),
            retry_after: wait,
        });
    }
    let name = req.device_name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ApiError::BadRequest(
            "give the device a name of 1 to 80 characters".into(),
        ));
    }
    let typed: String = req
        .code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if typed.len() != 10 {
        return Err(ApiError::BadRequest(
            "an enrollment code has 10 letters and digits, like K7M2P-9QXDA".into(),
        ));
    }
    let device = DeviceId::new(format!("d-{}", uuid::Uuid::new_v4().simple()))
        .expect("a valid generated id");
    let previous = req
        .previous_device
        .as_deref()
        .and_then(|d| DeviceId::new(d).ok());
    let (token, token_hash) = new_token();
    let identity = state
        .store
        .enroll_device(
            code_hash(&req.code),
            &device,
            previous.as_ref(),
            name,
            token_hash,
            state.now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => ApiError::Unauthorized(
                "this enrollment code is not valid; ask the office for a new one".into(),
            ),
            StoreError::Conflict(why) => {
                ApiError::Unauthorized(format!("{why}; ask the office for a new one"))
            }
            other => other.into(),
        })?;
    if let Some(ip) = peer.0 {
        state.throttle.enrollments.refund(ip);
    }
    tracing::info!(device.id = %identity.device, user = %identity.user, again = identity.device != device, "device enrolled");
    Ok(Json(EnrollResponse {
        device_id: identity.device.to_string(),
        token,
        user: identity.user.to_string(),
        display_name: identity.display_name,
        memberships: identity.memberships,
    }))
}
