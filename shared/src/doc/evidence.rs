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
}

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
        if let Some(l) = self.location {
            let finite = l.lat.is_finite() && l.lon.is_finite() && l.accuracy_m.is_finite();
            if !finite || l.lat.abs() > 90.0 || l.lon.abs() > 180.0 || l.accuracy_m < 0.0 {
                return Err(format!(
                    "evidence {}: location {l:?} is not a place on Earth",
                    self.hash
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
