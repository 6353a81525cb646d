//! Photo files on the device: `photos/<hash>.jpg` (what is uploaded) and
//! `thumbs/<hash>.jpg` (for lists); downloaded photos of others in `cache/`, evicted when the
//! cache is full; and floor-plan images in `plans/<hash>` (PNG or JPEG), which are never
//! evicted nor swept as strays: the finding editor needs them with no signal, and
//! [`crate::floor_plan_images`] decides which to keep.
//!
//! A file is written to a temporary name, synced, renamed into place, and its folder synced,
//! before the database row that references it is committed: after a crash a row never points
//! at a missing or half-written file. A file without a row (a crash between the two) is a
//! stray, removed at the next start.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use plumbline_shared::ids::BlobHash;
use plumbline_shared::time::Timestamp;

/// The photo folders. See the module docs.
#[derive(Debug)]
pub struct PhotoFiles {
    photos: PathBuf,
    thumbs: PathBuf,
    cache: PathBuf,
    plans: PathBuf,
}

impl PhotoFiles {
    /// Opens (creates) the folders under `dir`.
    pub fn open(dir: &Path) -> io::Result<Self> {
        let photos = dir.join("photos");
        let thumbs = dir.join("thumbs");
        let cache = dir.join("cache");
        let plans = dir.join("plans");
        fs::create_dir_all(&photos)?;
        fs::create_dir_all(&thumbs)?;
        fs::create_dir_all(&cache)?;
        fs::create_dir_all(&plans)?;
        Ok(Self {
            photos,
            thumbs,
            cache,
            plans,
        })
    }

    fn plan_file(&self, hash: &BlobHash) -> PathBuf {
        self.plans.join(hash.as_str())
    }

    /// A floor-plan image's path, once downloaded.
    pub fn plan(&self, hash: &BlobHash) -> Option<PathBuf> {
        let path = self.plan_file(hash);
        path.exists().then_some(path)
    }

    /// Keeps a downloaded floor-plan image (already checked against its hash) durably.
    pub fn write_plan(&self, hash: &BlobHash, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.plan_file(hash);
        write_durably(&path, bytes)?;
        Ok(path)
    }

    /// Deletes every floor-plan image (signing out); the next person's sync fetches theirs.
    pub fn remove_plans(&self) -> io::Result<()> {
        for entry in fs::read_dir(&self.plans)? {
            remove_if_present(&entry?.path())?;
        }
        Ok(())
    }

    fn photo_file(&self, hash: &BlobHash) -> PathBuf {
        self.photos.join(format!("{hash}.jpg"))
    }

    fn thumb_file(&self, hash: &BlobHash) -> PathBuf {
        self.thumbs.join(format!("{hash}.jpg"))
    }

    /// Writes a photo and its thumbnail durably.
    pub fn write(&self, hash: &BlobHash, jpeg: &[u8], thumbnail: &[u8]) -> io::Result<()> {
        write_durably(&self.photo_file(hash), jpeg)?;
        write_durably(&self.thumb_file(hash), thumbnail)
    }

    /// Writes a blob that has no thumbnail (an owner's signature) durably, where photos go.
    pub fn write_single(&self, hash: &BlobHash, bytes: &[u8]) -> io::Result<()> {
        write_durably(&self.photo_file(hash), bytes)
    }

    /// The photo's path, while the file exists.
    pub fn photo(&self, hash: &BlobHash) -> Option<PathBuf> {
        let path = self.photo_file(hash);
        path.exists().then_some(path)
    }

    /// The thumbnail's path, while the file exists.
    pub fn thumbnail(&self, hash: &BlobHash) -> Option<PathBuf> {
        let path = self.thumb_file(hash);
        path.exists().then_some(path)
    }

    /// A downloaded photo of someone else's finding, when cached; using it at `now` marks it
    /// recent.
    pub fn cached(&self, hash: &BlobHash, now: Timestamp) -> Option<PathBuf> {
        let path = self.cache.join(format!("{hash}.jpg"));
        let file = File::options().append(true).open(&path).ok()?;
        // Recently used photos are evicted last: the modification time is the use time.
        let used = u64::try_from(now.0).map_or(std::time::UNIX_EPOCH, |ms| {
            std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)
        });
        let _ = file.set_modified(used);
        Some(path)
    }

    /// Keeps a downloaded photo in the cache, then evicts the least recently used ones until
    /// the cache holds at most `bound` bytes (the new one always stays).
    pub fn cache(&self, hash: &BlobHash, bytes: &[u8], bound: u64) -> io::Result<PathBuf> {
        let path = self.cache.join(format!("{hash}.jpg"));
        write_durably(&path, bytes)?;
        let mut entries = Vec::new();
        let mut total = 0u64;
        for entry in fs::read_dir(&self.cache)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            total += meta.len();
            if entry.path() != path {
                entries.push((meta.modified()?, meta.len(), entry.path()));
            }
        }
        entries.sort();
        for (_, len, old) in entries {
            if total <= bound {
                break;
            }
            remove_if_present(&old)?;
            total -= len;
        }
        Ok(path)
    }

    /// Reads `len` bytes of the photo from `offset`.
    pub fn read_range(&self, hash: &BlobHash, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = File::open(self.photo_file(hash))?;
        file.seek(SeekFrom::Start(offset))?;
        let mut buf = Vec::with_capacity(len);
        file.take(len as u64).read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// The thumbnail's bytes, whole (it is small: one upload request).
    pub fn read_thumbnail(&self, hash: &BlobHash) -> io::Result<Vec<u8>> {
        fs::read(self.thumb_file(hash))
    }

    /// Deletes the full-size photo (the thumbnail stays).
    pub fn delete_photo(&self, hash: &BlobHash) -> io::Result<()> {
        remove_if_present(&self.photo_file(hash))
    }

    /// Deletes both files of a photo.
    pub fn remove(&self, hash: &BlobHash) -> io::Result<()> {
        remove_if_present(&self.photo_file(hash))?;
        remove_if_present(&self.thumb_file(hash))
    }

    /// Removes files that belong to no known photo, and temporary files. Returns how many.
    pub fn remove_strays(&self, known: &[BlobHash]) -> io::Result<usize> {
        let known: std::collections::HashSet<String> =
            known.iter().map(|h| format!("{h}.jpg")).collect();
        let mut removed = 0;
        for dir in [&self.photos, &self.thumbs] {
            for entry in fs::read_dir(dir)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if !known.contains(&name) {
                    fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it into place: a
/// crash or a full disk leaves either the whole file or none. A write that fails removes its
/// temporary file, which would otherwise hold the room a full disk needs back.
fn write_durably(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let written = File::create(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written {
        // The write's error is the one to report; a temporary file that cannot be removed
        // is overwritten by the next write of the same photo.
        let _ = remove_if_present(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}
