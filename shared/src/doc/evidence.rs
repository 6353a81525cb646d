//! Evidence references: what a document knows about a photo or a signature.
//!
//! The bytes are never in the document. They are a content-addressed blob named by their
//! BLAKE3 hash, uploaded separately and verified by hash on arrival; the document holds the
//! hash and the metadata the evidence needs (re-encoding a photo drops its EXIF, so capture time
//! and location are kept here explicitly).

use serde::{Deserialize, Serialize};

use crate::ids::{BlobHash, DeviceId, UserId};
use crate::time::Timestamp;

/// What kind of evidence a blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A photo (JPEG).
    Photo,
    /// A signature (PNG), e.g. the owner's on a handover sheet.
    Signature,
}

/// Where a photo was taken, when the device knows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// Accuracy radius in metres.
    pub accuracy_m: f64,
}

/// A pin on a floor-plan image: where in the unit the defect is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanPin {
    /// The floor plan's blob hash.
    pub plan: BlobHash,
    /// Horizontal position, 0.0 (left) to 1.0 (right).
    pub x: f64,
    /// Vertical position, 0.0 (top) to 1.0 (bottom).
    pub y: f64,
}

/// One photo or signature attached to a finding. Sealed in the document: written once, whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRef {
    /// BLAKE3 hash of the bytes: the blob's name.
    pub hash: BlobHash,
    /// Photo or signature.
    pub kind: EvidenceKind,
    /// Size of the blob in bytes.
    pub bytes: u64,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// When it was captured (EXIF time when present, else the capture moment).
    pub captured_at: Timestamp,
    /// The device that captured it.
    pub device: DeviceId,
    /// The person who captured it.
    pub author: UserId,
    /// Where, when the device gave a location.
    pub location: Option<Location>,
    /// Where on the floor plan, when the inspector placed a pin.
    pub pin: Option<PlanPin>,
    /// A small copy for lists, uploaded as its own blob before the full-size photo, so that a
    /// phone showing someone else's findings downloads 20 KB per photo, not 1 MB. Absent on
    /// signatures and on references written before thumbnails travelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<Thumbnail>,
}

/// The thumbnail of a photo: its own content-addressed blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thumbnail {
    /// BLAKE3 hash of the thumbnail JPEG.
    pub hash: BlobHash,
    /// Size in bytes.
    pub bytes: u64,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// Largest thumbnail we accept, in bytes (a 320 px JPEG is about 20 KB).
pub const MAX_THUMBNAIL_BYTES: u64 = 512 * 1024;
/// Largest pixel dimension of a thumbnail.
pub const MAX_THUMBNAIL_EDGE_PX: u32 = 1_024;

/// Largest evidence blob we accept, in bytes (a 2,048 px JPEG is about 1 MB).
pub const MAX_EVIDENCE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest pixel dimension of stored evidence (photos are downscaled to 2,048 px).
pub const MAX_EVIDENCE_EDGE_PX: u32 = 8_192;

impl EvidenceRef {
    /// Checks the metadata is plausible before it goes into a document.
    pub fn validate(&self) -> Result<(), String> {
        if self.bytes == 0 || self.bytes > MAX_EVIDENCE_BYTES {
            return Err(format!(
                "evidence {} is {} bytes; it must be between 1 byte and {} MiB",
                self.hash,
                self.bytes,
                MAX_EVIDENCE_BYTES / (1024 * 1024)
            ));
        }
        let edge_ok = |v: u32| (1..=MAX_EVIDENCE_EDGE_PX).contains(&v);
        if !edge_ok(self.width) || !edge_ok(self.height) {
            return Err(format!(
                "evidence {} is {}×{} px; each side must be between 1 and {MAX_EVIDENCE_EDGE_PX} px",
                self.hash, self.width, self.height
            ));
        }
        if let Some(t) = &self.thumbnail {
            let edge_ok = |v: u32| (1..=MAX_THUMBNAIL_EDGE_PX).contains(&v);
            if self.kind != EvidenceKind::Photo {
                return Err(format!(
                    "evidence {}: only photos have thumbnails",
                    self.hash
                ));
            }
            if t.hash == self.hash {
                return Err(format!(
                    "evidence {}: the thumbnail cannot be the photo itself",
                    self.hash
                ));
            }
            if t.bytes == 0 || t.bytes > MAX_THUMBNAIL_BYTES {
                return Err(format!(
                    "evidence {}: the thumbnail is {} bytes; it must be between 1 byte and {} KiB",
                    self.hash,
                    t.bytes,
                    MAX_THUMBNAIL_BYTES / 1024
                ));
            }
            if !edge_ok(t.width) || !edge_ok(t.height) {
                return Err(format!(
                    "evidence {}: the thumbnail is {}×{} px; each side must be between 1 and \
                     {MAX_THUMBNAIL_EDGE_PX} px",
                    self.hash, t.width, t.height
                ));
            }
        }
        if let Some(l) = self.location {
            let finite = l.lat.is_finite() && l.lon.is_finite() && l.accuracy_m.is_finite();
            if !finite || l.lat.abs() > 90.0 || l.lon.abs() > 180.0 || l.accuracy_m < 0.0 {
                return Err(format!(
                    "evidence {}: the location (latitude {}, longitude {}, accuracy {} m) is not \
                     a place on Earth",
                    self.hash, l.lat, l.lon, l.accuracy_m
                ));
            }
        }
        if let Some(p) = &self.pin {
            let inside = |v: f64| (0.0..=1.0).contains(&v);
            if !inside(p.x) || !inside(p.y) {
                return Err(format!(
                    "evidence {}: the floor-plan pin ({}, {}) is outside the plan (0–1)",
                    self.hash, p.x, p.y
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn photo() -> EvidenceRef {
        EvidenceRef {
            hash: BlobHash::of(b"photo"),
            kind: EvidenceKind::Photo,
            bytes: 800_000,
            width: 2048,
            height: 1536,
            captured_at: Timestamp(1_000),
            device: "dev-1".parse().unwrap(),
            author: "wangli".parse().unwrap(),
            location: None,
            pin: None,
            thumbnail: Some(Thumbnail {
                hash: BlobHash::of(b"thumb"),
                bytes: 20_000,
                width: 320,
                height: 240,
            }),
        }
    }

    /// References sealed before thumbnails travelled read back as having none, and a
    /// reference without one is written without the field, byte for byte as before.
    #[test]
    fn a_reference_without_a_thumbnail_reads_and_writes_as_before() {
        let mut old = serde_json::to_value(photo()).unwrap();
        old.as_object_mut().unwrap().remove("thumbnail");
        let read: EvidenceRef = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(read.thumbnail, None);
        assert_eq!(serde_json::to_value(&read).unwrap(), old);
    }

    #[test]
    fn implausible_thumbnails_are_refused() {
        assert_eq!(photo().validate(), Ok(()));
        let mut itself = photo();
        itself.thumbnail.as_mut().unwrap().hash = itself.hash.clone();
        let mut huge = photo();
        huge.thumbnail.as_mut().unwrap().bytes = MAX_THUMBNAIL_BYTES + 1;
        let mut wide = photo();
        wide.thumbnail.as_mut().unwrap().width = MAX_THUMBNAIL_EDGE_PX + 1;
        let mut signature = photo();
        signature.kind = EvidenceKind::Signature;
        for (bad, says) in [
            (itself, "cannot be the photo itself"),
            (huge, "must be between 1 byte and 512 KiB"),
            (wide, "each side must be between 1 and 1024 px"),
            (signature, "only photos have thumbnails"),
        ] {
            let err = bad.validate().unwrap_err();
            assert!(err.contains(says), "{err}");
        }
    }
}
