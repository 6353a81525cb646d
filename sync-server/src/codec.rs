//! Request and response bodies of the sync API: compact postcard by default
//! (`application/x-postcard`), JSON when the client sends `application/json` — handy for
//! debugging with curl and for OpenAPI tooling. The reply uses the request's format.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The postcard media type.
pub const POSTCARD: &str = "application/x-postcard";

/// Which encoding a body uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// postcard.
    Postcard,
    /// JSON.
    Json,
}

/// A decoded body and the format it came in.
#[derive(Debug)]
pub struct Wire<T>(pub T, pub Format);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Wire<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or(POSTCARD)
            .to_owned();
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge("the request body is larger than the server accepts; send fewer documents per request".into())
            } else {
                ApiError::BadRequest(format!("could not read the request body: {e}"))
            }
        })?;
        if content_type.starts_with("application/json") {
            let value = serde_json::from_slice(&body).map_err(|e| {
                ApiError::BadRequest(format!("the JSON body does not fit this endpoint: {e}"))
            })?;
            Ok(Wire(value, Format::Json))
        } else if content_type.starts_with(POSTCARD) {
            let value =
                plumbline_shared::api::from_postcard(&body).map_err(ApiError::BadRequest)?;
            Ok(Wire(value, Format::Postcard))
        } else {
            Err(ApiError::BadRequest(format!(
                "content type `{content_type}` is not understood; send {POSTCARD} or application/json"
            )))
        }
    }
}

/// A response encoded like the request was.
#[derive(Debug)]
pub struct Reply<T>(pub T, pub Format);

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        let (bytes, media) = match self.1 {
            Format::Postcard => (plumbline_shared::api::to_postcard(&self.0), POSTCARD),
            Format::Json => match serde_json::to_vec(&self.0) {
                Ok(b) => (b, "application/json"),
                Err(e) => return ApiError::Internal(e.into()).into_response(),
            },
        };
        let mut response = bytes.into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(media));
        response
    }
}

/// A JSON body (`axum::Json`) whose rejections are [`ApiError`]s, so that a malformed body gets
/// the same `{code, message}` answer as every other refusal instead of axum's plain text.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(
                ApiError::TooLarge("the request body is larger than the server accepts".into()),
            ),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// Query parameters (`axum::extract::Query`) whose rejections are [`ApiError`]s.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S>
    for QueryParams<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| QueryParams(v))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}
