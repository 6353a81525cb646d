//! The server's periodic passes that belong to no request and keep its own records: abandoned
//! partial uploads swept hourly, and when devices were last seen written to the database.
//!
//! Apart from the modules whose records they keep (`crate::blobs`, `crate::presence`), because
//! they run on the server's state, which holds those records.

use std::time::Duration;

#[cfg(doc)]
use crate::blobs::Uploads;
use crate::leases::{self, UPLOAD_SWEEP};
use crate::presence::FLUSH_EVERY;
use crate::state::AppState;

/// Removes abandoned partial uploads every hour until aborted (see
/// [`Uploads::remove_stale`]), on the one replica that holds the sweep's lease.
pub fn spawn_upload_sweeper(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(3600);
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if !leases::hold(&state, UPLOAD_SWEEP, 2 * every).await {
                continue;
            }
            let swept = state
                .uploads
                .remove_stale(&*state.store, &*state.blobs, state.now())
                .await;
            if let Err(e) = swept {
                tracing::warn!(error = %e, "could not remove abandoned partial uploads");
            }
        }
    })
}

/// Flushes [`AppState::presence`] every [`FLUSH_EVERY`] until aborted.
pub fn spawn_presence_flusher(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = state.presence.flush(&*state.store).await {
                tracing::warn!(error = ?e, "could not record when devices were last seen");
            }
        }
    })
}
