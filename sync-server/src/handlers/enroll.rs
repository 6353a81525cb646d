//! `POST /api/v1/enroll`: a device trades a one-time code for its token.

use axum::Json;
use axum::extract::State;
use plumbline_shared::ids::DeviceId;
use serde::{Deserialize, Serialize};

use crate::accounts::{code_hash, new_token};
use crate::codec::JsonBody;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Membership, StoreError};
use crate::throttle::Peer;

/// What a device sends to enroll.
#[derive(Debug, Deserialize)]
pub struct EnrollRequest {
    /// The one-time code, as typed or scanned (case, spaces and dashes do not matter).
    pub code: String,
    /// A name for the device, e.g. "王丽的手机".
    pub device_name: String,
    /// The id this device had before, when it enrolled here once and lost its token (not
    /// revoked): it stays that device, so the work it did offline is still its own. Ignored
    /// unless the device is the code's person's and not revoked.
    #[serde(default)]
    pub previous_device: Option<String>,
}

/// What an enrolled device receives. The token is shown this once.
#[derive(Debug, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The device's id (also its automerge actor id).
    pub device_id: String,
    /// The bearer token for every later request.
    pub token: String,
    /// The person.
    pub user: String,
    /// Their display name.
    pub display_name: String,
    /// Their roles.
    pub memberships: Vec<Membership>,
}

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
