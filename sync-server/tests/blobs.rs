//! Evidence upload over real HTTP: chunked and resumable, verified by hash, idempotent, bounded,
//! and downloadable only by members of a project that references the blob.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use plumbline_shared::doc::DocId;
use plumbline_shared::doc::evidence::{EvidenceRef, Thumbnail};
use plumbline_shared::doc::unit::{NewFinding, UnitDoc};
use plumbline_shared::event::Origin;
use plumbline_shared::ids::{
    BlobHash, CategoryId, ContractorId, ItemId, ProjectId, RoomId, UnitId, UserId,
};
use plumbline_shared::projection::project_unit;
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_sync_server::blobs::{MAX_CHUNK_BYTES, object_path};
use plumbline_sync_server::doc_cache::new_changes;
use plumbline_sync_server::store::{DocWrite, Membership, NewUser};
use plumbline_sync_server::{account_admin, blob_store};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: usize = MAX_CHUNK_BYTES;

use crate::common;

/// The shared test server with an HTTP client for raw requests.
struct Server {
    inner: common::TestServer,
    http: reqwest::Client,
}

impl std::ops::Deref for Server {
    type Target = common::TestServer;
    fn deref(&self) -> &common::TestServer {
        &self.inner
    }
}

/// What one PUT got back.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    body: Value,
}

/// Which blob store a test's server keeps photos in: the tests of the upload protocol run on
/// both (see the bottom of this file), the rest on the folder.
#[derive(Debug, Clone, Copy)]
enum Blobs {
    /// The embedded default, a local folder.
    Folder,
    /// A bucket of a real S3-compatible server on loopback ([`common::s3::garage`]).
    S3,
}

impl Server {
    async fn start(on: Blobs) -> Self {
        let inner = match on {
            Blobs::Folder => common::TestServer::start().await,
            Blobs::S3 => {
                let blobs = common::s3::garage().fresh_blobs();
                common::TestServer::start_on_stores(common::clock(), None, blobs).await
            }
        };
        Self {
            inner,
            http: reqwest::Client::new(),
        }
    }

    /// Enrolls a device for a new user; `membership` `None` makes a user with no role at all.
    async fn device(&self, login: &str, membership: Option<(Role, ProjectId)>) -> String {
        let user = UserId::new(login).unwrap();
        match membership {
            Some((role, project)) => {
                let contractor =
                    (role == Role::Contractor).then(|| ContractorId::new("hengzhu-civil").unwrap());
                common::other_project(&self.state, &project).await;
                let m = Membership {
                    project,
                    role,
                    contractor,
                };
                account_admin::add_user(&self.state, &user, login, Some("password-123"), m)
                    .await
                    .unwrap();
            }
            None => self
                .state
                .store
                .create_user(NewUser {
                    user: user.clone(),
                    display_name: login.into(),
                    password_hash: None,
                })
                .await
                .unwrap(),
        }
        let code = account_admin::enrollment_code(&self.state, &user)
            .await
            .unwrap();
        let res = self
            .http
            .post(self.url("/enroll"))
            .json(&json!({"code": code, "device_name": format!("{login} phone")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    fn unit(&self) -> UnitId {
        self.project.units().next().unwrap().1.id.clone()
    }

    /// Records a finding with this photo in the first unit, as the server would store an
    /// inspector's synced change: the project's documents now reference the hash.
    async fn reference(&self, hash: &BlobHash, bytes: u64) {
        self.reference_with_thumbnail(hash, bytes, None).await;
    }

    /// [`Self::reference`] for a photo whose reference names its thumbnail blob.
    async fn reference_with_thumbnail(
        &self,
        hash: &BlobHash,
        bytes: u64,
        thumbnail: Option<Thumbnail>,
    ) {
        let state = &self.state;
        let id = DocId::Unit(self.unit());
        let mut guard = state.docs.lock(&id).await;
        let loaded = state.docs.get(&mut guard, &id).await.unwrap().unwrap();
        let before = loaded.doc.get_heads();
        let mut doc = UnitDoc::from_automerge(loaded.doc.clone()).unwrap();
        let (actor, at) = (state.server.clone(), state.now());
        let finding = doc
            .record_finding(
                &actor,
                at,
                NewFinding {
                    origin: Origin::Inspection,
                    round: None,
                    room: RoomId::new("kitchen").unwrap(),
                    item: ItemId::new("wall-tiles").unwrap(),
                    category: CategoryId::new("tiling").unwrap(),
                    severity: Severity::S3,
                    description: "厨房墙砖空鼓".into(),
                },
            )
            .unwrap();
        let evidence = EvidenceRef {
            thumbnail,
            ..crate::common::photo(&actor, at, hash.clone(), bytes)
        };
        doc.attach_evidence(&actor, at, &finding, evidence)
            .unwrap()
            .unwrap();
        let projection = project_unit(&doc, at, &state.settings_of(&self.project.id)).unwrap();
        let am = doc.automerge_mut();
        let write = DocWrite {
            doc: id,
            project: self.project.id.clone(),
            device: None,
            changes: new_changes(am, &before),
            heads: am.get_heads(),
            base: Some(before),
            projection: Some(projection),
            claims: Vec::new(),
            contacts: Vec::new(),
        };
        state.store.write_docs(vec![write]).await.unwrap();
    }

    #[allow(clippy::too_many_arguments)]
    async fn put_raw(
        &self,
        token: Option<&str>,
        hash: &str,
        query: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = self
            .http
            .put(self.url(&format!("/blobs/{hash}{query}")))
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    /// PUTs one JPEG chunk.
    async fn put(
        &self,
        token: &str,
        hash: &BlobHash,
        offset: usize,
        total: usize,
        chunk: &[u8],
    ) -> Reply {
        self.put_raw(
            Some(token),
            hash.as_str(),
            &format!("?offset={offset}&total={total}"),
            Some("image/jpeg"),
            chunk.to_vec(),
        )
        .await
    }

    async fn status(&self, token: &str, hash: &BlobHash) -> Value {
        let res = self
            .http
            .get(self.url(&format!("/blobs/{hash}/status")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    async fn evidence(&self, token: &str) -> Value {
        let res = self
            .http
            .get(self.url("/evidence/status"))
            .query(&[
                ("project", self.project.id.as_str()),
                ("unit", self.unit().as_str()),
            ])
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// What is staged of `hash` in the object store.
    async fn staged(&self, hash: &BlobHash) -> plumbline_sync_server::staging::Staged {
        plumbline_sync_server::staging::staged(&*self.state.blobs, hash)
            .await
            .unwrap()
    }

    /// Asserts nothing of `hash` is kept: not recorded, not in the object store, nothing staged.
    async fn assert_nothing_kept(&self, token: &str, hash: &BlobHash) {
        assert!(!self.state.store.blob_exists(hash).await.unwrap());
        assert!(matches!(
            self.state.blobs.head(&object_path(hash)).await,
            Err(object_store::Error::NotFound { .. })
        ));
        assert!(self.staged(hash).await.is_empty(), "parts were left behind");
        let status = self.status(token, hash).await;
        assert_eq!(status["complete"], false, "{status}");
        assert_eq!(status["offset"], 0, "{status}");
    }
}

/// A stand-in photo: a real small JPEG, then deterministic noise (decoders stop at its end).
fn jpeg(len: usize, seed: u64) -> Vec<u8> {
    common::jpeg_seeded(len, seed)
}

async fn a_photo_uploads_in_chunks_resumes_after_a_cut_and_downloads_identically(on: Blobs) {
    let s = Server::start(on).await;
    let inspector = s
        .device("wangli", Some((Role::Inspector, s.project.id.clone())))
        .await;
    let photo = jpeg(5 * MIB / 2, 7);
    let hash = BlobHash::of(&photo);
    let total = photo.len();
    s.reference(&hash, total as u64).await;

    let before = s.evidence(&inspector).await;
    assert_eq!(before["referenced"], 1, "{before}");
    assert_eq!(before["arrived"], 0, "{before}");
    assert_eq!(before["missing"], json!([hash.as_str()]));

    // Chunk 1 arrives.
    let r = s.put(&inspector, &hash, 0, total, &photo[..MIB]).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({"hash": hash.as_str(), "complete": false, "offset": MIB})
    );

    // Chunk 2 is cut off half-way: the connection drops mid-body.
    let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "PUT /api/v1/blobs/{hash}?offset={MIB}&total={total} HTTP/1.1\r\nhost: x\r\n\
         authorization: Bearer {inspector}\r\ncontent-type: image/jpeg\r\n\
         content-length: {MIB}\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&photo[MIB..MIB + 300_000]).await.unwrap();
    tcp.shutdown().await.unwrap();
    let mut ignored = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut ignored)).await;
    drop(tcp);

    // The device asks where to resume: the cut chunk left nothing behind.
    let status = s.status(&inspector, &hash).await;
    assert_eq!(
        status,
        json!({"hash": hash.as_str(), "complete": false, "offset": MIB})
    );
    assert_eq!(s.staged(&hash).await.len(), MIB as u64);
    assert!(!s.state.store.blob_exists(&hash).await.unwrap());

    // It goes on from the offset the server gave.
    let offset = status["offset"].as_u64().unwrap() as usize;
    let r = s
        .put(
            &inspector,
            &hash,
            offset,
            total,
            &photo[offset..offset + MIB],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["offset"], 2 * MIB);
    let r = s
        .put(&inspector, &hash, 2 * MIB, total, &photo[2 * MIB..])
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        r.body,
        json!({"hash": hash.as_str(), "complete": true, "offset": total, "bytes": total})
    );
    assert!(
        s.staged(&hash).await.is_empty(),
        "the parts are removed once stored"
    );
    assert!(s.state.store.blob_exists(&hash).await.unwrap());

    let after = s.evidence(&inspector).await;
    assert_eq!(after["referenced"], 1, "{after}");
    assert_eq!(after["arrived"], 1, "{after}");
    assert_eq!(after["missing"], json!([]));
    let status = s.status(&inspector, &hash).await;
    assert_eq!(status["complete"], true);
    assert_eq!(status["bytes"], total);

    // A member downloads exactly the bytes that were uploaded.
    let res = s
        .http
        .get(s.url(&format!("/blobs/{hash}")))
        .bearer_auth(&inspector)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["content-length"], total.to_string().as_str());
    assert_eq!(res.bytes().await.unwrap().as_ref(), photo.as_slice());
    if let Blobs::S3 = on {
        // The bytes are in the bucket: a client of its own reads them from the S3 server.
        let (bucket, _) = blob_store::open(&s.state.config.blobs).await.unwrap();
        let held = bucket.get(&object_path(&hash)).await.unwrap();
        assert_eq!(held.bytes().await.unwrap().as_ref(), photo.as_slice());
    }

    // HEAD answers the headers alone.
    let res = s
        .http
        .head(s.url(&format!("/blobs/{hash}")))
        .bearer_auth(&inspector)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], total.to_string().as_str());
}

async fn uploading_a_stored_blob_again_changes_nothing(on: Blobs) {
    let s = Server::start(on).await;
    let inspector = s
        .device("wangli", Some((Role::Inspector, s.project.id.clone())))
        .await;
    let photo = jpeg(300_000, 11);
    let hash = BlobHash::of(&photo);
    let total = photo.len();
    let r = s.put(&inspector, &hash, 0, total, &photo).await;
    assert_eq!(r.status, 201, "{r:?}");
    let stored = s.state.blobs.head(&object_path(&hash)).await.unwrap();

    // The whole photo again, a stale chunk from the start, and one from the middle.
    for (offset, end) in [(0, total), (0, 1000), (200_000, total)] {
        let r = s
            .put(&inspector, &hash, offset, total, &photo[offset..end])
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(
            r.body,
            json!({"hash": hash.as_str(), "complete": true, "offset": total, "bytes": total})
        );
    }
    let again = s.state.blobs.head(&object_path(&hash)).await.unwrap();
    assert_eq!(
        again.last_modified, stored.last_modified,
        "the object was not written again"
    );
    assert!(s.staged(&hash).await.is_empty());

    // A contractor's device uploads its repair photo too.
    let contractor = s
        .device("zhougang", Some((Role::Contractor, s.project.id.clone())))
        .await;
    let repair = jpeg(10_000, 12);
    let repair_hash = BlobHash::of(&repair);
    let r = s
        .put(&contractor, &repair_hash, 0, repair.len(), &repair)
        .await;
    assert_eq!(r.status, 201, "{r:?}");
}

async fn bytes_that_do_not_match_their_hash_are_refused_and_nothing_is_kept(on: Blobs) {
    let s = Server::start(on).await;
    let inspector = s
        .device("wangli", Some((Role::Inspector, s.project.id.clone())))
        .await;
    let photo = jpeg(3 * MIB / 2, 21);
    let hash = BlobHash::of(&jpeg(3 * MIB / 2, 22));
    let total = photo.len();
    let r = s.put(&inspector, &hash, 0, total, &photo[..MIB]).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.put(&inspector, &hash, MIB, total, &photo[MIB..]).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.body["code"], "refused");
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("the bytes do not match hash {hash}")),
        "{message}"
    );
    assert!(message.contains(BlobHash::of(&photo).as_str()), "{message}");
    s.assert_nothing_kept(&inspector, &hash).await;
    assert!(
        !s.state
            .store
            .blob_exists(&BlobHash::of(&photo))
            .await
            .unwrap()
    );
}

async fn a_chunk_at_the_wrong_offset_gets_409_with_where_to_resume(on: Blobs) {
    let s = Server::start(on).await;
    let inspector = s
        .device("wangli", Some((Role::Inspector, s.project.id.clone())))
        .await;
    let photo = jpeg(2 * MIB, 31);
    let hash = BlobHash::of(&photo);
    let total = photo.len();
    assert_eq!(
        s.put(&inspector, &hash, 0, total, &photo[..1000])
            .await
            .status,
        200
    );

    for offset in [0, 500, 2000] {
        let r = s
            .put(
                &inspector,
                &hash,
                offset,
                total,
                &photo[offset..offset + 100],
            )
            .await;
        assert_eq!(r.status, 409, "{r:?}");
        assert_eq!(r.body["code"], "offset_mismatch");
        assert_eq!(r.body["offset"], 1000);
        assert!(
            r.body["message"]
                .as_str()
                .unwrap()
                .contains("from offset 1000"),
            "{r:?}"
        );
    }
    assert_eq!(s.staged(&hash).await.len(), 1000);
    assert_eq!(s.status(&inspector, &hash).await["offset"], 1000);
    assert!(!s.state.store.blob_exists(&hash).await.unwrap());

    // The device follows the 409 and finishes.
    let r = s
        .put(&inspector, &hash, 1000, total, &photo[1000..1000 + MIB])
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s
        .put(&inspector, &hash, 1000 + MIB, total, &photo[1000 + MIB..])
        .await;
    assert_eq!(r.status, 201, "{r:?}");
}

#[tokio::test]
async fn sizes_are_bounded() {
    let s = Server::start(Blobs::Folder).await;
    let inspector = s
        .device("wangli", Some((Role::Inspector, s.project.id.clone())))
        .await;

    // A chunk over 1 MiB.
    let photo = jpeg(MIB + 1, 41);
    let hash = BlobHash::of(&photo);
    let r = s.put(&inspector, &hash, 0, photo.len(), &photo).await;
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(r.body["code"], "too_large");
    assert!(
        r.body["message"].as_str().unwrap().contains("1 MiB"),
        "{r:?}"
    );
    s.assert_nothing_kept(&inspector, &hash).await;

    // A chunk of exactly 1 MiB is fine.
    let r = s
        .put(&inspector, &hash, 0, photo.len(), &photo[..MIB])
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    // A blob over 16 MiB, declared in the first chunk.
    let big = 16 * MIB + 1;
    let other = BlobHash::of(b"big");
    let r = s.put(&inspector, &other, 0, big, &photo[..1000]).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.body["message"].as_str().unwrap().contains("16 MiB"),
        "{r:?}"
    );
    s.assert_nothing_kept(&inspector, &other).await;

    // A chunk that ends past its own total.
    let r = s.put(&inspector, &other, 0, 500, &photo[..1000]).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("past the blob's total"),
        "{r:?}"
    );
    s.assert_nothing_kept(&inspector, &other).await;

    // A total of zero.
    let r = s.put(&inspector, &other, 0, 0, &[]).await;
    assert_eq!(r.status, 400, "{r:?}");
    s.assert_nothing_kept(&inspector, &other).await;
}

async fn only_jpeg_and_png_are_kept(on: Blobs) {
    let s = Server::start(on).await;
    let inspector = s
        .device("wangli", Some((Role::Inspector, s.project.id.clone())))
        .await;

    // Text declared as a JPEG.
    let text = b"this is not a photo, only a few words".repeat(10);
    let hash = BlobHash::of(&text);
    let r = s.put(&inspector, &hash, 0, text.len(), &text).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("neither a JPEG"),
        "{r:?}"
    );
    s.assert_nothing_kept(&inspector, &hash).await;

    // A JPEG declared as a PNG.
    let photo = jpeg(5000, 51);
    let hash = BlobHash::of(&photo);
    let query = format!("?offset=0&total={}", photo.len());
    let r = s
        .put_raw(
            Some(&inspector),
            hash.as_str(),
            &query,
            Some("image/png"),
            photo.clone(),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("the bytes are image/jpeg"),
        "{r:?}"
    );
    s.assert_nothing_kept(&inspector, &hash).await;

    // A GIF's content type, and none at all.
    for ct in [Some("image/gif"), None] {
        let r = s
            .put_raw(Some(&inspector), hash.as_str(), &query, ct, photo.clone())
            .await;
        assert_eq!(r.status, 400, "{r:?}");
        assert!(
            r.body["message"].as_str().unwrap().contains("image/jpeg"),
            "{r:?}"
        );
        s.assert_nothing_kept(&inspector, &hash).await;
    }

    // A PNG signature declared as one is kept, and served as one.
    let mut png = Vec::new();
    image::DynamicImage::new_luma8(120, 40)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let png_hash = BlobHash::of(&png);
    let query = format!("?offset=0&total={}", png.len());
    let r = s
        .put_raw(
            Some(&inspector),
            png_hash.as_str(),
            &query,
            Some("image/png"),
            png,
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
}

#[tokio::test]
async fn malformed_requests_get_clear_errors() {
    let s = Server::start(Blobs::Folder).await;
    let inspector = s
        .device("wangli", Some((Role::Inspector, s.project.id.clone())))
        .await;
    let photo = jpeg(1000, 61);
    let hash = BlobHash::of(&photo);

    for bad in [
        "not-a-hash",
        &hash.as_str().to_uppercase(),
        &hash.as_str()[..63],
    ] {
        let r = s
            .put_raw(
                Some(&inspector),
                bad,
                "?offset=0&total=1000",
                Some("image/jpeg"),
                photo.clone(),
            )
            .await;
        assert_eq!(r.status, 400, "{r:?}");
        assert!(
            r.body["message"].as_str().unwrap().contains("BLAKE3"),
            "{r:?}"
        );
        let res = s
            .http
            .get(s.url(&format!("/blobs/{bad}/status")))
            .bearer_auth(&inspector)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
    }
    for query in [
        "",
        "?offset=0",
        "?total=1000",
        "?offset=-1&total=1000",
        "?offset=x&total=1000",
    ] {
        let r = s
            .put_raw(
                Some(&inspector),
                hash.as_str(),
                query,
                Some("image/jpeg"),
                photo.clone(),
            )
            .await;
        assert_eq!(r.status, 400, "{query}: {r:?}");
        assert!(
            r.body["message"].as_str().unwrap().contains("?offset="),
            "{r:?}"
        );
    }
    s.assert_nothing_kept(&inspector, &hash).await;
}

#[tokio::test]
async fn who_may_upload_and_download() {
    let s = Server::start(Blobs::Folder).await;
    let inspector = s
        .device("wangli", Some((Role::Inspector, s.project.id.clone())))
        .await;
    let stranger = s
        .device(
            "outsider",
            Some((Role::Inspector, ProjectId::new("other-project").unwrap())),
        )
        .await;
    let nobody = s.device("nobody", None).await;
    let photo = jpeg(20_000, 71);
    let hash = BlobHash::of(&photo);
    let total = photo.len();
    let blob_url = s.url(&format!("/blobs/{hash}"));

    // No token: 401 everywhere, nothing staged.
    let r = s
        .put_raw(
            None,
            hash.as_str(),
            &format!("?offset=0&total={total}"),
            Some("image/jpeg"),
            photo.clone(),
        )
        .await;
    assert_eq!(r.status, 401, "{r:?}");
    for url in [blob_url.clone(), format!("{blob_url}/status")] {
        assert_eq!(s.http.get(&url).send().await.unwrap().status(), 401);
    }
    // A user without any role may not upload.
    let r = s.put(&nobody, &hash, 0, total, &photo).await;
    assert_eq!(r.status, 403, "{r:?}");
    let res = s
        .http
        .get(format!("{blob_url}/status"))
        .bearer_auth(&nobody)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    s.assert_nothing_kept(&inspector, &hash).await;

    // Referenced by the demo project but not uploaded yet: members learn it is missing.
    s.reference(&hash, total as u64).await;
    let res = s
        .http
        .get(&blob_url)
        .bearer_auth(&inspector)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not been uploaded yet"),
        "{body}"
    );

    // A member of another project may upload (the photo may come before its document)...
    let r = s.put(&stranger, &hash, 0, total, &photo).await;
    assert_eq!(r.status, 201, "{r:?}");
    // ...but may not download a blob only the demo project references: 404, as if it did not exist.
    for token in [&stranger, &nobody] {
        let res = s
            .http
            .get(&blob_url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["message"], format!("blob `{hash}` not found"));
    }
    let res = s
        .http
        .get(&blob_url)
        .bearer_auth(&inspector)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), photo.as_slice());

    // A thumbnail is downloadable by whoever may download its photo, and by nobody else.
    let (full, small) = (jpeg(30_000, 73), jpeg(2_000, 74));
    let (full_hash, small_hash) = (BlobHash::of(&full), BlobHash::of(&small));
    let thumbnail = Thumbnail {
        hash: small_hash.clone(),
        bytes: small.len() as u64,
        width: 320,
        height: 240,
    };
    s.reference_with_thumbnail(&full_hash, full.len() as u64, Some(thumbnail))
        .await;
    let r = s.put(&inspector, &small_hash, 0, small.len(), &small).await;
    assert_eq!(r.status, 201, "{r:?}");
    let small_url = s.url(&format!("/blobs/{small_hash}"));
    let res = s
        .http
        .get(&small_url)
        .bearer_auth(&inspector)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), small.as_slice());
    for token in [&stranger, &nobody] {
        let res = s
            .http
            .get(&small_url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }

    // A blob nobody references is not downloadable, even by the one who uploaded it.
    let loose = jpeg(1000, 72);
    let loose_hash = BlobHash::of(&loose);
    assert_eq!(
        s.put(&inspector, &loose_hash, 0, loose.len(), &loose)
            .await
            .status,
        201
    );
    let res = s
        .http
        .get(s.url(&format!("/blobs/{loose_hash}")))
        .bearer_auth(&inspector)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn concurrent_uploads_of_one_photo_store_it_once(on: Blobs) {
    let s = Server::start(on).await;
    let inspector = s
        .device("wangli", Some((Role::Inspector, s.project.id.clone())))
        .await;
    let photo = jpeg(MIB, 81);
    let hash = BlobHash::of(&photo);
    let total = photo.len();
    let replies =
        futures::future::join_all((0..6).map(|_| s.put(&inspector, &hash, 0, total, &photo))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "{replies:?}");
    assert!(
        replies.iter().all(|r| r.body["complete"] == true),
        "{replies:?}"
    );
    assert!(s.staged(&hash).await.is_empty());
}

/// Partial uploads are charged to the device that started them: a contractor's device that
/// starts upload after upload and never finishes one is stopped (429 with its reason and
/// `Retry-After`), other devices are not, and finishing one frees its place.
async fn a_device_may_hold_only_so_many_uploads_in_progress(on: Blobs) {
    use plumbline_sync_server::upload_quota::{MAX_PARTIAL_BYTES, MAX_PARTIAL_UPLOADS};
    let s = Server::start(on).await;
    let member = Some((Role::Contractor, s.project.id.clone()));
    let foreman = s.device("zhougang", member.clone()).await;
    let photos: Vec<Vec<u8>> = (0..=MAX_PARTIAL_UPLOADS as u64)
        .map(|i| jpeg(3000, 901 + 2 * i))
        .collect();
    let hashes: Vec<BlobHash> = photos.iter().map(|p| BlobHash::of(p)).collect();
    for (photo, hash) in photos.iter().zip(&hashes).take(MAX_PARTIAL_UPLOADS) {
        let r = s.put(&foreman, hash, 0, photo.len(), &photo[..1000]).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let last = MAX_PARTIAL_UPLOADS;
    let (photo, hash) = (&photos[last], &hashes[last]);
    let r = s.put(&foreman, hash, 0, photo.len(), &photo[..1000]).await;
    assert_eq!(r.status, 429, "{r:?}");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{MAX_PARTIAL_UPLOADS} photo uploads in progress")),
        "{r:?}"
    );
    assert!(
        s.staged(hash).await.is_empty(),
        "nothing staged for the refused one"
    );

    // Another device has its own quota.
    let other = s.device("zhougang2", member.clone()).await;
    let r = s.put(&other, hash, 0, photo.len(), &photo[..1000]).await;
    assert_eq!(r.status, 200, "{r:?}");

    // Finishing the first frees its place for a new one.
    let r = s
        .put(
            &foreman,
            &hashes[0],
            1000,
            photos[0].len(),
            &photos[0][1000..],
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let fresh = jpeg(3000, 999);
    let r = s
        .put(
            &foreman,
            &BlobHash::of(&fresh),
            0,
            fresh.len(),
            &fresh[..1000],
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    // The declared sizes count too: four of the largest photo fill a device's share.
    let third = s.device("zhougang3", member).await;
    let largest = (MAX_PARTIAL_BYTES / 4) as usize;
    for seed in 0..4 {
        let start = jpeg(1000, 950 + seed);
        let r = s
            .put(&third, &BlobHash::of(&[seed as u8]), 0, largest, &start)
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let start = jpeg(1000, 960);
    let r = s
        .put(&third, &BlobHash::of(b"one more"), 0, 2000, &start)
        .await;
    assert_eq!(r.status, 429, "{r:?}");
}

/// A real photo (1600 × 1200, red left, blue right) made on the "phone".
fn camera_photo() -> Vec<u8> {
    let (w, h) = (1600u16, 1200u16);
    let mut rgb = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
    for _ in 0..h {
        for x in 0..w {
            rgb.extend(if x < w / 2 {
                [220, 20, 20]
            } else {
                [20, 20, 220]
            });
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// The office sees the server's own thumbnail of a photo, made from the bytes it keeps: a
/// phone's thumbnail that shows something else is not what the case page shows once the photo
/// has arrived.
#[tokio::test]
async fn the_case_page_shows_the_server_s_thumbnail_of_the_photo_it_holds() {
    use crate::common::web::{Browser, staff};
    let s = Server::start(Blobs::Folder).await;
    let inspector = s
        .device("wangli", Some((Role::Inspector, s.project.id.clone())))
        .await;
    let photo = camera_photo();
    let hash = BlobHash::of(&photo);
    // The phone's "thumbnail" is some other picture.
    let other = jpeg(2_000, 75);
    let other_hash = BlobHash::of(&other);
    let thumbnail = Thumbnail {
        hash: other_hash.clone(),
        bytes: other.len() as u64,
        width: 320,
        height: 240,
    };
    s.reference_with_thumbnail(&hash, photo.len() as u64, Some(thumbnail))
        .await;
    for (bytes, h) in [(&other, &other_hash), (&photo, &hash)] {
        let r = s.put(&inspector, h, 0, bytes.len(), bytes).await;
        assert_eq!(r.status, 201, "{r:?}");
    }

    staff(&s, "zhaomin", Role::Manager).await;
    let mut b = Browser::new(&s);
    b.sign_in("zhaomin", "good-password-1").await;
    let list = b.get("/cases").await.body;
    let link = crate::common::web::first_case_link(&list);
    let case = b.get(&link).await.body;
    assert!(
        case.contains(&format!("src=\"/photos/{hash}/thumb\"")),
        "{case}"
    );
    assert!(
        !case.contains(&format!("src=\"/photos/{other_hash}\"")),
        "{case}"
    );
    let res = b.download(&format!("/photos/{hash}/thumb")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let thumb = res.bytes().await.unwrap();
    let mut d = jpeg_decoder::Decoder::new(std::io::Cursor::new(thumb.as_ref()));
    let pixels = d.decode().unwrap();
    let info = d.info().unwrap();
    assert_eq!((info.width, info.height), (200, 150), "1/8 of the photo");
    let mid = usize::from(info.height / 2) * usize::from(info.width) * 3;
    assert!(
        pixels[mid] > 150 && pixels[mid + 2] < 100,
        "the photo's red, not the other picture"
    );
    // Nobody outside the project gets it.
    let mut outsider = Browser::new(&s);
    let res = outsider.download(&format!("/photos/{hash}/thumb")).await;
    assert_ne!(res.status(), 200);
}

/// Runs each named test (an `async fn(Blobs)`) once on the folder and once on S3, as
/// `blobs::on_folder::<name>` and `blobs::on_s3::<name>`.
macro_rules! on_each_blob_store {
    ($($name:ident,)*) => {
        mod on_folder {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Blobs::Folder).await;
                }
            )*
        }
        mod on_s3 {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::Blobs::S3).await;
                }
            )*
        }
    };
}

on_each_blob_store! {
    a_photo_uploads_in_chunks_resumes_after_a_cut_and_downloads_identically,
    uploading_a_stored_blob_again_changes_nothing,
    bytes_that_do_not_match_their_hash_are_refused_and_nothing_is_kept,
    a_chunk_at_the_wrong_offset_gets_409_with_where_to_resume,
    only_jpeg_and_png_are_kept,
    concurrent_uploads_of_one_photo_store_it_once,
    a_device_may_hold_only_so_many_uploads_in_progress,
}
