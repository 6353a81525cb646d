//! The one HTTP error type: a status, a stable code and a message a person understands.
//! Internal causes are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use plumbline_shared::api::ApiErrorBody;

use crate::store::StoreError;

/// An error answered to a device or a browser.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed or breaks a rule.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid token (or the device was revoked).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing (or not visible to this device).
    #[error("{0}")]
    NotFound(String),
    /// 409: conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is too large.
    #[error("{0}")]
    TooLarge(String),
    /// 422: well-formed but refused (a change its author's role may not make).
    #[error("{0}")]
    Unprocessable(String),
    /// 429: too many requests of this kind from here; try again after the given time.
    #[error("{message}")]
    TooMany {
        /// What to tell the person.
        message: String,
        /// When to try again (sent as `Retry-After`).
        retry_after: std::time::Duration,
    },
    /// 503: a passing state of the service (another server replica wrote the same document at
    /// the same moment); nothing was stored, and the same request will do next time.
    #[error("{0}")]
    Busy(String),
    /// 500: our fault; the cause is logged.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
            ApiError::TooMany { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many"),
            ApiError::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            StoreError::Conflict(what) => ApiError::Conflict(what),
            e @ StoreError::NumberTaken { .. } => ApiError::Conflict(e.to_string()),
            StoreError::Stale { doc } => ApiError::Busy(format!(
                "another server stored changes to {doc} at the same moment; nothing of this \
                 request was stored: send it again"
            )),
            StoreError::Other(e) => ApiError::Internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let message = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                "the server failed to handle this request; it has been logged".to_owned()
            }
            other => {
                tracing::warn!(status = status.as_u16(), message = %other, "request refused");
                other.to_string()
            }
        };
        let mut response = (
            status,
            Json(ApiErrorBody {
                code: code.to_owned(),
                message,
            }),
        )
            .into_response();
        let retry_after = match &self {
            ApiError::TooMany { retry_after, .. } => Some(retry_after.as_secs().max(1)),
            ApiError::Busy(_) => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after
            && let Ok(v) = secs.to_string().parse()
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        response
    }
}
