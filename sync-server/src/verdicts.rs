//! Verdicts true when they are read.
//!
//! A case row keeps, beside its deadlines, the verdicts derived from its timeline — response
//! or repair overdue, notice not returned, penalty conditions 2, 3 and 5, emergency repair
//! needed — and `verdicts_until`, the instant they stop holding (one millisecond after the next
//! deadline; [`CaseState::verdicts_until`]). Before the office pages and the case API read any
//! row, [`fresh`] derives again every unit whose rows have reached that instant, with the one
//! rule in `shared` at the server's clock. So a verdict read at any instant is the one
//! `CaseState::derive` gives for that instant, whether or not anything was written since its
//! deadline passed; no second copy of the rule exists in SQL or in a page.
//!
//! Deriving a unit again also records the reminders and escalations its cases call for
//! ([`plumbline_shared::workflow::reminder`]), in the same transaction as its rows, once per
//! key and person however often and wherever that runs. [`spawn`] is the scheduler: it wakes at
//! the next instant any case changes (a deadline, or a reminder's moment), so that people are
//! told on time even when nobody reads a page.
//!
//! The cost is one indexed `MIN` per request while nothing is due, and one projection per unit
//! whose instant came since the last read.
//!
//! [`CaseState::verdicts_until`]: plumbline_shared::workflow::CaseState::verdicts_until

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use plumbline_shared::doc::DocId;
use plumbline_shared::time::Timestamp;

use crate::error::ApiError;
use crate::leases;
use crate::state::AppState;
use crate::unit_write;

/// Units derived again per store query; the loop goes on until none is due.
const BATCH: usize = 256;

/// Derives again every unit whose case rows hold verdicts only until `now` or earlier, and
/// returns how many units it projected.
pub async fn refresh_due(state: &AppState, now: Timestamp) -> Result<usize, ApiError> {
    if state
        .store
        .next_verdict_change()
        .await?
        .is_none_or(|next| next > now)
    {
        return Ok(0);
    }
    let mut refreshed = 0;
    loop {
        let due = state.store.units_with_stale_verdicts(now, BATCH).await?;
        for (_, unit) in &due {
            unit_write::reproject(state, &DocId::Unit(unit.clone()), now).await?;
        }
        refreshed += due.len();
        if due.len() < BATCH {
            break;
        }
    }
    tracing::debug!(refreshed, %now, "case verdicts derived again at their deadlines");
    Ok(refreshed)
}

/// The longest the scheduler sleeps: it also notices instants brought closer by new writes.
const MAX_SLEEP: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs [`refresh_due`] at every instant a case's verdicts or reminders change, until the
/// server stops. Sleeps on the runtime's timer toward the server clock's next instant (at most
/// [`MAX_SLEEP`]); tests with a manual clock call [`refresh_due`] themselves after moving it.
/// Of several replicas, the one holding the [`leases::VERDICTS`] lease does it; should it stop,
/// another takes over within two of its longest sleeps. (Reads refresh what they read on every
/// replica regardless: see [`fresh`].)
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let now = state.now();
            if leases::hold(&state, leases::VERDICTS, 2 * MAX_SLEEP).await
                && let Err(e) = refresh_due(&state, now).await
            {
                tracing::warn!(error = ?e, "deriving due cases again failed; retrying shortly");
            }
            let wait = match state.store.next_verdict_change().await {
                Ok(Some(next)) => {
                    let ms = u64::try_from(next.0.saturating_sub(state.now().0)).unwrap_or(0);
                    std::time::Duration::from_millis(ms).min(MAX_SLEEP)
                }
                Ok(None) => MAX_SLEEP,
                Err(e) => {
                    tracing::warn!(error = ?e, "reading the next deadline failed");
                    MAX_SLEEP
                }
            };
            tokio::time::sleep(wait.max(std::time::Duration::from_millis(10))).await;
        }
    })
}

/// Middleware for the routes that read case rows: their verdicts are made true for now first.
pub async fn fresh(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Err(e) = refresh_due(&state, state.now()).await {
        return e.into_response();
    }
    next.run(request).await
}
