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
//! The cost is one indexed `MIN` per request while nothing is due, and one projection per unit
//! whose deadline passed since the last read. The notification scheduler will run
//! [`refresh_due`] at each deadline too, so that reads rarely find work to do.
//!
//! [`CaseState::verdicts_until`]: plumbline_shared::workflow::CaseState::verdicts_until

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use plumbline_shared::doc::DocId;
use plumbline_shared::time::Timestamp;

use crate::error::ApiError;
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

/// Middleware for the routes that read case rows: their verdicts are made true for now first.
pub async fn fresh(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Err(e) = refresh_due(&state, state.now()).await {
        return e.into_response();
    }
    next.run(request).await
}
