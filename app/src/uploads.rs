//! Photo uploads: resumable 1 MiB chunks, never re-sending a chunk the server holds.
//!
//! Thumbnails go first, each in one request, then the full-size photos.
//!
//! Each upload first asks the server how many bytes it holds (a previous attempt may have been
//! cut after the server stored a chunk but before the reply arrived), then sends the rest
//! chunk by chunk, recording the offset after each. The server verifies the BLAKE3 hash of the
//! whole; only its "complete" answer marks the photo sent. A refusal (the server's words) marks
//! the photo failed and moves on to the next; a network failure stops the sync, to be resumed.
//!
//! Retention: the full-size file of a sent photo is kept for a while after the server
//! confirmed it ([`DEFAULT_RETENTION`], an inspector may still want to look at it offline;
//! [`Engine::set_photo_retention`] changes it), then deleted; the thumbnail stays. A photo the
//! server has not confirmed is never deleted.

use std::time::Duration;

use plumbline_shared::api::MAX_CHUNK_BYTES;
use plumbline_shared::ids::BlobHash;

use crate::client::{BlobType, ChunkOutcome, ClientError, ServerClient};
use crate::engine::{Engine, EngineError};
use crate::events::{EngineEvent, SyncProgress};
use crate::local_records::UploadState;
use crate::local_store::ThumbnailUpload;
use crate::sync_run::SyncReport;

/// How long a confirmed photo's full-size file stays on the device, unless set otherwise.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
const RETENTION_KEY: &str = "photo_retention_secs";

impl Engine {
    /// Sends the thumbnails of queued photos, before any full-size photo: one small request
    /// each, so that the office and the other phones can show every photo of this sync as soon
    /// as its record is in, while the megabytes follow.
    pub(crate) async fn upload_thumbnails(
        &self,
        client: &ServerClient,
        progress: &mut SyncProgress,
    ) -> Result<(), EngineError> {
        let todo: Vec<(BlobHash, ThumbnailUpload)> = self
            .inner()
            .store
            .evidence()?
            .into_iter()
            .filter_map(|e| e.thumbnail.map(|t| (e.hash, t)))
            .filter(|(_, t)| t.state == UploadState::Queued)
            .collect();
        progress.bytes_total += todo.iter().map(|(_, t)| t.bytes).sum::<u64>();
        for (photo, thumb) in todo {
            let bytes = match self.shared.files.read_thumbnail(&photo) {
                Ok(bytes) if BlobHash::of(&bytes) == thumb.hash => bytes,
                damaged => {
                    // Nothing to send: the full-size photo still goes, and other phones fall
                    // back to it.
                    let reason = damaged
                        .err()
                        .map_or("damaged".to_owned(), |e| e.to_string());
                    tracing::warn!(%photo, %reason, "the thumbnail file cannot be sent");
                    self.inner()
                        .store
                        .set_thumbnail_upload(&photo, UploadState::Failed)?;
                    continue;
                }
            };
            let outcome = self.upload_whole(client, &thumb.hash, &bytes).await;
            match outcome {
                Ok(()) => {
                    self.inner()
                        .store
                        .set_thumbnail_upload(&photo, UploadState::Sent)?;
                    progress.bytes_sent += thumb.bytes;
                }
                Err(EngineError::Server(ClientError::Refused { message, .. })) => {
                    // The photo itself may still go: it is the evidence; the thumbnail only
                    // saves other people bandwidth.
                    tracing::warn!(%photo, reason = %message, "a thumbnail was not sent");
                    self.inner()
                        .store
                        .set_thumbnail_upload(&photo, UploadState::Failed)?;
                }
                Err(e) => return Err(e),
            }
            self.emit(EngineEvent::SyncProgress(progress.clone()));
        }
        Ok(())
    }

    /// Uploads a small blob held in memory, resuming where the server says.
    async fn upload_whole(
        &self,
        client: &ServerClient,
        hash: &BlobHash,
        bytes: &[u8],
    ) -> Result<(), EngineError> {
        let total = bytes.len() as u64;
        let status = client.upload_status(hash).await?;
        if status.complete {
            return Ok(());
        }
        let mut offset = status.offset.min(total);
        for _ in 0..total / MAX_CHUNK_BYTES as u64 + 4 {
            let start = usize::try_from(offset).unwrap_or(bytes.len());
            let end = bytes.len().min(start.saturating_add(MAX_CHUNK_BYTES));
            let chunk = bytes.get(start..end).unwrap_or_default().to_vec();
            match client
                .put_chunk(hash, offset, total, chunk, BlobType::of(bytes))
                .await?
            {
                ChunkOutcome::Accepted(status) if status.complete => return Ok(()),
                ChunkOutcome::Accepted(status) => offset = status.offset.min(total),
                ChunkOutcome::ResumeAt(at) => offset = at.min(total),
            }
        }
        Err(ClientError::BadReply(format!("the upload of {hash} did not finish")).into())
    }

    pub(crate) async fn upload_photos(
        &self,
        client: &ServerClient,
        report: &mut SyncReport,
        progress: &mut SyncProgress,
    ) -> Result<(), EngineError> {
        let todo: Vec<_> = self
            .inner()
            .store
            .evidence()?
            .into_iter()
            .filter(|e| matches!(e.state, UploadState::Queued | UploadState::Uploading))
            .collect();
        progress.photos_total = todo.len();
        progress.bytes_total += todo.iter().map(|e| e.bytes).sum::<u64>();
        for row in todo {
            let hash = row.hash.clone();
            self.inner().store.count_attempt(&hash)?;
            match self.upload_one(client, &row, progress).await {
                Ok(()) => {
                    self.inner().store.set_upload(
                        &hash,
                        UploadState::Sent,
                        row.bytes,
                        None,
                        Some(self.now()),
                    )?;
                    report.photos_sent += 1;
                }
                Err(EngineError::Server(ClientError::Refused { message, .. })) => {
                    tracing::warn!(%hash, reason = %message, "the server refused a photo");
                    self.inner().store.set_upload(
                        &hash,
                        UploadState::Failed,
                        0,
                        Some(&message),
                        None,
                    )?;
                }
                Err(e) => return Err(e),
            }
            progress.photos_done += 1;
            self.emit(EngineEvent::SyncProgress(progress.clone()));
        }
        Ok(())
    }

    async fn upload_one(
        &self,
        client: &ServerClient,
        row: &crate::local_store::EvidenceRow,
        progress: &mut SyncProgress,
    ) -> Result<(), EngineError> {
        let status = client.upload_status(&row.hash).await?;
        if status.complete {
            progress.bytes_sent += row.bytes;
            return Ok(());
        }
        let mut offset = status.offset.min(row.bytes);
        progress.bytes_sent += offset;
        // A photo is a JPEG and a signature a PNG; the server checks the bytes say the same.
        let kind = BlobType::of(&self.shared.files.read_range(&row.hash, 0, 8)?);
        // Every round moves forward or resumes where the server says; bound them anyway.
        let most_rounds = row.bytes / MAX_CHUNK_BYTES as u64 + 16;
        for _ in 0..most_rounds {
            let len = usize::try_from(row.bytes - offset)
                .unwrap_or(MAX_CHUNK_BYTES)
                .min(MAX_CHUNK_BYTES);
            let chunk = self.shared.files.read_range(&row.hash, offset, len)?;
            let sent = chunk.len() as u64;
            match client
                .put_chunk(&row.hash, offset, row.bytes, chunk, kind)
                .await?
            {
                ChunkOutcome::Accepted(status) => {
                    progress.bytes_sent += status.offset.saturating_sub(offset);
                    if status.complete {
                        return Ok(());
                    }
                    if status.offset <= offset && sent > 0 {
                        return Err(ClientError::BadReply(format!(
                            "the server accepted a chunk of {} but did not move past byte {offset}",
                            row.hash
                        ))
                        .into());
                    }
                    offset = status.offset;
                }
                ChunkOutcome::ResumeAt(at) => offset = at.min(row.bytes),
            }
            self.inner()
                .store
                .set_upload(&row.hash, UploadState::Uploading, offset, None, None)?;
            self.emit(EngineEvent::SyncProgress(progress.clone()));
        }
        Err(ClientError::BadReply(format!(
            "the upload of {} did not finish in {most_rounds} requests",
            row.hash
        ))
        .into())
    }

    /// How long confirmed photos stay on the device.
    pub fn photo_retention(&self) -> Result<Duration, EngineError> {
        let stored = self.inner().store.setting(RETENTION_KEY)?;
        Ok(stored
            .and_then(|s| s.parse().ok())
            .map_or(DEFAULT_RETENTION, Duration::from_secs))
    }

    /// Sets how long confirmed photos stay on the device (0: delete once confirmed).
    pub fn set_photo_retention(&self, keep: Duration) -> Result<(), EngineError> {
        let secs = keep.as_secs().to_string();
        self.inner()
            .store
            .set_settings(&[(RETENTION_KEY, secs.as_str())])?;
        Ok(())
    }

    /// Deletes full-size files of photos the server confirmed longer than the retention ago.
    pub(crate) fn apply_retention(&self) -> Result<usize, EngineError> {
        let keep = self.photo_retention()?;
        let cutoff = self.now().0 - i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
        let mut inner = self.inner();
        let due: Vec<_> = inner
            .store
            .evidence()?
            .into_iter()
            .filter(|e| {
                e.state == UploadState::Sent
                    && !e.file_deleted
                    && e.confirmed_at.is_some_and(|t| t.0 <= cutoff)
            })
            .collect();
        for e in &due {
            self.shared.files.delete_photo(&e.hash)?;
            inner.store.mark_file_deleted(&e.hash)?;
        }
        Ok(due.len())
    }
}
