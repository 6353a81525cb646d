//! What each device holds, as far as the server knows: per document, the digest of the
//! device's heads.
//!
//! Without it, a device whose summary differs from the server's must list every document it
//! holds (about 36 bytes each: 9 KB for a tower of 240 units) so that the server can tell which
//! differ, although usually one or two do. With it, the server answers a summary-only manifest
//! directly: it checks that the device's summary is the digest of the position it remembers
//! and, when it is, compares that position with its own documents.
//!
//! A position is learnt three ways: from a manifest with entries (the device's own word), from
//! a manifest whose summary matched the server's (the device holds exactly what the server
//! holds), and from each exchange (after it, the device holds the server's heads, when the
//! server holds every head the device announced and the server's reply brings it the rest).
//! A guess that turns out wrong costs nothing but bytes: the summary then does not match the
//! remembered position, and the device is asked for its entries as before.
//!
//! Positions live in the database ([`PositionStore`](crate::store::PositionStore)), so that every server replica answers a
//! device's summary-only manifest and a restart does not make every device list its documents
//! again; each replica keeps the positions it used last in memory in front of it. A remembered
//! position that went stale (the device synced with another replica since) only fails to match
//! the summary, and the database is asked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use plumbline_shared::api::HeadsDigest;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::DeviceId;

use crate::store::{Position, Store, StoreResult};

/// Most devices remembered in memory; past it, all are forgotten there (the database still
/// has them).
const MAX_CACHED_DEVICES: usize = 50_000;

/// The remembered positions of all devices. See the module docs.
pub struct Positions {
    store: Arc<dyn Store>,
    cached: Mutex<HashMap<DeviceId, Position>>,
}

impl std::fmt::Debug for Positions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Positions").finish_non_exhaustive()
    }
}

impl Positions {
    /// Positions kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cached: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, HashMap<DeviceId, Position>> {
        self.cached.lock().expect("positions lock poisoned")
    }

    fn cache(&self, device: &DeviceId, position: Position) {
        let mut cached = self.cached();
        if cached.len() >= MAX_CACHED_DEVICES && !cached.contains_key(device) {
            cached.clear();
        }
        cached.insert(device.clone(), position);
    }

    /// Remembers that `device` holds exactly `position`.
    pub async fn replace(&self, device: &DeviceId, position: Position) -> StoreResult<()> {
        self.store
            .replace_device_position(device, &position)
            .await?;
        self.cache(device, position);
        Ok(())
    }

    /// The remembered position of `device`, if its digest is `summary` (the device's own
    /// digest of what it holds): then it is what the device holds.
    pub async fn matching(
        &self,
        device: &DeviceId,
        summary: &HeadsDigest,
    ) -> StoreResult<Option<Position>> {
        let matches = |p: &Position| HeadsDigest::of_manifest(p) == *summary;
        if let Some(position) = self.cached().get(device).filter(|p| matches(p)) {
            return Ok(Some(position.clone()));
        }
        let Some(stored) = self.store.device_position(device).await? else {
            self.cached().remove(device);
            return Ok(None);
        };
        let found = matches(&stored).then(|| stored.clone());
        self.cache(device, stored);
        Ok(found)
    }

    /// After an exchange: `device` now holds each document at the digest given, or (`None`)
    /// the server cannot tell, in which case the next summary will not match and the device
    /// sends its entries.
    pub async fn update(
        &self,
        device: &DeviceId,
        moved: Vec<(DocId, Option<HeadsDigest>)>,
    ) -> StoreResult<()> {
        if moved.is_empty() {
            return Ok(());
        }
        self.store.update_device_position(device, &moved).await?;
        let mut cached = self.cached();
        if let Some(position) = cached.get_mut(device) {
            for (doc, digest) in moved {
                match digest {
                    Some(d) => {
                        position.insert(doc, d);
                    }
                    // Removing is not enough: the device still holds the document, so its
                    // summary must not match. Forget the device instead.
                    None => {
                        cached.remove(device);
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use plumbline_shared::clock::Clock;
    use plumbline_shared::ids::UserId;
    use plumbline_shared::time::Timestamp;

    use crate::store::NewUser;
    use crate::store::sqlite::SqliteStore;

    fn digest(seed: u8) -> HeadsDigest {
        HeadsDigest::of_heads(&[automerge::ChangeHash([seed; 32])])
    }

    /// A store with one enrolled device, `dev-1`.
    async fn store_with_device(dir: &std::path::Path) -> (Arc<dyn Store>, DeviceId) {
        let clock = Clock::manual(Timestamp(1_800_000_000_000));
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&dir.join("p.db"), clock.clone())
                .await
                .unwrap(),
        );
        let user = UserId::new("wang").unwrap();
        store
            .create_user(NewUser {
                user: user.clone(),
                display_name: "王".into(),
                password_hash: None,
            })
            .await
            .unwrap();
        let later = clock.now().plus_ms(60_000);
        store
            .create_enrollment_code([1; 32], &user, later)
            .await
            .unwrap();
        let device: DeviceId = "dev-1".parse().unwrap();
        store
            .enroll_device([1; 32], &device, None, "phone", [2; 32], clock.now())
            .await
            .unwrap();
        (store, device)
    }

    #[tokio::test]
    async fn a_position_is_used_only_when_the_summary_is_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let (store, device) = store_with_device(dir.path()).await;
        let positions = Positions::new(store.clone());
        let (a, b): (DocId, DocId) = (
            "unit:licheng-b1-101".parse().unwrap(),
            "unit:licheng-b1-102".parse().unwrap(),
        );
        let mut position = Position::new();
        position.insert(a.clone(), digest(1));
        position.insert(b.clone(), digest(2));
        let summary = HeadsDigest::of_manifest(&position);
        assert_eq!(positions.matching(&device, &summary).await.unwrap(), None);
        positions.replace(&device, position.clone()).await.unwrap();
        assert_eq!(
            positions.matching(&device, &summary).await.unwrap(),
            Some(position.clone())
        );

        // An exchange moved `a`: the old summary no longer matches, the new one does.
        positions
            .update(&device, vec![(a.clone(), Some(digest(3)))])
            .await
            .unwrap();
        assert_eq!(positions.matching(&device, &summary).await.unwrap(), None);
        position.insert(a.clone(), digest(3));
        let moved = HeadsDigest::of_manifest(&position);
        assert!(positions.matching(&device, &moved).await.unwrap().is_some());

        // Another replica (positions of its own over the same database) knows it too.
        let replica = Positions::new(store.clone());
        assert_eq!(
            replica.matching(&device, &moved).await.unwrap(),
            Some(position.clone())
        );

        // Unknown heads forget the device, on every replica: no summary matches until it sends
        // its entries.
        replica.update(&device, vec![(b, None)]).await.unwrap();
        assert_eq!(replica.matching(&device, &moved).await.unwrap(), None);
        assert_eq!(positions.matching(&device, &summary).await.unwrap(), None);
        assert_eq!(store.device_position(&device).await.unwrap(), None);
    }
}
