//! Floor-plan images on the device: fetched at the end of every sync, kept for good.
//!
//! A project document lists its floor plans ([`plumbline_shared::floor_plan`]); the images are
//! blobs on the server. The finding editor shows the plan of the unit being inspected, and an
//! inspector is often in a basement or a stairwell with no signal, so the images are fetched
//! ahead of time: after every successful sync, each plan image of the projects on the device
//! that is not on it yet is downloaded, checked against its hash and kept in `plans/`
//! ([`crate::files::PhotoFiles::write_plan`]).
//!
//! A plan is not the person's work: it is never in the outbox, so it neither holds up signing
//! out nor shows as unsynced, and it is not in the photo cache, whose eviction would delete it
//! while the editor still needs it. A download that fails is logged and tried again at the
//! next sync; it never fails the sync that records and photos depend on.

use std::path::PathBuf;

use plumbline_shared::floor_plan::MAX_PLAN_BYTES;
use plumbline_shared::ids::BlobHash;

use crate::client::ServerClient;
use crate::engine::Engine;

impl Engine {
    /// A floor-plan image file, once it is on the device.
    pub fn plan_image(&self, hash: &BlobHash) -> Option<PathBuf> {
        self.shared.files.plan(hash)
    }

    /// Downloads every plan image of the projects on this device that it does not hold yet.
    /// Returns how many arrived; failures are logged and left for the next sync.
    pub(crate) async fn download_plans(&self, client: &ServerClient) -> usize {
        let projects = match self.projects() {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "floor plans not fetched: the projects could not be read");
                return 0;
            }
        };
        let mut missing: Vec<BlobHash> = projects
            .iter()
            .flat_map(|p| p.floor_plans.iter().map(|plan| plan.image.clone()))
            .filter(|hash| self.shared.files.plan(hash).is_none())
            .collect();
        missing.sort();
        missing.dedup();
        let mut arrived = 0;
        for hash in missing {
            let bytes = match client.download(&hash, MAX_PLAN_BYTES).await {
                Ok(bytes) => bytes,
                Err(e) => {
                    tracing::info!(plan = %hash, error = %e, "floor plan not downloaded; trying again at the next sync");
                    continue;
                }
            };
            if BlobHash::of(&bytes) != hash {
                tracing::warn!(plan = %hash, "the server sent bytes that are not this floor plan; trying again at the next sync");
                continue;
            }
            match self.shared.files.write_plan(&hash, &bytes) {
                Ok(_) => arrived += 1,
                Err(e) => {
                    tracing::warn!(plan = %hash, error = %e, "floor plan not kept; trying again at the next sync");
                }
            }
        }
        if arrived > 0 {
            tracing::info!(arrived, "floor plans downloaded");
        }
        arrived
    }
}
