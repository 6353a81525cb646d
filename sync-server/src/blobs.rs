//! Evidence blobs: photos and signatures, named by the BLAKE3 hash of their bytes, uploaded in
//! resumable chunks and verified on arrival.
//!
//! # Vocabulary
//!
//! - A **blob** is the bytes of one JPEG photo or PNG signature. Its name is its [`BlobHash`],
//!   so the same photo uploaded twice is one blob, and a name can never point at other bytes.
//! - A **chunk** is at most [`MAX_CHUNK_BYTES`] (1 MiB) of a blob, sent at an **offset**. A photo
//!   on a bad uplink is sent chunk by chunk; when the connection drops, the device asks how much
//!   arrived and goes on from there, so it never starts over.
//! - The **staged parts** `uploads/<hash>/<offset>` in the object store hold the chunks received
//!   so far, one object each ([`crate::staging`]). The end of their unbroken run from offset 0
//!   *is* the resume offset: nothing else records progress, so there is nothing to fall out of
//!   step, and every server replica sees the same progress.
//! - A blob is **stored** once its bytes are in the object store (`<hash[0..2]>/<hash>`, see
//!   [`object_path`]) *and* recorded by [`BlobRowStore::record_blob`](crate::store::BlobRowStore::record_blob). Only stored blobs count as
//!   arrived in the evidence status ("evidence 87/310") and only they can be downloaded.
//!
//! # The protocol (`handlers::blobs`)
//!
//! ```text
//! PUT  /api/v1/blobs/{hash}?offset=N&total=T   Content-Type: image/jpeg | image/png, body ≤ 1 MiB
//!      200 {"hash", "complete": false, "offset": staged}     more to come
//!      201 {"hash", "complete": true, "offset": T, "bytes": T} verified and stored now
//!      200 {"hash", "complete": true, "offset": T, "bytes": T} was stored already (idempotent)
//!      409 {"code": "offset_mismatch", "message", "offset": staged}   resume from `offset`
//!      400 bad hash / offset / total / type, 413 chunk over 1 MiB, 422 bytes do not match hash
//! GET  /api/v1/blobs/{hash}/status   {"hash", "complete", "offset"[, "bytes"]}
//! GET  /api/v1/blobs/{hash}          the bytes (HEAD: only the headers)
//! ```
//!
//! [`Uploads::receive`] takes one chunk. Its offset must equal the staged length (else
//! [`UploadError::OffsetMismatch`], which tells the device where to resume) and it may not go past
//! the declared total `T` (at most [`MAX_BLOB_BYTES`], 16 MiB). When the staged length reaches
//! `T` the parts are put together and hashed; a mismatch deletes them and nothing is kept. A match is then
//! sniffed by its first bytes (JPEG `FF D8 FF`, PNG `89 50 4E 47 0D 0A 1A 0A`), which must agree
//! with the declared `Content-Type`; the bytes go to the object store, the blob is recorded, and
//! the parts are deleted. A chunk at offset 0 is sniffed on arrival too, so a device that
//! sends a video is told so after 1 MiB rather than after 16.
//!
//! A staged length equal to `T` without a stored blob means the server stopped between the last
//! chunk and storing it; an empty chunk at offset `T` finishes the upload.
//!
//! # Why it is built this way
//!
//! - **Serialised per hash.** Two devices (or a retry racing its own timed-out original) may send
//!   the same hash at once. [`Uploads::lock`] gives one async lock per hash within a server, so
//!   its chunks and the final verification never interleave. The body of a chunk is read
//!   *before* the lock is taken, so a slow uplink never holds it. Between replicas, parts are
//!   puts that replace each other whole (see [`crate::staging`]).
//! - **Verification is the safety net.** Devices of different users may continue each other's
//!   parts (the bytes are the same photo or the hash check fails), and a chunk cut off
//!   mid-request stages nothing. Whatever goes wrong in staging, a blob is stored only when
//!   its bytes hash to its name.
//! - **Order of the final steps.** Bytes first, synced to disk ([`crate::durable`]), record
//!   second: a crash between them leaves an unrecorded object, which the next upload of the
//!   hash simply writes again. The reverse order could record a blob whose bytes never arrived,
//!   and so could a record made before the bytes were synced (a power cut keeps the database's
//!   row and loses the unsynced file). A recorded blob whose object is missing (a
//!   wiped folder) accepts a new upload instead of claiming to be complete.
//! - **Why staged parts, not an object-store multipart upload.** S3 multipart parts must be at
//!   least 5 MiB and a blob is at most 16 MiB, so 1 MiB chunks do not map onto them; the cost
//!   of parts is one small object per chunk until the blob is complete.
//! - Blobs are read whole into memory (at most 16 MiB) to hash, sniff and store them; the
//!   downloaded bytes are streamed.
//!
//! Abandoned parts are swept after a day ([`Uploads::remove_stale`]), and each device
//! may hold only so many uploads in progress (`crate::upload_quota`; 429 beyond). Not yet done:
//! photo dimensions are not checked against `MAX_EVIDENCE_EDGE_PX` here (the document's [`EvidenceRef`] carries them, bounded by
//! `EvidenceRef::validate`).
//!
//! # Example
//!
//! ```no_run
//! # async fn demo(state: plumbline_sync_server::state::AppState, jpeg: bytes::Bytes) -> anyhow::Result<()> {
//! use plumbline_shared::ids::{BlobHash, DeviceId};
//! use plumbline_media::ImageType;
//! use plumbline_sync_server::blobs::{Chunk, Progress};
//!
//! let hash = BlobHash::of(&jpeg);
//! let device = DeviceId::new("wangli-phone")?;
//! let chunk = Chunk { offset: 0, total: jpeg.len() as u64, declared: ImageType::Jpeg, bytes: jpeg };
//! let progress = state
//!     .uploads
//!     .receive(&*state.store, &*state.blobs, (&device, &hash), chunk, state.now())
//!     .await?;
//! assert!(matches!(progress, Progress::Stored { .. }));
//! # Ok(()) }
//! ```
//!
//! [`EvidenceRef`]: plumbline_shared::doc::evidence::EvidenceRef

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use object_store::ObjectStore;
use object_store::path::Path;
use plumbline_media::ImageType;
use plumbline_media::SNIFF_BYTES;
use plumbline_shared::doc::evidence::MAX_EVIDENCE_BYTES;
use plumbline_shared::ids::{BlobHash, DeviceId};
use plumbline_shared::time::Timestamp;
use tokio::sync::OwnedMutexGuard;

use crate::durable::Durability;
use crate::staging::{self, StagingError};
use crate::store::{Store, StoreError};
use crate::upload_quota::PartialLedger;

/// Largest chunk, in bytes (shared with the device: [`plumbline_shared::api::MAX_CHUNK_BYTES`]).
pub use plumbline_shared::api::MAX_CHUNK_BYTES;
/// Largest blob, in bytes (16 MiB); the same bound documents put on evidence.
pub const MAX_BLOB_BYTES: u64 = MAX_EVIDENCE_BYTES;

/// How long a partial upload may wait for its next chunk before it is removed: a day.
pub const STALE_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

/// Where a blob lives in the object store: `<first two hex digits>/<hash>`, so that no folder
/// of a local store grows past a few thousand entries.
pub fn object_path(hash: &BlobHash) -> Path {
    let hex = hash.as_str();
    Path::from_iter([&hex[..2], hex])
}

/// Where the server's thumbnail of a blob lives: `thumbs/<first two hex digits>/<hash>`. It is
/// made from the blob's bytes when they are stored (see `plumbline_media::image_check`); where it is
/// missing, the office is shown the photo itself.
pub fn thumbnail_path(hash: &BlobHash) -> Path {
    let hex = hash.as_str();
    Path::from_iter(["thumbs", &hex[..2], hex])
}

/// One chunk of an upload.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Where in the blob it starts; must equal the bytes staged so far.
    pub offset: u64,
    /// The whole blob's size.
    pub total: u64,
    /// The type the device says the blob is.
    pub declared: ImageType,
    /// The bytes, at most [`MAX_CHUNK_BYTES`].
    pub bytes: Bytes,
}

/// What an accepted chunk led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// More to come: this many bytes are staged.
    Partial {
        /// The staged length, where the next chunk starts.
        staged: u64,
    },
    /// This chunk completed the blob; it is verified and stored.
    Stored {
        /// Its size.
        bytes: u64,
    },
    /// The blob was stored before; nothing was written.
    AlreadyStored {
        /// Its size.
        bytes: u64,
    },
}

/// How far an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    /// Stored, with its size.
    Stored(u64),
    /// Not stored; this many bytes are staged (0 when nothing is).
    Staged(u64),
}

/// Why a chunk was refused. In every case but the internal ones, nothing changed except as said.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The chunk does not start where the staged bytes end.
    #[error(
        "this chunk starts at byte {offset}, but the server holds {staged} bytes of the blob; \
         send the rest from offset {staged}"
    )]
    OffsetMismatch {
        /// The chunk's offset.
        offset: u64,
        /// The staged length, where the device must resume.
        staged: u64,
    },
    /// The declared total is zero or too large.
    #[error("a blob must be between 1 byte and {max} bytes (16 MiB); this one says it is {total} bytes", max = MAX_BLOB_BYTES)]
    BadTotal {
        /// The declared total.
        total: u64,
    },
    /// The chunk is larger than a chunk may be.
    #[error("a chunk may be at most {max} bytes (1 MiB); this one is {len}; send smaller chunks", max = MAX_CHUNK_BYTES)]
    ChunkTooLarge {
        /// Its length.
        len: usize,
    },
    /// The chunk would end past the declared total.
    #[error(
        "a chunk of {len} bytes at offset {offset} ends past the blob's total of {total} bytes; \
         check the total"
    )]
    PastTotal {
        /// The chunk's offset.
        offset: u64,
        /// Its length.
        len: usize,
        /// The declared total.
        total: u64,
    },
    /// The bytes hash to another name; they were discarded.
    #[error(
        "the bytes do not match hash {expected} (they hash to {actual}); nothing was kept, \
         upload the photo again from offset 0"
    )]
    HashMismatch {
        /// The name the device gave.
        expected: BlobHash,
        /// The hash of what arrived.
        actual: BlobHash,
    },
    /// Neither a JPEG nor a PNG; discarded.
    #[error(
        "the bytes are neither a JPEG photo nor a PNG signature; only image/jpeg and image/png are kept"
    )]
    NotAnImage,
    /// A JPEG sent as PNG or the reverse; discarded.
    #[error(
        "the request says {declared} but the bytes are {found}; send the matching Content-Type"
    )]
    TypeMismatch {
        /// The declared type.
        declared: ImageType,
        /// The sniffed type.
        found: ImageType,
    },
    /// The device has too many uploads in progress (see [`crate::upload_quota`]).
    #[error(transparent)]
    Quota(#[from] crate::upload_quota::QuotaExceeded),
    /// The image is too large or does not decode; discarded.
    #[error("{0}; nothing was kept")]
    BadImage(#[from] plumbline_media::image_check::ImageRefusal),
    /// Making a part or a blob durable failed.
    #[error("making an upload durable: {0}")]
    Io(#[from] std::io::Error),
    /// The records store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The object store failed.
    #[error("object store: {0}")]
    Objects(#[from] object_store::Error),
}

impl UploadError {
    /// A short, stable label for metrics and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            UploadError::OffsetMismatch { .. } => "offset",
            UploadError::BadTotal { .. } => "total",
            UploadError::ChunkTooLarge { .. } => "chunk_size",
            UploadError::PastTotal { .. } => "past_total",
            UploadError::HashMismatch { .. } => "hash",
            UploadError::NotAnImage => "not_image",
            UploadError::TypeMismatch { .. } => "type",
            UploadError::BadImage(_) => "image",
            UploadError::Quota(_) => "quota",
            UploadError::Io(_) | UploadError::Store(_) | UploadError::Objects(_) => "internal",
        }
    }
}

impl From<StagingError> for UploadError {
    fn from(e: StagingError) -> Self {
        match e {
            StagingError::Objects(e) => UploadError::Objects(e),
            StagingError::Io(e) => UploadError::Io(e),
        }
    }
}

/// Uploads in progress: one lock per hash, and who started each. The chunks themselves are
/// staged in the object store ([`crate::staging`]). See the module docs.
pub struct Uploads {
    /// How a put object becomes durable before it is acknowledged or recorded.
    durable: Durability,
    locks: Mutex<HashMap<BlobHash, Arc<tokio::sync::Mutex<()>>>>,
    /// Who started each upload in progress, for the per-device quota.
    partial: PartialLedger,
}

impl std::fmt::Debug for Uploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uploads")
            .field("durable", &self.durable)
            .finish_non_exhaustive()
    }
}

/// The held lock of one hash's upload. Dropping it releases the lock and forgets the hash when
/// nobody else waits for it, so the lock table holds only uploads in flight.
#[derive(Debug)]
pub struct UploadLock<'a> {
    uploads: &'a Uploads,
    hash: BlobHash,
    _guard: OwnedMutexGuard<()>,
}

impl Drop for UploadLock<'_> {
    fn drop(&mut self) {
        let mut locks = self
            .uploads
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Two references are the table's and the one in our guard; a waiter holds a third
        // (it clones under the table's lock, so this check cannot race it).
        if locks
            .get(&self.hash)
            .is_some_and(|entry| Arc::strong_count(entry) <= 2)
        {
            locks.remove(&self.hash);
        }
    }
}

impl Uploads {
    /// No uploads yet; staged parts and stored objects become durable as `durable` says.
    pub fn new(durable: Durability) -> Self {
        Self {
            durable,
            locks: Mutex::new(HashMap::new()),
            partial: PartialLedger::default(),
        }
    }

    /// Removes the parts nobody needs any more, and returns of how many uploads:
    ///
    /// - those of an upload no chunk has touched for [`STALE_AFTER_MS`] before `now`: abandoned
    ///   by a phone that was lost, reset or never came back, or left on purpose to fill the
    ///   store. A device that returns starts that photo again from offset 0 (the status says 0
    ///   bytes staged). "Touched" is the object store's own time of the newest part.
    /// - those of a photo already stored: a part whose put was still on its way to the store
    ///   when the replica that sent it died, and which the store finished after another replica
    ///   had completed the photo and removed its parts.
    pub async fn remove_stale(
        &self,
        store: &dyn Store,
        objects: &dyn ObjectStore,
        now: Timestamp,
    ) -> Result<usize, UploadError> {
        let before = Timestamp(now.0 - STALE_AFTER_MS);
        let mut removed = 0;
        for hash in staging::staged_hashes(objects).await? {
            // Under the hash's lock, and looked at again: a chunk may have just arrived.
            let lock = self.lock(&hash).await;
            let staged = staging::staged(objects, &hash).await?;
            let stored = matches!(
                self.state_locked(&lock, store, objects).await?,
                UploadState::Stored(_)
            );
            if stored || staged.untouched_since(before) {
                staging::clear(objects, &staged).await?;
                self.partial.release(&hash);
                removed += 1;
                tracing::info!(blob = %hash, bytes = staged.len(), stored, "removed the parts of an upload nobody needs");
            }
        }
        Ok(removed)
    }

    /// Waits for, then holds, the lock of one hash's upload.
    pub async fn lock(&self, hash: &BlobHash) -> UploadLock<'_> {
        let mutex = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            locks.entry(hash.clone()).or_default().clone()
        };
        UploadLock {
            uploads: self,
            hash: hash.clone(),
            _guard: mutex.lock_owned().await,
        }
    }

    /// How far the upload of `hash` is: stored (with its size) or how many bytes are staged.
    pub async fn state(
        &self,
        store: &dyn Store,
        objects: &dyn ObjectStore,
        hash: &BlobHash,
    ) -> Result<UploadState, UploadError> {
        let lock = self.lock(hash).await;
        self.state_locked(&lock, store, objects).await
    }

    async fn state_locked(
        &self,
        lock: &UploadLock<'_>,
        store: &dyn Store,
        objects: &dyn ObjectStore,
    ) -> Result<UploadState, UploadError> {
        let hash = &lock.hash;
        if store.blob_exists(hash).await? {
            match objects.head(&object_path(hash)).await {
                Ok(meta) => return Ok(UploadState::Stored(meta.size)),
                Err(object_store::Error::NotFound { .. }) => {
                    tracing::error!(blob = %hash, "a recorded blob is missing from the object store; accepting a new upload");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(UploadState::Staged(
            staging::staged(objects, hash).await?.len(),
        ))
    }

    /// Takes one chunk of the upload of `hash` from `device`: stages it, and when it completes
    /// the blob, verifies and stores it. See the module docs for the rules; the upload counts
    /// against the quota of the device that started it ([`crate::upload_quota`]).
    pub async fn receive(
        &self,
        store: &dyn Store,
        objects: &dyn ObjectStore,
        (device, hash): (&DeviceId, &BlobHash),
        chunk: Chunk,
        now: Timestamp,
    ) -> Result<Progress, UploadError> {
        let Chunk {
            offset,
            total,
            declared,
            bytes,
        } = chunk;
        if total == 0 || total > MAX_BLOB_BYTES {
            return Err(UploadError::BadTotal { total });
        }
        if bytes.len() > MAX_CHUNK_BYTES {
            return Err(UploadError::ChunkTooLarge { len: bytes.len() });
        }

        let lock = self.lock(hash).await;
        let staged = match self.state_locked(&lock, store, objects).await? {
            UploadState::Stored(size) => return Ok(Progress::AlreadyStored { bytes: size }),
            UploadState::Staged(staged) => staged,
        };
        if offset != staged {
            return Err(UploadError::OffsetMismatch { offset, staged });
        }
        let end = offset + bytes.len() as u64;
        if end > total {
            return Err(UploadError::PastTotal {
                offset,
                len: bytes.len(),
                total,
            });
        }
        // Refuse the wrong kind of file at its first chunk, not after 16 MiB.
        if offset == 0 && (bytes.len() >= SNIFF_BYTES || end == total) {
            check_type(declared, &bytes)?;
        }
        // Charged when bytes are staged: an empty chunk stages no file for the sweep to find.
        if !bytes.is_empty() {
            self.partial.charge(device, hash, total)?;
        }

        if !bytes.is_empty() {
            staging::put_part(objects, &self.durable, hash, offset, bytes).await?;
        }
        if end < total {
            return Ok(Progress::Partial { staged: end });
        }

        let staged = staging::staged(objects, hash).await?;
        if staged.len() != total {
            // Another replica's chunk replaced this one's part at the same moment.
            return Err(UploadError::OffsetMismatch {
                offset,
                staged: staged.len(),
            });
        }
        let stored = store_staged(
            &staged,
            hash,
            declared,
            (store, objects, &self.durable),
            now,
        )
        .await;
        // Stored, or refused by verification (nothing is kept): the parts are done with. After
        // an internal failure (the object store was down) they stay, so the device's retry (an
        // empty chunk at offset `total`) does not send 16 MiB again.
        let internal = matches!(
            stored,
            Err(UploadError::Io(_) | UploadError::Store(_) | UploadError::Objects(_))
        );
        if !internal {
            self.partial.release(hash);
            if let Err(e) = staging::clear(objects, &staged).await {
                tracing::warn!(blob = %hash, error = %e, "could not delete an upload's parts");
            }
        } else if let UploadState::Stored(bytes) = self.state_locked(&lock, store, objects).await? {
            // Another replica finished the same blob and removed the parts under our feet.
            return Ok(Progress::AlreadyStored { bytes });
        }
        drop(lock);
        stored
    }
}

impl Uploads {
    /// Stores a blob that arrived whole in one request (a floor plan uploaded through the
    /// office web), by the same final steps as the last chunk of a device's upload: its type
    /// is sniffed, its bytes go to the object store under their hash, then it is recorded.
    /// Serialised with device uploads of the same hash; a blob stored before is left as it is.
    pub async fn store_whole(
        &self,
        store: &dyn Store,
        objects: &dyn ObjectStore,
        bytes: Bytes,
        now: Timestamp,
    ) -> Result<(BlobHash, Progress), UploadError> {
        let hash = BlobHash::of(&bytes);
        let declared = ImageType::sniff(&bytes).ok_or(UploadError::NotAnImage)?;
        let lock = self.lock(&hash).await;
        if let UploadState::Stored(size) = self.state_locked(&lock, store, objects).await? {
            return Ok((hash, Progress::AlreadyStored { bytes: size }));
        }
        let progress =
            store_verified(&hash, declared, bytes, (store, objects, &self.durable), now).await?;
        drop(lock);
        Ok((hash, progress))
    }
}

/// Verifies a complete run of parts and stores it.
async fn store_staged(
    staged: &staging::Staged,
    hash: &BlobHash,
    declared: ImageType,
    to: Destination<'_>,
    now: Timestamp,
) -> Result<Progress, UploadError> {
    let content = staging::assemble(to.1, staged).await?;
    let hashed = content.clone();
    let actual = tokio::task::spawn_blocking(move || BlobHash::of(&hashed))
        .await
        .map_err(std::io::Error::other)?;
    if &actual != hash {
        return Err(UploadError::HashMismatch {
            expected: hash.clone(),
            actual,
        });
    }
    store_verified(hash, declared, content, to, now).await
}

/// Where a blob goes: the records, the object store, and how its objects become durable.
type Destination<'a> = (&'a dyn Store, &'a dyn ObjectStore, &'a Durability);

/// The last steps of every upload, for bytes known to hash to `hash`: checks their type, puts
/// them in the object store, makes them durable, then records the blob (bytes first: see the
/// module docs).
async fn store_verified(
    hash: &BlobHash,
    declared: ImageType,
    content: Bytes,
    (store, objects, durable): Destination<'_>,
    now: Timestamp,
) -> Result<Progress, UploadError> {
    check_type(declared, &content)?;
    // Its header and data, before anyone is given it to show (see `plumbline_media::image_check`).
    let bytes = content.clone();
    let checked =
        tokio::task::spawn_blocking(move || plumbline_media::image_check::check(declared, &bytes))
            .await
            .map_err(std::io::Error::other)??;
    // The server's own thumbnail, before the blob is recorded: a recorded photo always has it
    // (or, for a pixel format it is not made for, the photo itself stands in).
    if let Some(thumbnail) = checked.thumbnail {
        objects.put(&thumbnail_path(hash), thumbnail.into()).await?;
    }
    let size = content.len() as u64;
    let path = object_path(hash);
    objects.put(&path, content.into()).await?;
    // Durable before the row says it exists: a photo the server confirmed is deleted from the
    // phone, so a confirmed photo lost to a power cut would be lost for good.
    let durable = durable.clone();
    tokio::task::spawn_blocking(move || durable.sync(path.as_ref()))
        .await
        .map_err(std::io::Error::other)??;
    store
        .record_blob(hash, size, declared.content_type(), now)
        .await?;
    Ok(Progress::Stored { bytes: size })
}

/// Checks the first bytes show a type we keep, and the one declared.
fn check_type(declared: ImageType, bytes: &[u8]) -> Result<(), UploadError> {
    match ImageType::sniff(bytes) {
        None => Err(UploadError::NotAnImage),
        Some(found) if found != declared => Err(UploadError::TypeMismatch { declared, found }),
        Some(_) => Ok(()),
    }
}

/// A stored blob, ready to stream.
pub struct Download {
    /// Its type, from its first bytes.
    pub image: Option<ImageType>,
    /// Its size.
    pub size: u64,
    /// Its bytes.
    pub stream: BoxStream<'static, object_store::Result<Bytes>>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("image", &self.image)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// A stored blob's bytes, whole; `None` when the object store has no such object. For the
/// documents that embed one (a dispute pack, a PDF with a signature): blobs are at most
/// [`MAX_EVIDENCE_BYTES`](plumbline_shared::doc::evidence::MAX_EVIDENCE_BYTES).
pub async fn read_whole(
    objects: &dyn ObjectStore,
    hash: &BlobHash,
) -> object_store::Result<Option<bytes::Bytes>> {
    match objects.get(&object_path(hash)).await {
        Ok(got) => got.bytes().await.map(Some),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The server's thumbnail of a stored photo, whole; `None` when there is none (a photo stored
/// before thumbnails were made, or of a format they are not made for). For the documents that
/// print photos small (a notice, the product suggestion table).
pub async fn read_thumbnail(
    objects: &dyn ObjectStore,
    hash: &BlobHash,
) -> object_store::Result<Option<bytes::Bytes>> {
    match objects.get(&thumbnail_path(hash)).await {
        Ok(got) => got.bytes().await.map(Some),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Opens a stored blob; `None` when the object store has no such object. The type comes from
/// the bytes themselves: only sniffed JPEGs and PNGs are ever stored, so this is the type that
/// was checked on upload, without a second source of truth to disagree with.
pub async fn open(
    objects: &dyn ObjectStore,
    hash: &BlobHash,
) -> object_store::Result<Option<Download>> {
    let got = match objects.get(&object_path(hash)).await {
        Ok(got) => got,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let size = got.meta.size;
    let mut rest = got.into_stream();
    // Peek at the first bytes without losing them: gather chunks until there are enough to
    // sniff, then stream them ahead of the rest.
    let mut head = Vec::new();
    while head.len() < SNIFF_BYTES {
        match rest.next().await {
            Some(chunk) => head.push(chunk?),
            None => break,
        }
    }
    let prefix: Vec<u8> = head
        .iter()
        .flat_map(|b| b.iter().copied())
        .take(SNIFF_BYTES)
        .collect();
    let image = ImageType::sniff(&prefix);
    let stream = stream::iter(head.into_iter().map(Ok)).chain(rest).boxed();
    Ok(Some(Download {
        image,
        size,
        stream,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    /// `len` bytes (at least 286) that the server keeps: a real 16 × 16 JPEG, then bytes
    /// after its end, which decoders skip.
    fn device() -> DeviceId {
        DeviceId::new("wangli-phone").unwrap()
    }

    fn jpeg(len: usize) -> Bytes {
        let mut v = include_bytes!("../../assets/fixtures/tiny.jpg").to_vec();
        v.extend((v.len()..len).map(|i| (i * 31 % 251) as u8));
        Bytes::from(v)
    }

    async fn fixture() -> (tempfile::TempDir, Arc<dyn Store>, InMemory, Uploads) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let clock = plumbline_shared::clock::Clock::manual(Timestamp(1_764_205_200_000));
        let store = crate::store::connect(&url, clock).await.unwrap();
        let uploads = Uploads::new(Durability::AcknowledgedByStore);
        (dir, store, InMemory::new(), uploads)
    }

    #[test]
    fn objects_are_fanned_out_by_prefix() {
        let hash = BlobHash::of(b"x");
        assert_eq!(
            object_path(&hash).to_string(),
            format!("{}/{}", &hash.as_str()[..2], hash)
        );
    }

    #[tokio::test]
    async fn a_partial_upload_untouched_for_a_day_is_removed_and_a_recent_one_kept() {
        let (_dir, store, objects, uploads) = fixture().await;
        let (old, recent) = (jpeg(2000), jpeg(2001));
        let at = Timestamp(1);
        for bytes in [&old, &recent] {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            let chunk = Chunk {
                offset: 0,
                total: bytes.len() as u64,
                declared: ImageType::Jpeg,
                bytes: bytes.slice(0..1000),
            };
            let hash = BlobHash::of(bytes);
            uploads
                .receive(&*store, &objects, (&device(), &hash), chunk, at)
                .await
                .unwrap();
        }
        let (old_hash, recent_hash) = (BlobHash::of(&old), BlobHash::of(&recent));
        // The store stamps its objects with its own time: "now" is a day after the recent part
        // was written, which is after the old one was.
        let touched = |hash: &BlobHash| {
            let path = staging::part_path(hash, 0);
            let objects = &objects;
            async move {
                let meta = objects.head(&path).await.unwrap();
                meta.last_modified.timestamp_millis()
            }
        };
        let (old_at, recent_at) = (touched(&old_hash).await, touched(&recent_hash).await);
        assert!(old_at < recent_at, "the parts were written 10 ms apart");
        let now = Timestamp(recent_at + STALE_AFTER_MS);
        assert_eq!(
            uploads.remove_stale(&*store, &objects, now).await.unwrap(),
            1
        );
        assert_eq!(
            uploads.state(&*store, &objects, &old_hash).await.unwrap(),
            UploadState::Staged(0)
        );
        assert_eq!(
            uploads
                .state(&*store, &objects, &recent_hash)
                .await
                .unwrap(),
            UploadState::Staged(1000)
        );
    }

    #[tokio::test]
    async fn a_part_that_reached_the_store_after_its_photo_was_stored_is_swept_at_once() {
        let (_dir, store, objects, uploads) = fixture().await;
        let bytes = jpeg(600);
        let hash = BlobHash::of(&bytes);
        let whole = Chunk {
            offset: 0,
            total: 600,
            declared: ImageType::Jpeg,
            bytes: bytes.clone(),
        };
        let p = uploads
            .receive(&*store, &objects, (&device(), &hash), whole, Timestamp(1))
            .await
            .unwrap();
        assert_eq!(p, Progress::Stored { bytes: 600 });
        // The put of a replica that died, finished by the store after the photo was complete.
        staging::put_part(&objects, &uploads.durable, &hash, 300, bytes.slice(300..))
            .await
            .unwrap();
        assert!(!staging::staged(&objects, &hash).await.unwrap().is_empty());
        let swept = uploads.remove_stale(&*store, &objects, Timestamp(2)).await;
        assert_eq!(swept.unwrap(), 1);
        assert!(staging::staged(&objects, &hash).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn chunks_resume_and_complete_once() {
        let (_dir, store, objects, uploads) = fixture().await;
        let bytes = jpeg(2500);
        let hash = BlobHash::of(&bytes);
        let total = bytes.len() as u64;
        let chunk = |offset: usize, end: usize| Chunk {
            offset: offset as u64,
            total,
            declared: ImageType::Jpeg,
            bytes: bytes.slice(offset..end),
        };
        let at = Timestamp(1);
        let p = uploads
            .receive(&*store, &objects, (&device(), &hash), chunk(0, 1000), at)
            .await
            .unwrap();
        assert_eq!(p, Progress::Partial { staged: 1000 });
        let e = uploads
            .receive(&*store, &objects, (&device(), &hash), chunk(0, 1000), at)
            .await
            .unwrap_err();
        assert!(
            matches!(e, UploadError::OffsetMismatch { staged: 1000, .. }),
            "{e}"
        );
        let p = uploads
            .receive(&*store, &objects, (&device(), &hash), chunk(1000, 2500), at)
            .await
            .unwrap();
        assert_eq!(p, Progress::Stored { bytes: total });
        assert!(
            staging::staged(&objects, &hash).await.unwrap().is_empty(),
            "the parts are removed once stored"
        );
        assert!(store.blob_exists(&hash).await.unwrap());
        let p = uploads
            .receive(&*store, &objects, (&device(), &hash), chunk(0, 10), at)
            .await
            .unwrap();
        assert_eq!(p, Progress::AlreadyStored { bytes: total });
        assert!(
            uploads.locks.lock().unwrap().is_empty(),
            "locks are forgotten"
        );
    }

    /// The write path syncs the object before it records the blob: with the objects on disk
    /// where the durability looks for them the upload is stored; with them anywhere else the
    /// sync fails, the upload fails, and no row says the blob exists (the device will send it
    /// again). Without the sync in the path the second upload would be recorded.
    #[tokio::test]
    async fn a_blob_is_recorded_only_after_its_file_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let clock = plumbline_shared::clock::Clock::manual(Timestamp(1_764_205_200_000));
        let store = crate::store::connect(&url, clock).await.unwrap();
        let blobs = dir.path().join("blobs");
        std::fs::create_dir_all(&blobs).unwrap();
        let objects = object_store::local::LocalFileSystem::new_with_prefix(&blobs).unwrap();
        let synced = Uploads::new(Durability::LocalFiles(blobs.clone()));
        let bytes = jpeg(300);
        let (hash, progress) = synced
            .store_whole(&*store, &objects, bytes, Timestamp(1))
            .await
            .unwrap();
        assert_eq!(progress, Progress::Stored { bytes: 300 });
        assert!(store.blob_exists(&hash).await.unwrap());

        let elsewhere = Uploads::new(Durability::LocalFiles(dir.path().join("not-the-blobs")));
        let other = jpeg(301);
        let e = elsewhere
            .store_whole(&*store, &objects, other.clone(), Timestamp(1))
            .await
            .unwrap_err();
        assert!(matches!(e, UploadError::Io(_)), "{e}");
        assert!(!store.blob_exists(&BlobHash::of(&other)).await.unwrap());
    }

    #[tokio::test]
    async fn a_finished_run_of_parts_completes_with_an_empty_chunk() {
        let (_dir, store, objects, uploads) = fixture().await;
        let bytes = jpeg(400);
        let hash = BlobHash::of(&bytes);
        staging::put_part(&objects, &uploads.durable, &hash, 0, bytes.clone())
            .await
            .unwrap();
        let chunk = Chunk {
            offset: 400,
            total: 400,
            declared: ImageType::Jpeg,
            bytes: Bytes::new(),
        };
        let p = uploads
            .receive(&*store, &objects, (&device(), &hash), chunk, Timestamp(1))
            .await
            .unwrap();
        assert_eq!(p, Progress::Stored { bytes: 400 });
        let d = open(&objects, &hash).await.unwrap().unwrap();
        assert_eq!(d.image, Some(ImageType::Jpeg));
        let got: Vec<Bytes> = d.stream.map(|b| b.unwrap()).collect().await;
        assert_eq!(got.concat(), bytes.to_vec());
    }

    #[tokio::test]
    async fn a_recorded_blob_whose_object_vanished_accepts_a_new_upload() {
        let (_dir, store, objects, uploads) = fixture().await;
        let bytes = jpeg(500);
        let hash = BlobHash::of(&bytes);
        store
            .record_blob(&hash, 500, "image/jpeg", Timestamp(1))
            .await
            .unwrap();
        assert_eq!(
            uploads.state(&*store, &objects, &hash).await.unwrap(),
            UploadState::Staged(0)
        );
        let chunk = Chunk {
            offset: 0,
            total: 500,
            declared: ImageType::Jpeg,
            bytes,
        };
        let p = uploads
            .receive(&*store, &objects, (&device(), &hash), chunk, Timestamp(2))
            .await
            .unwrap();
        assert_eq!(p, Progress::Stored { bytes: 500 });
        assert_eq!(
            uploads.state(&*store, &objects, &hash).await.unwrap(),
            UploadState::Stored(500)
        );
    }

    #[tokio::test]
    async fn a_png_declared_as_jpeg_is_refused_at_its_first_chunk() {
        let (_dir, store, objects, uploads) = fixture().await;
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        v.extend_from_slice(&[0; 100]);
        let hash = BlobHash::of(&v);
        let chunk = Chunk {
            offset: 0,
            total: 1000,
            declared: ImageType::Jpeg,
            bytes: Bytes::from(v),
        };
        let e = uploads
            .receive(&*store, &objects, (&device(), &hash), chunk, Timestamp(1))
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                UploadError::TypeMismatch {
                    found: ImageType::Png,
                    ..
                }
            ),
            "{e}"
        );
        assert!(staging::staged(&objects, &hash).await.unwrap().is_empty());
    }
}
