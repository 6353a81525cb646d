//! The device engine: the one owner of the local database, the documents and the photo files.
//!
//! The UI calls its commands and listens to its [`EngineEvent`]s; it never touches SQLite or
//! automerge. Every command that changes something returns only after the change is committed
//! to disk ([`crate::local_store`]), so "saved" on screen means saved. Syncing
//! ([`crate::sync_run`]) and photo uploads ([`crate::uploads`]) run in the background on the
//! same engine and never block a command for longer than one local transaction.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use automerge::AutoCommit;
use plumbline_shared::clock::Clock;
use plumbline_shared::doc::DocError;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::evidence::{
    EvidenceKind, EvidenceRef, Location, MAX_EVIDENCE_BYTES, MAX_THUMBNAIL_BYTES, PlanPin,
    Thumbnail,
};
use plumbline_shared::doc::unit::{UnitDoc, UnitRecord};
use plumbline_shared::ids::{BlobHash, DeviceId, FindingId, UnitId, UserId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::time::Timestamp;
use tokio::sync::broadcast;

use crate::client::{ClientError, ServerClient};
use crate::events::{EngineEvent, Outbox, PendingAction, PendingPhoto, PendingRecord, SyncStatus};
use crate::files::PhotoFiles;
use crate::local_records::{EvidenceOf, UploadState};
use crate::local_store::{ActionWrite, EvidenceRow, LocalStore, StoreError, ThumbnailUpload};
use plumbline_media::capture::{StoragePolicy, StorageStatus};
use plumbline_shared::api::{EnrollRequest, EnrollResponse};
use plumbline_shared::role::Membership;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The local database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A photo file could not be written or read.
    #[error("a photo file failed: {0}")]
    Files(#[from] std::io::Error),
    /// The document refused the edit (an unknown finding, a field out of bounds, …).
    #[error("{0}")]
    Doc(#[from] DocError),
    /// The device is not enrolled yet.
    #[error("this device is not signed in to a server yet; enroll it with a code from the office")]
    NotEnrolled,
    /// The unit is not on this device (not synced yet, or not in the user's projects).
    #[error("unit `{0}` is not on this device yet; sync first")]
    UnknownUnit(UnitId),
    /// The person has no role in the unit's project.
    #[error("you have no role in project `{0}`")]
    NoRole(String),
    /// The server could not be used.
    #[error(transparent)]
    Server(#[from] ClientError),
    /// The photo could not be processed (not an image, HEIC, too large…); the message says
    /// what to do.
    #[error(transparent)]
    Capture(#[from] plumbline_media::capture::CaptureError),
    /// An owner's walk could not be signed as given (the contact, the signature).
    #[error(transparent)]
    Walk(#[from] WalkRefusal),
    /// The phone is too full to take another photo safely.
    #[error(
        "the phone has only {} MB free; sync to upload photos, or free some space, before taking more",
        free_bytes / (1024 * 1024)
    )]
    StorageFull {
        /// Free space now.
        free_bytes: u64,
    },
}

/// Why a walk could not be signed, before anything was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkRefusal {
    /// The owner's name or phone as typed does not hold.
    #[error(transparent)]
    Contact(#[from] plumbline_shared::doc::finding::ContactError),
    /// The pad holds no signature.
    #[error(transparent)]
    Signature(#[from] crate::signature::SignatureError),
    /// The list changed (a sync brought an edit) after it was shown: the owner checks it again.
    #[error("the list changed after it was shown; let the owner check it again before signing")]
    ListChanged,
}

/// Who this device is, once enrolled.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceIdentity {
    /// The server's address.
    pub server: String,
    /// The device's id and automerge actor.
    pub device: DeviceId,
    /// The person.
    pub user: UserId,
    /// Their name.
    pub display_name: String,
    /// Their roles.
    pub memberships: Vec<Membership>,
}

/// A processed photo, ready to attach (see `plumbline_media::capture`).
#[derive(Debug, Clone)]
pub struct NewPhoto {
    /// The display image, JPEG: what is uploaded and hashed.
    pub jpeg: Vec<u8>,
    /// A small JPEG for lists; it travels as its own blob, ahead of the photo.
    pub thumbnail: Vec<u8>,
    /// Pixel width of `thumbnail`.
    pub thumb_width: u32,
    /// Pixel height of `thumbnail`.
    pub thumb_height: u32,
    /// Pixel width of `jpeg`.
    pub width: u32,
    /// Pixel height of `jpeg`.
    pub height: u32,
    /// When it was taken.
    pub captured_at: Timestamp,
    /// Where, when known.
    pub location: Option<Location>,
    /// A pin on the floor plan, when placed.
    pub pin: Option<PlanPin>,
}

/// Photos written to files and waiting to be referenced by the edit that attaches them
/// (see [`Engine::edit_with_photos`]).
#[derive(Debug)]
pub(crate) struct PendingPhotos {
    doc: DocId,
    photos: Vec<NewPhoto>,
    rows: Vec<EvidenceRow>,
}

impl PendingPhotos {
    /// Attaches every pending photo to `finding`, queueing each for upload.
    pub(crate) fn attach(
        &mut self,
        u: &mut UnitDoc,
        actor: &Actor,
        at: Timestamp,
        finding: &FindingId,
    ) -> Result<(), EngineError> {
        for photo in std::mem::take(&mut self.photos) {
            let (reference, row) =
                photo_records(&photo, &actor.device, &actor.user, &self.doc, finding, at);
            u.attach_evidence(actor, at, finding, reference)?;
            self.rows.push(row);
        }
        Ok(())
    }
}

/// What one photo becomes: the reference the document (or a contractor's request) carries,
/// and the outbox row that uploads it, thumbnail first.
pub(crate) fn photo_records(
    photo: &NewPhoto,
    device: &DeviceId,
    author: &UserId,
    doc: &DocId,
    finding: &FindingId,
    at: Timestamp,
) -> (EvidenceRef, EvidenceRow) {
    let hash = BlobHash::of(&photo.jpeg);
    let bytes = photo.jpeg.len() as u64;
    let thumbnail = Thumbnail {
        hash: BlobHash::of(&photo.thumbnail),
        bytes: photo.thumbnail.len() as u64,
        width: photo.thumb_width,
        height: photo.thumb_height,
    };
    let row = EvidenceRow {
        hash: hash.clone(),
        doc: doc.clone(),
        of: EvidenceOf::Finding(finding.clone()),
        bytes,
        state: UploadState::Queued,
        sent_bytes: 0,
        error: None,
        attempts: 0,
        created_at: at,
        confirmed_at: None,
        file_deleted: false,
        thumbnail: Some(ThumbnailUpload {
            hash: thumbnail.hash.clone(),
            bytes: thumbnail.bytes,
            state: UploadState::Queued,
        }),
    };
    let reference = EvidenceRef {
        hash,
        kind: EvidenceKind::Photo,
        bytes,
        width: photo.width,
        height: photo.height,
        captured_at: photo.captured_at,
        device: device.clone(),
        author: author.clone(),
        location: photo.location,
        pin: photo.pin.clone(),
        thumbnail: Some(thumbnail),
    };
    (reference, row)
}

pub(crate) struct Inner {
    pub(crate) store: LocalStore,
    pub(crate) docs: BTreeMap<DocId, AutoCommit>,
}

pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) inner: Mutex<Inner>,
    pub(crate) files: PhotoFiles,
    pub(crate) events: broadcast::Sender<EngineEvent>,
    pub(crate) status: Mutex<SyncStatus>,
    /// One sync at a time.
    pub(crate) sync_lock: tokio::sync::Mutex<()>,
    pub(crate) wake: tokio::sync::Notify,
    pub(crate) identity: Mutex<Option<(DeviceIdentity, String)>>,
    /// The engine's one source of "now" (device time of events, retention, status).
    pub(crate) clock: Clock,
}

/// The device engine. Cheap to clone; every clone is the same engine.
#[derive(Clone)]
pub struct Engine {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

const IDENTITY_KEY: &str = "identity";
const TOKEN_KEY: &str = "token";

/// Most bytes of other people's photos kept on the device.
pub const PHOTO_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// Local changes folded into a snapshot when a document has more incremental saves than this.
const COMPACT_AFTER: usize = 64;

impl Engine {
    /// Opens the engine's data in `dir` (created if missing): the database and the photo
    /// folders. Photo files left half-written by a crash are removed. `clock` is the device's
    /// time for everything the engine stamps and judges (`Clock::system()` on a phone).
    pub fn open(dir: &Path, clock: Clock) -> Result<Self, EngineError> {
        std::fs::create_dir_all(dir)?;
        let store = LocalStore::open(&dir.join("plumbline-device.db"))?;
        let files = PhotoFiles::open(dir)?;
        let known: Vec<BlobHash> = store.evidence()?.into_iter().map(|e| e.hash).collect();
        let removed = files.remove_strays(&known)?;
        if removed > 0 {
            tracing::info!(removed, "removed photo files a crash left without a record");
        }
        let identity = match (store.setting(IDENTITY_KEY)?, store.setting(TOKEN_KEY)?) {
            (Some(json), Some(token)) => {
                let identity: DeviceIdentity =
                    serde_json::from_str(&json).map_err(|e| StoreError::Damaged {
                        what: "device identity",
                        detail: e.to_string(),
                    })?;
                Some((identity, token))
            }
            _ => None,
        };
        let (events, _) = broadcast::channel(256);
        let status = SyncStatus {
            enrolled: identity.is_some(),
            ..SyncStatus::default()
        };
        Ok(Self {
            shared: Arc::new(Shared {
                dir: dir.to_owned(),
                inner: Mutex::new(Inner {
                    store,
                    docs: BTreeMap::new(),
                }),
                files,
                events,
                status: Mutex::new(status),
                sync_lock: tokio::sync::Mutex::new(()),
                wake: tokio::sync::Notify::new(),
                identity: Mutex::new(identity),
                clock,
            }),
        })
    }

    /// The current instant by the engine's clock: the device time of what it records.
    pub fn now(&self) -> Timestamp {
        self.shared.clock.now()
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.shared.events.subscribe()
    }

    pub(crate) fn emit(&self, event: EngineEvent) {
        // No receiver is fine: the UI may not be listening.
        let _ = self.shared.events.send(event);
    }

    pub(crate) fn inner(&self) -> MutexGuard<'_, Inner> {
        self.shared
            .inner
            .lock()
            .expect("engine state lock poisoned")
    }

    /// Who this device is, once enrolled.
    pub fn identity(&self) -> Option<DeviceIdentity> {
        self.shared
            .identity
            .lock()
            .expect("identity lock poisoned")
            .as_ref()
            .map(|(i, _)| i.clone())
    }

    pub(crate) fn client(&self) -> Result<ServerClient, EngineError> {
        let guard = self.shared.identity.lock().expect("identity lock poisoned");
        let (identity, token) = guard.as_ref().ok_or(EngineError::NotEnrolled)?;
        Ok(ServerClient::new(&identity.server, Some(token.clone()))?)
    }

    /// Enrolls this device with `server` using a one-time `code` from the office. Works on a
    /// device that was signed out too: its unsynced work is kept, and syncs when the server
    /// takes it back as the same device (the same person, not revoked).
    pub async fn enroll(
        &self,
        server: &str,
        code: &str,
        device_name: &str,
    ) -> Result<DeviceIdentity, EngineError> {
        let client = ServerClient::new(server, None)?;
        // Enrolled here before (the token expired or was lost): ask to stay the same device,
        // so that its unsynced work is still its own. The server agrees only for the same
        // person's device that was not revoked.
        let server_address = server.trim().trim_end_matches('/');
        let previous = self
            .identity()
            .filter(|i| i.server == server_address)
            .map(|i| i.device.to_string());
        let EnrollResponse {
            device_id,
            token,
            user,
            display_name,
            memberships,
        } = client
            .enroll(&EnrollRequest {
                code: code.to_owned(),
                device_name: device_name.to_owned(),
                previous_device: previous,
            })
            .await?;
        let bad = |what: &str, e: String| {
            EngineError::Server(ClientError::BadReply(format!("{what}: {e}")))
        };
        let identity = DeviceIdentity {
            server: server.trim().trim_end_matches('/').to_owned(),
            device: DeviceId::new(device_id).map_err(|e| bad("device id", e.to_string()))?,
            user: UserId::new(user).map_err(|e| bad("user", e.to_string()))?,
            display_name,
            memberships,
        };
        let json = serde_json::to_string(&identity).map_err(|e| bad("identity", e.to_string()))?;
        self.inner()
            .store
            .set_settings(&[(IDENTITY_KEY, &json), (TOKEN_KEY, &token)])?;
        *self.shared.identity.lock().expect("identity lock poisoned") =
            Some((identity.clone(), token));
        {
            let mut status = self.shared.status.lock().expect("status lock poisoned");
            status.enrolled = true;
            status.signed_out = false;
            status.last_error = None;
        }
        self.sync_soon();
        Ok(identity)
    }

    /// The actor this device writes as in `project`.
    fn actor_in(&self, project: &plumbline_shared::ids::ProjectId) -> Result<Actor, EngineError> {
        let identity = self.identity().ok_or(EngineError::NotEnrolled)?;
        let role: Role = identity
            .memberships
            .iter()
            .find(|m| &m.project == project)
            .map(|m| m.role)
            .ok_or_else(|| EngineError::NoRole(project.to_string()))?;
        Ok(Actor {
            user: identity.user,
            role,
            device: identity.device,
        })
    }

    /// Loads a document into memory when it is not there yet.
    pub(crate) fn ensure_loaded(inner: &mut Inner, doc: &DocId) -> Result<bool, EngineError> {
        if inner.docs.contains_key(doc) {
            return Ok(true);
        }
        let Some(stored) = inner.store.load_doc(doc)? else {
            return Ok(false);
        };
        let mut am = stored.assemble().map_err(|e| StoreError::Damaged {
            what: "document",
            detail: format!("{doc}: {e}"),
        })?;
        if stored.changes.len() > COMPACT_AFTER {
            let snapshot = am.save();
            inner.store.compact(doc, &snapshot)?;
        }
        inner.docs.insert(doc.clone(), am);
        Ok(true)
    }

    /// Every unit document on this device.
    pub fn units(&self) -> Result<Vec<UnitId>, EngineError> {
        let inner = self.inner();
        Ok(inner
            .store
            .doc_ids()?
            .into_iter()
            .filter_map(|d| match d {
                DocId::Unit(u) => Some(u),
                DocId::Project(_) => None,
            })
            .collect())
    }

    /// Everything one unit document holds.
    pub fn unit(&self, unit: &UnitId) -> Result<UnitRecord, EngineError> {
        let doc = DocId::Unit(unit.clone());
        let mut inner = self.inner();
        if !Self::ensure_loaded(&mut inner, &doc)? {
            return Err(EngineError::UnknownUnit(unit.clone()));
        }
        let am = inner.docs.get(&doc).expect("loaded just above").clone();
        Ok(UnitDoc::from_trusted(am).read()?)
    }

    /// Edits a unit as this device's person and commits the result before returning. `edit`
    /// gets the document, the actor and the time; whatever it returns is passed back. When it
    /// fails, nothing is kept.
    pub fn edit_unit<T>(
        &self,
        unit: &UnitId,
        edit: impl FnOnce(&mut UnitDoc, &Actor, Timestamp) -> Result<T, DocError>,
    ) -> Result<T, EngineError> {
        self.edit_unit_with(unit, |doc, actor, at| {
            Ok((edit(doc, actor, at)?, Vec::new()))
        })
    }

    /// [`Self::edit_unit`] that may also put photos in the outbox, in the same transaction.
    pub(crate) fn edit_unit_with<T>(
        &self,
        unit: &UnitId,
        edit: impl FnOnce(&mut UnitDoc, &Actor, Timestamp) -> Result<(T, Vec<EvidenceRow>), EngineError>,
    ) -> Result<T, EngineError> {
        let doc_id = DocId::Unit(unit.clone());
        let mut inner = self.inner();
        if !Self::ensure_loaded(&mut inner, &doc_id)? {
            return Err(EngineError::UnknownUnit(unit.clone()));
        }
        let original = inner.docs.get_mut(&doc_id).expect("loaded just above");
        let before = original.get_heads();
        let mut unit_doc = UnitDoc::from_trusted(original.clone());
        let project = unit_doc.project_id()?;
        let actor = self.actor_in(&project)?;
        let (value, evidence) = edit(&mut unit_doc, &actor, self.now())?;
        let mut edited = unit_doc.into_automerge();
        let changes: Vec<u8> = edited
            .get_changes(&before)
            .iter()
            .flat_map(|c| c.raw_bytes().to_vec())
            .collect();
        inner.store.commit_action(&ActionWrite {
            changes: vec![(doc_id.clone(), changes)],
            evidence,
            request: None,
        })?;
        inner.docs.insert(doc_id.clone(), edited);
        drop(inner);
        self.emit(EngineEvent::Saved { doc: doc_id });
        self.sync_soon();
        Ok(value)
    }

    /// Attaches a processed photo to a finding: the files are written and synced first, then
    /// the reference and the outbox entry are committed together. Returns the photo's hash.
    pub fn attach_photo(
        &self,
        unit: &UnitId,
        finding: &FindingId,
        photo: NewPhoto,
    ) -> Result<BlobHash, EngineError> {
        let hash = BlobHash::of(&photo.jpeg);
        let finding = finding.clone();
        self.edit_with_photos(unit, vec![photo], move |u, actor, at, photos| {
            photos.attach(u, actor, at, &finding)?;
            Ok(())
        })?;
        Ok(hash)
    }

    /// An edit that also attaches photos, all in one transaction: the photo files are written
    /// and synced first, then `edit` runs and calls [`PendingPhotos::attach`] on the finding
    /// they belong to, then the document change and the outbox rows are committed together.
    /// When anything fails, files that no record owns are removed again.
    pub(crate) fn edit_with_photos<T>(
        &self,
        unit: &UnitId,
        photos: Vec<NewPhoto>,
        edit: impl FnOnce(&mut UnitDoc, &Actor, Timestamp, &mut PendingPhotos) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let hashes: Vec<BlobHash> = photos.iter().map(|p| BlobHash::of(&p.jpeg)).collect();
        let written = photos.iter().zip(&hashes).try_for_each(|(photo, hash)| {
            self.shared.files.write(hash, &photo.jpeg, &photo.thumbnail)
        });
        let result = match written {
            Err(e) => Err(e.into()),
            Ok(()) => {
                let doc = DocId::Unit(unit.clone());
                self.edit_unit_with(unit, |u, actor, at| {
                    let mut pending = PendingPhotos {
                        doc,
                        photos,
                        rows: Vec::new(),
                    };
                    let value = edit(u, actor, at, &mut pending)?;
                    Ok((value, pending.rows))
                })
            }
        };
        let Err(error) = result else {
            return result;
        };
        // Nothing was saved: the files of this edit that no record owns go again (an earlier
        // record may own the same photo). Best effort: what failed the edit is what to report,
        // and a file left behind is swept as a stray at the next start.
        if let Err(e) = self.remove_unowned(&hashes) {
            tracing::warn!(error = %e, "the files of a failed edit could not be removed");
        }
        Err(self.said_as_storage_full(error))
    }

    /// Removes the photo files of `hashes` that no evidence record owns.
    fn remove_unowned(&self, hashes: &[BlobHash]) -> Result<(), EngineError> {
        let owned: Vec<BlobHash> = self
            .inner()
            .store
            .evidence()?
            .into_iter()
            .map(|r| r.hash)
            .collect();
        for hash in hashes.iter().filter(|h| !owned.contains(h)) {
            self.shared.files.remove(hash)?;
        }
        Ok(())
    }

    /// `error` as [`EngineError::StorageFull`] when the disk ran out of room under it (a file
    /// or the database could not grow): the person is told the phone is full and what to do,
    /// not an operating system's error number.
    fn said_as_storage_full(&self, error: EngineError) -> EngineError {
        let full = match &error {
            EngineError::Files(e) => e.kind() == std::io::ErrorKind::StorageFull,
            EngineError::Store(StoreError::Sqlite(e)) => {
                e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)
            }
            _ => false,
        };
        if !full {
            return error;
        }
        tracing::warn!(%error, "a save failed: the disk is full");
        let free_bytes = plumbline_media::capture::free_bytes(&self.shared.dir).unwrap_or(0);
        EngineError::StorageFull { free_bytes }
    }

    /// Free space where the engine keeps its data, judged by the default policy: whether a
    /// photo may be taken, and whether to warn (the UI shows it before the camera opens).
    pub fn storage(&self) -> Result<StorageStatus, EngineError> {
        let free = plumbline_media::capture::free_bytes(&self.shared.dir)?;
        Ok(plumbline_media::capture::storage_check(
            free,
            &StoragePolicy::default(),
        ))
    }

    /// Takes a photo from a camera or gallery file into a finding: checks free space, then
    /// decodes, orients, downscales, encodes and hashes it on a blocking thread (about half a
    /// second for a 12 MP photo on one core; the caller's task is never blocked), then attaches
    /// it like [`Self::attach_photo`]. Returns the photo's hash and the storage status after
    /// it, so the UI can warn while there is still room.
    pub async fn capture_photo(
        &self,
        unit: &UnitId,
        finding: &FindingId,
        source: Vec<u8>,
        pin: Option<PlanPin>,
    ) -> Result<(BlobHash, StorageStatus), EngineError> {
        let photo = self.prepare_photo(source, pin).await?;
        let hash = self.attach_photo(unit, finding, photo)?;
        Ok((hash, self.storage()?))
    }

    /// The full-size photo file, while it is on the device.
    pub fn photo_path(&self, hash: &BlobHash) -> Option<PathBuf> {
        self.shared.files.photo(hash)
    }

    /// The thumbnail file of a photo taken on this device.
    pub fn thumbnail_path(&self, hash: &BlobHash) -> Option<PathBuf> {
        self.shared.files.thumbnail(hash)
    }

    /// A photo to show full size: this device's own file, else a cached download, else
    /// downloaded now from the server (checked against its hash) into a cache of at most
    /// [`PHOTO_CACHE_BYTES`], least recently used photos evicted first. Lists call
    /// [`Self::fetch_thumbnail`] instead; this is for the one photo the user opened.
    pub async fn fetch_photo(&self, hash: &BlobHash) -> Result<PathBuf, EngineError> {
        if let Some(path) = self.shared.files.photo(hash) {
            return Ok(path);
        }
        self.cached_or_download(hash, MAX_EVIDENCE_BYTES).await
    }

    /// A photo's thumbnail for a list: this device's own thumbnail when it took the photo,
    /// else the thumbnail blob (about 20 KB) from the cache or the server. Only a reference
    /// written without a thumbnail falls back to the full-size photo.
    pub async fn fetch_thumbnail(&self, evidence: &EvidenceRef) -> Result<PathBuf, EngineError> {
        if let Some(path) = self.shared.files.thumbnail(&evidence.hash) {
            return Ok(path);
        }
        match &evidence.thumbnail {
            Some(t) => self.cached_or_download(&t.hash, MAX_THUMBNAIL_BYTES).await,
            None => self.fetch_photo(&evidence.hash).await,
        }
    }

    async fn cached_or_download(
        &self,
        hash: &BlobHash,
        limit: u64,
    ) -> Result<PathBuf, EngineError> {
        if let Some(path) = self.shared.files.cached(hash, self.now()) {
            return Ok(path);
        }
        let client = self.client()?;
        let bytes = client.download(hash, limit).await?;
        if &BlobHash::of(&bytes) != hash {
            return Err(ClientError::BadReply(format!(
                "the server sent bytes that are not photo {hash}"
            ))
            .into());
        }
        Ok(self.shared.files.cache(hash, &bytes, PHOTO_CACHE_BYTES)?)
    }

    /// What the server has not confirmed yet.
    pub fn outbox(&self) -> Result<Outbox, EngineError> {
        let mut inner = self.inner();
        let device = self.identity().map(|i| i.device);
        let mut records = Vec::new();
        for doc in inner.store.doc_ids()? {
            let Some(stored) = inner.store.sync_info(&doc)? else {
                continue;
            };
            if !Self::ensure_loaded(&mut inner, &doc)? {
                continue;
            }
            let am = inner.docs.get_mut(&doc).expect("loaded just above");
            let changes = unacked_own_changes(am, &stored.acked_heads, device.as_ref());
            if changes > 0 || stored.refused.is_some() {
                records.push(PendingRecord {
                    doc,
                    changes,
                    refused: stored.refused,
                });
            }
        }
        let photos = inner
            .store
            .evidence()?
            .into_iter()
            .filter(|e| e.state != UploadState::Sent)
            .map(|e| PendingPhoto {
                percent: percent(e.sent_bytes, e.bytes),
                hash: e.hash,
                of: e.of,
                state: e.state,
                error: e.error,
                since: e.created_at,
            })
            .collect();
        let actions = inner
            .store
            .queued_actions()?
            .into_iter()
            .map(|a| PendingAction {
                event: a.event,
                since: a.created_at,
                refused: a.refused,
            })
            .collect();
        drop(inner);
        Ok(Outbox {
            records,
            photos,
            actions,
            set_aside: self.set_aside()?,
        })
    }

    /// The sync side's state, for the sync screen.
    pub fn sync_status(&self) -> SyncStatus {
        self.shared
            .status
            .lock()
            .expect("status lock poisoned")
            .clone()
    }
}

/// Percent of `total` that `done` is, rounded down, at most 100.
pub(crate) fn percent(done: u64, total: u64) -> u8 {
    if total == 0 {
        return 100;
    }
    u8::try_from((done.min(total) * 100) / total).unwrap_or(100)
}

/// This device's changes that are not ancestors of what the server acknowledged.
fn unacked_own_changes(
    doc: &mut AutoCommit,
    acked: &[automerge::ChangeHash],
    device: Option<&DeviceId>,
) -> usize {
    let Some(device) = device else {
        return 0;
    };
    let own = plumbline_shared::doc::actor_for(device);
    // Acknowledged heads the device does not hold yet (the server had more) cannot be used as
    // a boundary; until the next sync brings them, count every own change not in what we hold
    // of them.
    let known: Vec<_> = acked
        .iter()
        .copied()
        .filter(|h| doc.get_change_by_hash(h).is_some())
        .collect();
    doc.get_changes(&known)
        .iter()
        .filter(|c| c.actor_id() == &own)
        .count()
}
