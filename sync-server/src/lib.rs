//! # plumbline-sync-server
//!
//! Where every device's records meet and become the central case records.
//!
//! - [`store`]: durable storage behind the [`store::Store`] trait (SQLite embedded).
//! - [`doc_cache`]: loaded documents and per-device sync states; [`compaction`] folds their
//!   changes into snapshots from time to time.
//! - [`blobs`]: evidence photos, uploaded by hash in resumable chunks and verified on arrival.
//! - [`handlers`]: the HTTP API — enrollment, the two-step sync, case records.
//! - [`validate`]: what a device may change, checked on a scratch copy before storing.
//! - [`setup`]: creating a project's documents.
//! - [`project_write`]: changing a project document for a person (inspection assignments).
//! - [`floor_plan_images`]: floor-plan images — their header, and who may download them.
//! - [`routes`]: the route table and middleware.
//! - [`web`]: the office web, rendered on the server.
//!
//! [`launch`] runs the server on a listener until a shutdown signal, letting in-flight
//! requests finish.

pub mod account_admin;
pub mod accounts;
pub mod auth;
pub mod blob_store;
pub mod blobs;
pub mod case_read;
pub mod change_feed;
pub mod codec;
pub mod compaction;
pub mod config;
pub mod connections;
pub mod contact_masking;
pub mod demo;
pub mod dispute_pack;
pub mod doc_cache;
pub mod durable;
pub mod error;
pub mod floor_plan_images;
pub mod forwarded;
pub mod handlers;
pub mod history;
pub mod leases;
pub mod openapi;
pub mod paper;
pub mod periodic;
pub mod positions;
pub mod presence;
pub mod project_create;
pub mod project_read;
pub mod project_settings;
pub mod project_write;
pub mod reindex;
pub mod report_cache;
pub mod reports;
pub mod routes;
pub mod settings_apply;
pub mod setup;
pub mod staging;
pub mod state;
pub mod store;
pub mod throttle;
pub mod unit_import;
pub mod unit_write;
pub mod upload_quota;
pub mod verdicts;
pub mod web;
pub mod webhook;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use plumbline_shared::clock::Clock;
use plumbline_shared::ids::DeviceId;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::doc_cache::DocCache;
use crate::state::{AppState, server_actor};

/// The server's persistent instance id (`<data_dir>/server-id`), created on first start. It is
/// the automerge actor of everything this server writes, so two servers never share one.
fn instance_id(data_dir: &Path) -> anyhow::Result<DeviceId> {
    let path = data_dir.join("server-id");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return DeviceId::new(text.trim())
            .with_context(|| format!("{} holds an invalid id", path.display()));
    }
    let id = DeviceId::new(format!("server-{}", uuid::Uuid::new_v4().simple()))
        .expect("a valid generated id");
    std::fs::write(&path, id.as_str()).with_context(|| format!("writing {}", path.display()))?;
    Ok(id)
}

/// Removes `<data_dir>/uploads`, where servers before staged parts kept partial uploads as
/// local files: the devices start those photos again from offset 0, as after the daily sweep.
fn forget_local_staging(data_dir: &Path) {
    let old = data_dir.join("uploads");
    if old.is_dir() {
        match std::fs::remove_dir_all(&old) {
            Ok(()) => {
                tracing::info!(folder = %old.display(), "removed the old local upload staging folder; partial uploads restart")
            }
            Err(e) => {
                tracing::warn!(folder = %old.display(), error = %e, "could not remove the old local upload staging folder")
            }
        }
    }
}

/// Opens storage and builds the shared state; `clock` is the one source of "now" for all of it
/// (`Clock::system()` in production, a test's own clock in tests).
pub async fn build_state(config: Config, clock: Clock) -> anyhow::Result<AppState> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
    let store = store::connect(&config.db.url, clock.clone()).await?;
    let (blobs, durable) = blob_store::open(&config.blobs).await?;
    forget_local_staging(&config.data_dir);
    let server = server_actor(instance_id(&config.data_dir)?);
    let uploads = crate::blobs::Uploads::new(durable);
    let state = AppState {
        docs: Arc::new(DocCache::new(store.clone())),
        positions: Arc::new(positions::Positions::new(store.clone())),
        store,
        blobs,
        uploads: Arc::new(uploads),
        presence: Arc::default(),
        config: Arc::new(config),
        server,
        settings: Arc::default(),
        throttle: Arc::new(throttle::Throttle::new(clock.clone())),
        reports: Arc::default(),
        clock,
    };
    crate::settings_apply::load_all(&state)
        .await
        .context("reading the projects' workflow settings")?;
    Ok(state)
}

/// Serves `state` on `listener` until `shutdown` resolves; in-flight requests finish first.
pub async fn launch(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    // Cases whose deadlines passed while the server was down (or every case, after the
    // migration that introduced `verdicts_until`) are derived again before the first request,
    // so that no request has to wait for them.
    let refreshed = verdicts::refresh_due(&state, state.now())
        .await
        .map_err(|e| anyhow::anyhow!("deriving the cases whose deadlines passed: {e:?}"))?;
    if refreshed > 0 {
        tracing::info!(
            units = refreshed,
            "cases derived again for the deadlines that passed"
        );
    }
    tracing::info!(%addr, "plumbline sync server listening");
    let background = [
        compaction::spawn(state.clone()),
        Some(periodic::spawn_presence_flusher(state.clone())),
        Some(verdicts::spawn(state.clone())),
        Some(periodic::spawn_upload_sweeper(state.clone())),
        Some(change_feed::spawn(state.clone())),
        Some(contact_masking::spawn(state.clone())),
        webhook::spawn(state.clone()),
    ];
    let last = state.clone();
    let limits = state.config.connections.clone();
    connections::serve(listener, routes::router(state), &limits, shutdown)
        .await
        .context("serving HTTP")?;
    for task in background.into_iter().flatten() {
        task.abort();
    }
    last.presence
        .flush(&*last.store)
        .await
        .context("recording when devices were last seen")?;
    tracing::info!("plumbline sync server stopped");
    Ok(())
}
