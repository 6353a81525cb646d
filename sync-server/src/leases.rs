//! Background work one server replica does for all.
//!
//! Several replicas on one database would each run the verdict scheduler and the compaction
//! pass over the same documents: the same work N times, and writes racing each other (which
//! the store refuses, so nothing is lost, only time). So each pass first takes a named lease in
//! the database ([`LeaseStore::take_lease`](crate::store::LeaseStore::take_lease)): the replica
//! holding it works and renews it at every pass; the others skip their pass. A replica that
//! stops stops renewing, and another takes the lease over once it expires: the work pauses
//! for at most one lease, it never stops.
//!
//! With one server (the embedded default) the lease is always its own.

use std::time::Duration;

use crate::state::AppState;

/// The verdict scheduler (`crate::verdicts::spawn`).
pub const VERDICTS: &str = "verdicts";
/// The compaction pass (`crate::compaction::spawn`).
pub const COMPACTION: &str = "compaction";
/// Masking the owners' contacts left in documents, once at start (`crate::contact_masking`).
pub const CONTACT_MASKING: &str = "contact-masking";
/// Sweeping abandoned uploads, hourly (`crate::periodic::spawn_upload_sweeper`).
pub const UPLOAD_SWEEP: &str = "upload-sweep";

/// Whether this replica holds (took or renewed) the lease `name` for the next `span`. A store
/// that fails to answer means no: the pass is skipped, and the next one asks again.
pub async fn hold(state: &AppState, name: &str, span: Duration) -> bool {
    let now = state.now();
    let until = now.plus_ms(i64::try_from(span.as_millis()).unwrap_or(i64::MAX));
    let holder = state.server.device.as_str();
    match state.store.take_lease(name, holder, now, until).await {
        Ok(held) => held,
        Err(e) => {
            tracing::warn!(lease = name, error = ?e, "could not take a lease; skipping this pass");
            false
        }
    }
}
