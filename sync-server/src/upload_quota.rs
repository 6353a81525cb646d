//! How much a device may leave half-uploaded.
//!
//! A staging file is kept until its upload completes or a day passes untouched
//! ([`crate::blobs::Uploads::remove_stale`]). Without a bound, one device could start thousands
//! of uploads, send one chunk of each and fill the disk within that day. Each upload in
//! progress is therefore charged to the device that sent its first chunk here, at its declared
//! total (what it may still grow to), and a device may hold at most
//! [`MAX_PARTIAL_UPLOADS`] of them and [`MAX_PARTIAL_BYTES`] in all. A phone sends its photos
//! one after another, 0.3–0.6 MB each, so it never comes near either bound; a device over them
//! is told to finish what it started (429 with `Retry-After`).
//!
//! The ledger is in memory. After a restart it starts empty and an upload is charged again at
//! its next chunk; files staged before the restart and never touched again are still removed by
//! the daily sweep.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use plumbline_shared::doc::evidence::MAX_EVIDENCE_BYTES;
use plumbline_shared::ids::{BlobHash, DeviceId};

/// Uploads in progress one device may hold.
pub const MAX_PARTIAL_UPLOADS: usize = 8;

/// Bytes (declared totals) of uploads in progress one device may hold: four photos of the
/// largest size a blob may have.
pub const MAX_PARTIAL_BYTES: u64 = 4 * MAX_EVIDENCE_BYTES;

/// A device is over its quota of uploads in progress.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "this device already has {uploads} photo uploads in progress ({mib} MiB declared); \
     finish sending them before starting another"
)]
pub struct QuotaExceeded {
    /// Its uploads in progress.
    pub uploads: usize,
    /// Their declared size in MiB, rounded up.
    pub mib: u64,
}

/// Uploads in progress, each charged to a device at its declared total.
#[derive(Debug, Default)]
pub struct PartialLedger {
    uploads: Mutex<HashMap<BlobHash, (DeviceId, u64)>>,
}

impl PartialLedger {
    /// Charges the upload of `hash` (declaring `total` bytes) to `device`, unless it is charged
    /// already at that total (to this device or to another one that started it). A chunk that
    /// declares another total is charged again, to the device that started the upload. Refused
    /// when that device would go over its quota.
    pub fn charge(
        &self,
        device: &DeviceId,
        hash: &BlobHash,
        total: u64,
    ) -> Result<(), QuotaExceeded> {
        let mut uploads = self.uploads.lock().unwrap_or_else(PoisonError::into_inner);
        let owner = match uploads.get(hash) {
            Some((_, charged)) if *charged == total => return Ok(()),
            Some((owner, _)) => owner.clone(),
            None => device.clone(),
        };
        let (count, bytes) = uploads
            .iter()
            .filter(|(h, (o, _))| *o == owner && *h != hash)
            .fold((0usize, 0u64), |(n, b), (_, (_, t))| (n + 1, b + t));
        if count + 1 > MAX_PARTIAL_UPLOADS || bytes + total > MAX_PARTIAL_BYTES {
            return Err(QuotaExceeded {
                uploads: count,
                mib: bytes.div_ceil(1024 * 1024),
            });
        }
        uploads.insert(hash.clone(), (owner, total));
        Ok(())
    }

    /// Forgets the upload of `hash`: stored, refused, or removed as stale.
    pub fn release(&self, hash: &BlobHash) {
        self.uploads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: u8) -> BlobHash {
        BlobHash::of(&[n])
    }

    #[test]
    fn a_device_is_held_to_its_count_and_bytes_and_a_release_frees_its_share() {
        let ledger = PartialLedger::default();
        let phone = DeviceId::new("phone").unwrap();
        let other = DeviceId::new("other").unwrap();
        let small = 500_000;
        for n in 0..MAX_PARTIAL_UPLOADS as u8 {
            ledger.charge(&phone, &hash(n), small).unwrap();
        }
        let over = ledger.charge(&phone, &hash(100), small).unwrap_err();
        assert_eq!(over.uploads, MAX_PARTIAL_UPLOADS);
        // Continuing one it has is no new charge; another device has its own quota.
        ledger.charge(&phone, &hash(0), small).unwrap();
        ledger.charge(&other, &hash(101), small).unwrap();
        ledger.release(&hash(0));
        ledger.charge(&phone, &hash(100), small).unwrap();

        let fresh = DeviceId::new("fresh").unwrap();
        let largest = MAX_EVIDENCE_BYTES;
        for n in 0..4 {
            ledger.charge(&fresh, &hash(200 + n), largest).unwrap();
        }
        let over = ledger.charge(&fresh, &hash(250), 1).unwrap_err();
        assert_eq!((over.uploads, over.mib), (4, 64));

        // Declaring a larger total on a later chunk is charged again, not taken on trust.
        let sly = DeviceId::new("sly").unwrap();
        ledger.charge(&sly, &hash(150), 1_000).unwrap();
        for n in 0..3 {
            ledger.charge(&sly, &hash(151 + n), largest).unwrap();
        }
        assert!(
            ledger.charge(&sly, &hash(150), largest).is_ok(),
            "four of the largest fit"
        );
        assert!(
            ledger.charge(&sly, &hash(154), 1).is_err(),
            "and nothing more"
        );
    }
}
