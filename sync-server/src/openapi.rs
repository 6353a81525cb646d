//! `GET /api/v1/openapi.json`: the API described for people and tools. Written by hand next to
//! the wire types (`plumbline_shared::api`), embedded at build time.

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

/// The OpenAPI document.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Serves the OpenAPI document.
pub async fn serve() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_description_is_valid_json_naming_every_route() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for p in [
            "/enroll",
            "/sync/manifest",
            "/sync/exchange",
            "/cases",
            "/evidence/status",
            "/blobs/{hash}",
            "/blobs/{hash}/status",
            "/openapi.json",
            "/contractor/actions",
            "/notifications",
        ] {
            assert!(paths.contains_key(p), "{p} is not described");
        }
    }
}
