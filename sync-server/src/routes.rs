//! The route table and the middleware every route gets: request ids on every log line, body
//! limits, timeouts, panic catching.

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::routing::{MethodRouter, get, post};
use axum::{Router, middleware};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::handlers::{blobs, cases, contractor, enroll, health, notifications, projects, sync};
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The routes under `/api/v1`, as a table: the router is built from it, and the test of
/// `openapi.json` (`sync-server/tests/openapi.rs`) checks every path in it is described, and
/// described with exactly the methods it answers.
pub fn api_routes(state: &AppState) -> Vec<(&'static str, MethodRouter<AppState>)> {
    // Answers that list case rows make their time-dependent verdicts true for now first.
    let fresh = || middleware::from_fn_with_state(state.clone(), crate::verdicts::fresh);
    vec![
        ("/enroll", post(enroll::enroll)),
        ("/sync/manifest", post(sync::manifest)),
        ("/sync/exchange", post(sync::exchange)),
        ("/contractor/actions", post(contractor::act)),
        ("/cases", get(cases::list).route_layer(fresh())),
        (
            "/notifications",
            get(notifications::list).route_layer(fresh()),
        ),
        ("/evidence/status", get(cases::evidence)),
        ("/projects/{project}/template", get(projects::template)),
        // A chunk's body is the chunk alone, so the limit is exactly the chunk bound; it
        // overrides the global limit below for these routes only.
        (
            "/blobs/{hash}",
            get(blobs::get)
                .put(blobs::put)
                .layer(DefaultBodyLimit::max(crate::blobs::MAX_CHUNK_BYTES)),
        ),
        ("/blobs/{hash}/status", get(blobs::status)),
        ("/openapi.json", get(crate::openapi::serve)),
    ]
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let limits = state.config.limits.clone();
    let secure = state.config.web.secure_cookies;
    let api = api_routes(&state)
        .into_iter()
        .fold(Router::new(), |api, (path, route)| api.route(path, route));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest("/api/v1", api)
        // Every office page reads case rows: their verdicts are made true for now first.
        .merge(crate::web::router().route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::verdicts::fresh,
        )))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id, device.id = tracing::field::Empty)
                })
                // One access-log line per request at INFO: status and latency, in the span
                // that names the request id and the device.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(limits.request_timeout_secs),
                ))
                .layer(DefaultBodyLimit::max(limits.max_body_bytes))
                // Headers every answer carries, so that a browser treats the office pages as
                // what they are: no script runs on them (they have none; a name with
                // `<script>` in it stays text), no other site frames them, nothing is sniffed
                // into another type, no page with an owner's phone number is kept in a shared
                // PC's cache, and behind TLS the browser stays on HTTPS. A handler that sets
                // its own `Cache-Control` (photos, which never change) keeps it.
                .layer(SetResponseHeaderLayer::overriding(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(CONTENT_SECURITY_POLICY),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("DENY"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                ))
                .option_layer(secure.then(|| {
                    SetResponseHeaderLayer::overriding(
                        header::STRICT_TRANSPORT_SECURITY,
                        HeaderValue::from_static("max-age=31536000"),
                    )
                })),
        )
}

/// The pages' policy: their own images and inline styles, no script, no plugin, no framing,
/// forms posted only to this server.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; script-src 'none'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";
