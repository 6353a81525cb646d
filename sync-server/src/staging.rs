//! The chunks of uploads in progress, kept as **staged parts** in the object store itself.
//!
//! Each accepted chunk is one object, `uploads/<hash>/<offset>` (the offset zero-padded to 20
//! digits, so that names sort by offset). Nothing else records progress: the resume offset is
//! the end of the unbroken run of parts from offset 0 ([`Staged::len`]), so there is nothing to
//! fall out of step, and every server replica in front of the same store sees the same
//! progress — a phone whose connection drops may resume on any replica.
//!
//! Why parts rather than an S3 multipart upload: S3 parts must be at least 5 MiB (all but the
//! last) and a blob is at most 16 MiB, sent in chunks of at most 1 MiB, so chunks do not map
//! onto parts; and a multipart upload cannot tell how far it got without a list of its own.
//! Parts are plain puts, which every store (a local folder, S3, Garage) acknowledges only once
//! they are durable (for the folder, see [`crate::durable`]).
//!
//! Two replicas taking the same hash's chunk at the same offset both write the part of that
//! offset: the later put wins, the run stays unbroken, and a device whose chunk lost (it was
//! longer or shorter) is sent to the run's end by the offset check. Whatever goes wrong, the
//! assembled bytes are stored only when they hash to the blob's name (`crate::blobs`).

use bytes::{Bytes, BytesMut};
use futures::TryStreamExt;
use object_store::ObjectStore;
use object_store::path::Path;
use plumbline_shared::ids::BlobHash;
use plumbline_shared::time::Timestamp;

use crate::durable::Durability;

/// The folder of the object store that holds every upload's parts.
pub const STAGING_PREFIX: &str = "uploads";

/// Where a hash's parts live: `uploads/<hash>`.
pub fn parts_prefix(hash: &BlobHash) -> Path {
    Path::from_iter([STAGING_PREFIX, hash.as_str()])
}

/// Where the part starting at `offset` lives.
pub fn part_path(hash: &BlobHash, offset: u64) -> Path {
    Path::from_iter([STAGING_PREFIX, hash.as_str(), &format!("{offset:020}")])
}

/// One staged part.
#[derive(Debug, Clone)]
struct Part {
    offset: u64,
    size: u64,
    path: Path,
}

/// What is staged of one hash.
#[derive(Debug, Default)]
pub struct Staged {
    /// The unbroken run of parts from offset 0, in order.
    run: Vec<Part>,
    /// Every part object of the hash, in the run or not (a part a racing replica left aside).
    all: Vec<Path>,
    /// When the newest part was written, in milliseconds since the epoch (the store's time).
    newest_ms: Option<i64>,
}

impl Staged {
    /// The bytes staged in an unbroken run from offset 0: where the next chunk starts.
    pub fn len(&self) -> u64 {
        self.run.last().map_or(0, |p| p.offset + p.size)
    }

    /// Whether nothing is staged at all (not even a part outside the run).
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Whether a part exists and none was written at or after `before`.
    pub fn untouched_since(&self, before: Timestamp) -> bool {
        self.newest_ms.is_some_and(|at| at < before.0)
    }
}

/// Lists the parts staged for `hash`.
pub async fn staged(objects: &dyn ObjectStore, hash: &BlobHash) -> object_store::Result<Staged> {
    let metas: Vec<_> = objects
        .list(Some(&parts_prefix(hash)))
        .try_collect()
        .await?;
    let newest_ms = metas
        .iter()
        .map(|m| m.last_modified.timestamp_millis())
        .max();
    let mut parts: Vec<Part> = metas
        .into_iter()
        .filter_map(|meta| {
            let offset = meta.location.filename()?.parse().ok()?;
            Some(Part {
                offset,
                size: meta.size,
                path: meta.location,
            })
        })
        .collect();
    parts.sort_by_key(|p| p.offset);
    let all = parts.iter().map(|p| p.path.clone()).collect();
    let mut run: Vec<Part> = Vec::new();
    let mut end = 0;
    for part in parts {
        if part.offset == end && part.size > 0 {
            end += part.size;
            run.push(part);
        }
    }
    Ok(Staged {
        run,
        all,
        newest_ms,
    })
}

/// Stages one chunk at `offset` and makes it durable before returning, so an acknowledged
/// offset survives a crash. A put that fails leaves no part (puts are whole or nothing).
pub async fn put_part(
    objects: &dyn ObjectStore,
    durable: &Durability,
    hash: &BlobHash,
    offset: u64,
    bytes: Bytes,
) -> Result<(), StagingError> {
    let path = part_path(hash, offset);
    objects.put(&path, bytes.into()).await?;
    let durable = durable.clone();
    tokio::task::spawn_blocking(move || durable.sync(path.as_ref()))
        .await
        .map_err(std::io::Error::other)??;
    Ok(())
}

/// The run's bytes, whole (at most a blob's 16 MiB).
pub async fn assemble(objects: &dyn ObjectStore, staged: &Staged) -> object_store::Result<Bytes> {
    let mut whole = BytesMut::with_capacity(usize::try_from(staged.len()).unwrap_or(0));
    for part in &staged.run {
        whole.extend_from_slice(&objects.get(&part.path).await?.bytes().await?);
    }
    Ok(whole.freeze())
}

/// Deletes every part of `hash`; parts already gone are no error (another replica finished).
pub async fn clear(objects: &dyn ObjectStore, staged: &Staged) -> object_store::Result<()> {
    for path in &staged.all {
        match objects.delete(path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Every hash with parts staged, once each.
pub async fn staged_hashes(objects: &dyn ObjectStore) -> object_store::Result<Vec<BlobHash>> {
    let metas: Vec<_> = objects
        .list(Some(&Path::from(STAGING_PREFIX)))
        .try_collect()
        .await?;
    let hashes: std::collections::BTreeSet<BlobHash> = metas
        .iter()
        .filter_map(|meta| {
            let part = meta.location.parts().nth(1)?;
            part.as_ref().parse::<BlobHash>().ok()
        })
        .collect();
    Ok(hashes.into_iter().collect())
}

/// Why staging a chunk failed.
#[derive(Debug, thiserror::Error)]
pub enum StagingError {
    /// The object store refused the put.
    #[error("object store: {0}")]
    Objects(#[from] object_store::Error),
    /// The part could not be made durable.
    #[error("making a staged part durable: {0}")]
    Io(#[from] std::io::Error),
}
