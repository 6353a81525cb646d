//! `GET /photos/{hash}`: evidence photos, signatures and floor plans, for the members of a
//! project that references them.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use plumbline_shared::ids::BlobHash;

use super::case_load::not_found;
use super::layout::internal;
use super::session::Staff;
use crate::state::AppState;

/// `GET /photos/{hash}`: a photo for a signed-in member of a project that references it, or a
/// floor plan of one of their projects.
pub async fn photo(
    State(state): State<AppState>,
    staff: Staff,
    Path(hash): Path<String>,
) -> Response {
    serve(&state, &staff, &hash, false).await
}

/// `GET /photos/{hash}/thumb`: the server's thumbnail of that photo (see
/// `plumbline_media::image_check`), for the same people; the photo itself where it has none (stored
/// before thumbnails were made, or of a pixel format they are not made for).
pub async fn thumbnail(
    State(state): State<AppState>,
    staff: Staff,
    Path(hash): Path<String>,
) -> Response {
    serve(&state, &staff, &hash, true).await
}

async fn serve(state: &AppState, staff: &Staff, hash: &str, thumb: bool) -> Response {
    let Ok(hash) = hash.parse::<BlobHash>() else {
        return not_found(staff);
    };
    let mine: Vec<_> = staff
        .memberships
        .iter()
        .map(|m| m.project.clone())
        .collect();
    match crate::floor_plan_images::visible_to(state, &hash, &mine).await {
        Ok(true) => {}
        Ok(false) => return not_found(staff),
        Err(e) => return internal(e),
    }
    let original = crate::blobs::object_path(&hash);
    let got = if thumb {
        match state.blobs.get(&crate::blobs::thumbnail_path(&hash)).await {
            Err(object_store::Error::NotFound { .. }) => state.blobs.get(&original).await,
            other => other,
        }
    } else {
        state.blobs.get(&original).await
    };
    match got {
        Ok(got) => match got.bytes().await {
            Ok(bytes) => (
                [
                    // Photos and thumbnails are JPEG; signatures and plans may be PNG.
                    (
                        header::CONTENT_TYPE,
                        plumbline_media::ImageType::sniff(&bytes)
                            .map_or("image/jpeg", plumbline_media::ImageType::content_type),
                    ),
                    (
                        header::CACHE_CONTROL,
                        "private, max-age=31536000, immutable",
                    ),
                ],
                Body::from(bytes),
            )
                .into_response(),
            Err(e) => internal(e),
        },
        Err(object_store::Error::NotFound { .. }) => not_found(staff),
        Err(e) => internal(e),
    }
}
