//! When each device was last seen and last finished a whole sync, for the office ("王丽's
//! phone last synced 3 days ago"; for a lost phone, what it may have held that never arrived).
//!
//! Writing `devices.last_seen` on every request would put a durable write (and its fsync) on
//! the path of the cheapest request there is, the no-change manifest. So authenticated
//! requests note the time in memory, and [`Presence::flush`] writes the latest time per
//! device in one transaction every [`FLUSH_EVERY`] and at shutdown. A crash loses at most that
//! much of "last seen", never a record.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use plumbline_shared::ids::DeviceId;
use plumbline_shared::time::Timestamp;

use crate::store::{self, Store, StoreResult};

/// How often noted times are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(30);

/// Last-seen times not yet written. See the module docs.
#[derive(Debug, Default)]
pub struct Presence {
    pending: Mutex<HashMap<DeviceId, store::Presence>>,
}

impl Presence {
    /// Notes that `device` made a request at `at`.
    pub fn saw(&self, device: &DeviceId, at: Timestamp) {
        self.note(device, at, None);
    }

    /// Notes that `device` finished a whole sync at `at` (its manifest matched the server's).
    pub fn synced(&self, device: &DeviceId, at: Timestamp) {
        self.note(device, at, Some(at));
    }

    fn note(&self, device: &DeviceId, seen: Timestamp, synced: Option<Timestamp>) {
        let mut pending = self.pending.lock().expect("presence lock poisoned");
        let p = pending
            .entry(device.clone())
            .or_insert(store::Presence { seen, synced });
        p.seen = p.seen.max(seen);
        p.synced = p.synced.max(synced);
    }

    /// Writes every noted time; returns how many devices were written. On failure the times
    /// are kept for the next flush.
    pub async fn flush(&self, store: &dyn Store) -> StoreResult<usize> {
        let batch: Vec<(DeviceId, store::Presence)> = {
            let mut pending = self.pending.lock().expect("presence lock poisoned");
            pending.drain().collect()
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let n = batch.len();
        if let Err(e) = store.record_presence(batch.clone()).await {
            for (device, p) in batch {
                self.note(&device, p.seen, p.synced);
            }
            return Err(e);
        }
        Ok(n)
    }
}
