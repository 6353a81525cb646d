//! `/api/v1/blobs/{hash}`: evidence upload in resumable chunks, upload status, download.
//!
//! The rules live in [`crate::blobs`]; these handlers extract, authorise and map errors.
//!
//! Who may do what:
//! - **Upload and status**: any device whose user holds a membership in some project (contractors
//!   upload repair photos); no membership is 403. A blob is not tied to a project on arrival:
//!   the photo may arrive before the document that references it.
//! - **Download**: only devices whose user is a member of a project whose documents reference the
//!   hash: as evidence in a unit document, or as a floor plan in the project document
//!   ([`crate::floor_plan_images`]). Anyone else gets 404, not 403, so that a blob's existence does not leak.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use plumbline_shared::api::{OffsetConflict, UploadStatus};
use plumbline_shared::ids::BlobHash;
use serde::Deserialize;

use crate::auth::DeviceAuth;
use crate::blobs::{self, Chunk, MAX_CHUNK_BYTES, Progress, UploadError, UploadState};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::Identity;
use plumbline_media::ImageType;

/// Query of an upload chunk.
#[derive(Debug, Deserialize)]
pub struct PutQuery {
    /// Where the chunk starts in the blob: the bytes the server already holds.
    pub offset: u64,
    /// The whole blob's size, in bytes.
    pub total: u64,
}

/// Why a chunk was refused: an [`ApiError`], or a 409 that says where to resume.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    /// Any other refusal.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The chunk does not start where the staged bytes end.
    #[error("{message}")]
    Offset {
        /// The sentence for a person.
        message: String,
        /// Where to resume.
        offset: u64,
    },
}

impl From<UploadError> for PutError {
    fn from(e: UploadError) -> Self {
        metrics::counter!("plumbline_blob_chunks_refused_total", "reason" => e.reason())
            .increment(1);
        match e {
            UploadError::OffsetMismatch { staged, .. } => PutError::Offset {
                message: e.to_string(),
                offset: staged,
            },
            other => PutError::Api(api_error(other)),
        }
    }
}

impl IntoResponse for PutError {
    fn into_response(self) -> Response {
        match self {
            PutError::Api(e) => e.into_response(),
            PutError::Offset { message, offset } => {
                tracing::warn!(status = 409, %message, "request refused");
                let body = OffsetConflict {
                    code: "offset_mismatch".into(),
                    message,
                    offset,
                };
                (StatusCode::CONFLICT, Json(body)).into_response()
            }
        }
    }
}

fn api_error(e: UploadError) -> ApiError {
    match e {
        UploadError::OffsetMismatch { .. }
        | UploadError::BadTotal { .. }
        | UploadError::PastTotal { .. }
        | UploadError::NotAnImage
        | UploadError::TypeMismatch { .. } => ApiError::BadRequest(e.to_string()),
        UploadError::BadImage(_) => ApiError::Unprocessable(e.to_string()),
        UploadError::Quota(_) => ApiError::TooMany {
            message: e.to_string(),
            retry_after: std::time::Duration::from_secs(60),
        },
        UploadError::ChunkTooLarge { .. } => ApiError::TooLarge(e.to_string()),
        UploadError::HashMismatch { .. } => ApiError::Unprocessable(e.to_string()),
        UploadError::Store(e) => e.into(),
        e @ (UploadError::Io(_) | UploadError::Objects(_)) => ApiError::Internal(e.into()),
    }
}

fn parse_hash(raw: &str) -> Result<BlobHash, ApiError> {
    BlobHash::parse(raw).map_err(|e| {
        ApiError::BadRequest(format!(
            "{e}; name a blob by the BLAKE3 hash of its bytes, in lowercase hex"
        ))
    })
}

/// Uploads and status need a membership in some project.
fn may_upload(identity: &Identity) -> Result<(), ApiError> {
    if identity.memberships.is_empty() {
        return Err(ApiError::Forbidden(
            "this account has no role in any project, so it may not upload evidence; \
             ask the office to grant one"
                .into(),
        ));
    }
    Ok(())
}

fn declared_type(headers: &HeaderMap) -> Result<ImageType, ApiError> {
    let value = headers
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    match value {
        None => Err(ApiError::BadRequest(
            "an upload needs `Content-Type: image/jpeg` (photos) or `image/png` (signatures)"
                .into(),
        )),
        Some(v) => ImageType::from_content_type(v).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Content-Type `{v}` is not kept; evidence is image/jpeg (photos) or image/png (signatures)"
            ))
        }),
    }
}

/// `PUT /api/v1/blobs/{hash}?offset=N&total=T`: takes one chunk of at most 1 MiB. Replies 200
/// with the new offset, 201 when the chunk completed a verified blob, 200 complete when the blob
/// was stored already, and 409 with the offset to resume from when `offset` is wrong.
#[tracing::instrument(skip_all, err(level = "warn"), fields(device.id = %identity.device, blob = %raw))]
pub async fn put(
    State(state): State<AppState>,
    DeviceAuth(identity): DeviceAuth,
    Path(raw): Path<String>,
    query: Result<Query<PutQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PutError> {
    let hash = parse_hash(&raw)?;
    let Query(q) = query.map_err(|e| {
        ApiError::BadRequest(format!(
            "an upload needs `?offset=<bytes already sent>&total=<blob size in bytes>` as whole \
             numbers ({})",
            e.body_text()
        ))
    })?;
    let declared = declared_type(&headers)?;
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            metrics::counter!("plumbline_blob_chunks_refused_total", "reason" => "chunk_size")
                .increment(1);
            ApiError::TooLarge(format!(
                "a chunk may be at most {MAX_CHUNK_BYTES} bytes (1 MiB); send the photo in smaller chunks"
            ))
        } else {
            ApiError::BadRequest(format!("the chunk could not be read: {}", e.body_text()))
        }
    })?;
    may_upload(&identity)?;

    let len = bytes.len();
    let chunk = Chunk {
        offset: q.offset,
        total: q.total,
        declared,
        bytes,
    };
    let progress = state
        .uploads
        .receive(
            &*state.store,
            &*state.blobs,
            (&identity.device, &hash),
            chunk,
            state.now(),
        )
        .await?;
    metrics::counter!("plumbline_blob_chunks_total").increment(1);
    metrics::counter!("plumbline_blob_bytes_received_total").increment(len as u64);
    Ok(match progress {
        Progress::Partial { staged } => {
            tracing::debug!(offset = staged, total = q.total, "chunk staged");
            Json(UploadStatus::staged(hash, staged)).into_response()
        }
        Progress::Stored { bytes } => {
            metrics::counter!("plumbline_blobs_stored_total").increment(1);
            tracing::info!(bytes, content_type = %declared, "blob verified and stored");
            (StatusCode::CREATED, Json(UploadStatus::stored(hash, bytes))).into_response()
        }
        Progress::AlreadyStored { bytes } => {
            Json(UploadStatus::stored(hash, bytes)).into_response()
        }
    })
}

/// `GET /api/v1/blobs/{hash}/status`: whether the blob is stored, else how many bytes are staged
/// (where the device resumes).
#[tracing::instrument(skip_all, err(level = "warn"), fields(device.id = %identity.device, blob = %raw))]
pub async fn status(
    State(state): State<AppState>,
    DeviceAuth(identity): DeviceAuth,
    Path(raw): Path<String>,
) -> Result<Json<UploadStatus>, ApiError> {
    let hash = parse_hash(&raw)?;
    may_upload(&identity)?;
    let upload = state
        .uploads
        .state(&*state.store, &*state.blobs, &hash)
        .await
        .map_err(api_error)?;
    Ok(Json(match upload {
        UploadState::Stored(bytes) => UploadStatus::stored(hash, bytes),
        UploadState::Staged(offset) => UploadStatus::staged(hash, offset),
    }))
}

/// `GET /api/v1/blobs/{hash}` (and `HEAD`): streams a stored blob to a member of a project that
/// references it. Blobs never change, so the reply may be cached for good.
#[tracing::instrument(skip_all, err(level = "warn"), fields(device.id = %identity.device, blob = %raw))]
pub async fn get(
    State(state): State<AppState>,
    DeviceAuth(identity): DeviceAuth,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let hash = parse_hash(&raw)?;
    let mine: Vec<_> = identity
        .memberships
        .iter()
        .map(|m| m.project.clone())
        .collect();
    if !crate::floor_plan_images::visible_to(&state, &hash, &mine)
        .await
        .map_err(ApiError::Internal)?
    {
        return Err(ApiError::NotFound(format!("blob `{hash}` not found")));
    }
    if !state.store.blob_exists(&hash).await? {
        return Err(ApiError::NotFound(format!(
            "blob `{hash}` has not been uploaded yet; the device that took it uploads it when it syncs"
        )));
    }
    let download = blobs::open(&*state.blobs, &hash)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "blob {hash} is recorded but missing from the object store"
            ))
        })?;
    metrics::counter!("plumbline_blob_downloads_total").increment(1);
    let content_type = download
        .image
        .map_or("application/octet-stream", ImageType::content_type);
    Ok((
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_LENGTH, download.size.to_string()),
            (
                CACHE_CONTROL,
                "private, max-age=31536000, immutable".to_owned(),
            ),
            (ETAG, format!("\"{hash}\"")),
        ],
        Body::from_stream(download.stream),
    )
        .into_response())
}
