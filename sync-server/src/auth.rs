//! Device authentication: every API request carries `Authorization: Bearer <token>`.
//!
//! The token is looked up by its hash on every request, so revoking a device takes effect on
//! its very next request; there is no session cache to expire.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::accounts::token_hash;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Identity;

/// The authenticated device and the person behind it.
#[derive(Debug, Clone)]
pub struct DeviceAuth(pub Identity);

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthorized(
                "this request needs a device token; enroll the device first".into(),
            )
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "the Authorization header must be `Bearer <device token>`".into(),
                )
            })?;
        let identity = state
            .store
            .identity_by_token(token_hash(token), state.now())
            .await?
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "this device token is unknown or was revoked; enroll the device again".into(),
                )
            })?;
        tracing::Span::current().record("device.id", identity.device.as_str());
        state.presence.saw(&identity.device, state.now());
        Ok(DeviceAuth(identity))
    }
}
