//! `GET /api/v1/openapi.json`: the API described for people and tools. Written by hand next to
//! the wire types (`plumbline_shared::api`), embedded at build time, and checked against the
//! server by `sync-server/tests/openapi.rs`: every route with exactly its methods, every answer
//! of a walk through the API against the schema described for it.

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

/// The OpenAPI document.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Serves the OpenAPI document.
pub async fn serve() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI)
}
