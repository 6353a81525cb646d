//! Room for photos on the device: a policy ([`storage_check`]) over the free space of the
//! engine's folder ([`free_bytes`]).
//!
//! An inspector offline in a tower takes photos for hours before anything uploads, so the
//! engine checks before each capture: it refuses one that would eat the last
//! [`StoragePolicy::reserve_bytes`] (the local database must still be able to commit, and the
//! phone to run), and warns well before that, while there is still room for a day's work, so
//! the inspector can upload or clear space at a convenient moment rather than mid-inspection.

use std::fmt;
use std::io;
use std::path::Path;

const MIB: u64 = 1024 * 1024;

/// Thresholds for [`storage_check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoragePolicy {
    /// Below this much free space a capture is refused (50 MiB): SQLite's journal, the sync's
    /// downloads and the phone itself need room too.
    pub reserve_bytes: u64,
    /// Below this much free space the inspector is warned (500 MiB: about 450 photos above
    /// the reserve, a long day's inspection).
    pub warn_below_bytes: u64,
    /// What one capture takes on disk, for "photos left" (1 MiB: a 2,048 px JPEG at quality
    /// 80 and its thumbnail come to 0.5–1 MB).
    pub bytes_per_photo: u64,
}

impl Default for StoragePolicy {
    fn default() -> Self {
        Self {
            reserve_bytes: 50 * MIB,
            warn_below_bytes: 500 * MIB,
            bytes_per_photo: MIB,
        }
    }
}

/// Whether a capture may go ahead, and whether to warn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageStatus {
    /// Room enough.
    Ok {
        /// About how many more photos fit above the reserve.
        photos_left: u64,
    },
    /// The capture may go ahead, but the inspector should upload or free space soon.
    Low {
        /// Free space now.
        free_bytes: u64,
        /// About how many more photos fit above the reserve.
        photos_left: u64,
    },
    /// Refuse the capture: the free space is at or below the reserve.
    Full {
        /// Free space now.
        free_bytes: u64,
        /// The reserve it fell to.
        reserve_bytes: u64,
    },
}

impl StorageStatus {
    /// Whether a photo may be taken.
    pub fn allows_capture(&self) -> bool {
        !matches!(self, Self::Full { .. })
    }
}

impl fmt::Display for StorageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Ok { photos_left } => write!(f, "room for about {photos_left} more photos"),
            Self::Low {
                free_bytes,
                photos_left,
            } => write!(
                f,
                "storage is running low ({} MiB free, about {photos_left} more photos): upload \
                 the photos taken so far, or free space on the device",
                free_bytes / MIB
            ),
            Self::Full {
                free_bytes,
                reserve_bytes,
            } => write!(
                f,
                "storage is full ({} MiB free; Plumbline keeps {} MiB for the app itself): \
                 upload the photos taken so far, or free space on the device, then take the \
                 photo again",
                free_bytes / MIB,
                reserve_bytes / MIB
            ),
        }
    }
}

/// Applies `policy` to `free_bytes` of free space.
pub fn storage_check(free_bytes: u64, policy: &StoragePolicy) -> StorageStatus {
    if free_bytes <= policy.reserve_bytes {
        return StorageStatus::Full {
            free_bytes,
            reserve_bytes: policy.reserve_bytes,
        };
    }
    let photos_left = (free_bytes - policy.reserve_bytes) / policy.bytes_per_photo.max(1);
    if free_bytes < policy.warn_below_bytes {
        StorageStatus::Low {
            free_bytes,
            photos_left,
        }
    } else {
        StorageStatus::Ok { photos_left }
    }
}

/// Bytes free for this app in the file system that holds `dir`: what an unprivileged process
/// may still write (`statvfs`'s `f_bavail`, not `f_bfree`, which counts root's reserve).
pub fn free_bytes(dir: &Path) -> io::Result<u64> {
    fs4::available_space(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_at_the_reserve_warns_below_the_threshold() {
        let policy = StoragePolicy::default();
        assert_eq!(
            storage_check(10 * MIB, &policy),
            StorageStatus::Full {
                free_bytes: 10 * MIB,
                reserve_bytes: 50 * MIB
            }
        );
        assert!(!storage_check(50 * MIB, &policy).allows_capture());
        assert_eq!(
            storage_check(150 * MIB, &policy),
            StorageStatus::Low {
                free_bytes: 150 * MIB,
                photos_left: 100
            }
        );
        assert!(storage_check(150 * MIB, &policy).allows_capture());
        assert_eq!(
            storage_check(2_050 * MIB, &policy),
            StorageStatus::Ok { photos_left: 2_000 }
        );
    }

    #[test]
    fn messages_say_what_to_do() {
        let low = storage_check(150 * MIB, &StoragePolicy::default()).to_string();
        assert!(
            low.contains("about 100 more photos") && low.contains("upload"),
            "{low}"
        );
        let full = storage_check(0, &StoragePolicy::default()).to_string();
        assert!(
            full.contains("storage is full") && full.contains("free space"),
            "{full}"
        );
    }

    #[test]
    fn reads_the_free_space_of_a_real_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let free = free_bytes(dir.path()).expect("statvfs");
        assert!(free > 0);
        assert!(free_bytes(&dir.path().join("missing")).is_err());
    }
}
