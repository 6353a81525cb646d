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
//! remembered position, and the device is asked for its entries as before. Positions live in
//! memory only: after a restart, or on another server replica, the first sync of each device
//! sends its entries once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use plumbline_shared::api::HeadsDigest;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::DeviceId;

/// Most devices remembered; past it, all are forgotten (each then sends its entries once).
const MAX_DEVICES: usize = 50_000;

/// One device's documents and the digest of its heads for each.
pub type Position = BTreeMap<DocId, HeadsDigest>;

/// The remembered positions of all devices. See the module docs.
#[derive(Debug, Default)]
pub struct Positions {
    devices: Mutex<HashMap<DeviceId, Position>>,
}

impl Positions {
    fn devices(&self) -> std::sync::MutexGuard<'_, HashMap<DeviceId, Position>> {
        self.devices.lock().expect("positions lock poisoned")
    }

    /// Remembers that `device` holds exactly `position`.
    pub fn replace(&self, device: &DeviceId, position: Position) {
        let mut devices = self.devices();
        if devices.len() >= MAX_DEVICES && !devices.contains_key(device) {
            devices.clear();
        }
        devices.insert(device.clone(), position);
    }

    /// The remembered position of `device`, if its digest is `summary` (the device's own
    /// digest of what it holds): then it is what the device holds.
    pub fn matching(&self, device: &DeviceId, summary: &HeadsDigest) -> Option<Position> {
        let devices = self.devices();
        let position = devices.get(device)?;
        (HeadsDigest::of_manifest(position) == *summary).then(|| position.clone())
    }

    /// After an exchange: `device` now holds `doc` at `heads`, or (`None`) the server cannot
    /// tell, in which case the next summary will not match and the device sends its entries.
    pub fn update(&self, device: &DeviceId, doc: &DocId, heads: Option<HeadsDigest>) {
        let mut devices = self.devices();
        let Some(position) = devices.get_mut(device) else {
            return;
        };
        match heads {
            Some(h) => {
                position.insert(doc.clone(), h);
            }
            // Removing is not enough: the device still holds the document, so its summary
            // must not match. Forget the device instead.
            None => {
                devices.remove(device);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn digest(seed: u8) -> HeadsDigest {
        HeadsDigest::of_heads(&[automerge::ChangeHash([seed; 32])])
    }

    #[test]
    fn a_position_is_used_only_when_the_summary_is_its_digest() {
        let positions = Positions::default();
        let device: DeviceId = "dev-1".parse().unwrap();
        let (a, b): (DocId, DocId) = (
            "unit:licheng-b1-101".parse().unwrap(),
            "unit:licheng-b1-102".parse().unwrap(),
        );
        let mut position = Position::new();
        position.insert(a.clone(), digest(1));
        position.insert(b.clone(), digest(2));
        let summary = HeadsDigest::of_manifest(&position);
        assert_eq!(positions.matching(&device, &summary), None);
        positions.replace(&device, position.clone());
        assert_eq!(
            positions.matching(&device, &summary),
            Some(position.clone())
        );

        // An exchange moved `a`: the old summary no longer matches, the new one does.
        positions.update(&device, &a, Some(digest(3)));
        assert_eq!(positions.matching(&device, &summary), None);
        position.insert(a.clone(), digest(3));
        let moved = HeadsDigest::of_manifest(&position);
        assert!(positions.matching(&device, &moved).is_some());

        // Unknown heads forget the device: no summary matches until it sends its entries.
        positions.update(&device, &b, None);
        assert_eq!(positions.matching(&device, &moved), None);
    }
}
