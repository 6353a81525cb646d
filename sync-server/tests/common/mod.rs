//! Test fixtures: a real server on a loopback port with a temporary data folder, and a minimal
//! device that enrolls and syncs over real HTTP; [`web`] drives the office pages.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses part of the fixture

pub mod postgres;
pub mod process;
pub mod robot;
pub mod s3;
pub mod watchdog;
pub mod web;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use automerge::AutoCommit;
use automerge::sync::{self, SyncDoc};
use plumbline_shared::api::{
    API_VERSION, DocMessage, HeadsDigest, ManifestEntry, ManifestRequest, ManifestResponse,
    SyncRequest, SyncResponse, from_postcard, to_postcard,
};
use plumbline_shared::clock::Clock;
use plumbline_shared::demo::demo_project;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::ids::{ContractorId, DeviceId, ProjectId, UserId};
use plumbline_shared::project::Project;
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::time::{HOUR_MS, Timestamp};
use plumbline_sync_server::config::{BlobConfig, Config};
use plumbline_sync_server::state::AppState;
use plumbline_sync_server::store::Membership;
use plumbline_sync_server::{account_admin, build_state, launch, project_read, setup};
use serde_json::json;
use tokio::sync::oneshot;

/// A server on 127.0.0.1 with its own data folder; shut down on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    pub state: AppState,
    pub project: Project,
    /// The server's clock (a clone of `state.clock`): the test moves it or reads it.
    pub clock: Clock,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

/// The instant every test starts at unless it asks for another: 2026-11-27 09:00 in Beijing,
/// the demo project's date. No test depends on the day it runs.
pub fn anchor() -> Timestamp {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    Timestamp::start_of_day_cst(date).plus_ms(9 * HOUR_MS)
}

/// The clock of this test process: it read [`anchor`] when first asked and runs at real speed.
/// Every [`TestServer::start`] serves on it and [`now`] reads it, so test code, devices and
/// servers agree about the time without reading the machine's date.
pub fn clock() -> Clock {
    static CLOCK: std::sync::LazyLock<Clock> =
        std::sync::LazyLock::new(|| Clock::flowing_from(anchor()));
    CLOCK.clone()
}

/// Now, by this process's test [`clock`].
pub fn now() -> Timestamp {
    clock().now()
}

impl TestServer {
    /// Starts a server holding the demo project, on the process's test [`clock`].
    pub async fn start() -> Self {
        Self::start_with_clock(clock()).await
    }

    /// Starts a server holding the demo project (dated by the demo's anchor) on `clock`.
    pub async fn start_with_clock(clock: Clock) -> Self {
        Self::start_configured(clock, |_| {}).await
    }

    /// Starts a server on `clock` with its configuration changed by `change`.
    pub async fn start_configured(clock: Clock, change: impl FnOnce(&mut Config)) -> Self {
        Self::start_holding(clock, change, true).await
    }

    /// Starts a server on `clock` with an empty data folder (`project` is the demo project the
    /// caller may create, dated by the anchor).
    pub async fn start_empty(clock: Clock) -> Self {
        Self::start_holding(clock, |_| {}, false).await
    }

    /// Starts a server holding the demo project whose store is the database at `url` (a
    /// PostgreSQL database from [`postgres::fresh_database`], or one another server uses: several
    /// servers on one database are replicas).
    pub async fn start_on_database(clock: Clock, url: &str) -> Self {
        let url = url.to_owned();
        Self::start_holding(clock, move |config| config.db.url = url, true).await
    }

    /// Starts a server holding the demo project whose blobs live in `blobs` (an S3 bucket
    /// from [`s3::S3Service::fresh_blobs`]) and whose records live in the database at `db`
    /// (`None`: its own SQLite file).
    pub async fn start_on_stores(clock: Clock, db: Option<&str>, blobs: BlobConfig) -> Self {
        let db = db.map(str::to_owned);
        Self::start_holding(
            clock,
            move |config| {
                if let Some(url) = db {
                    config.db.url = url;
                }
                config.blobs = blobs;
            },
            true,
        )
        .await
    }

    async fn start_holding(
        clock: Clock,
        change: impl FnOnce(&mut Config),
        with_project: bool,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_data_dir(dir.path(), "127.0.0.1:0".parse().unwrap()).unwrap();
        change(&mut config);
        let state = build_state(config, clock.clone()).await.unwrap();
        let project = demo_project(anchor().date_cst()).unwrap();
        if with_project {
            setup::create_project(&state, &project).await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            launch(serving, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            addr,
            state,
            project,
            clock,
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/api/v1{path}", self.addr)
    }

    /// Creates a user with a role in the demo project and enrolls a device for them.
    pub async fn device(&self, login: &str, role: Role) -> Device {
        self.device_in(login, role, &self.project.id.clone()).await
    }

    pub async fn device_in(&self, login: &str, role: Role, project: &ProjectId) -> Device {
        let user = UserId::new(login).unwrap();
        let contractor =
            (role == Role::Contractor).then(|| ContractorId::new("hengzhu-civil").unwrap());
        let membership = Membership {
            project: project.clone(),
            role,
            contractor,
        };
        other_project(&self.state, project).await;
        if self
            .state
            .store
            .password_hash(&user)
            .await
            .unwrap()
            .is_none()
        {
            account_admin::add_user(&self.state, &user, login, Some("password-123"), membership)
                .await
                .unwrap();
        }
        let code = account_admin::enrollment_code(&self.state, &user)
            .await
            .unwrap();
        Device::enroll(
            &self.url(""),
            &code,
            &format!("{login} phone"),
            user,
            role,
            self.clock.clone(),
        )
        .await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// What one sync did.
#[derive(Debug, Default)]
pub struct SyncReport {
    pub refused: Vec<(DocId, String)>,
    pub acked: BTreeMap<DocId, Vec<automerge::ChangeHash>>,
}

/// A device: its documents, its sync states and its token.
pub struct Device {
    pub base: String,
    pub token: String,
    pub actor: Actor,
    pub docs: BTreeMap<DocId, AutoCommit>,
    pub states: BTreeMap<DocId, sync::State>,
    pub http: reqwest::Client,
    pub bytes_sent: usize,
    pub bytes_received: usize,
    pub round_trips: usize,
    /// Where its device times come from.
    pub clock: Clock,
}

impl Device {
    /// Enrolls a new device with a one-time `code` at `base` (the `/api/v1` URL of any
    /// server, in-process or a real binary) for `user`, who has `role`.
    /// Its device times come from `clock` (the server's, for a server in this process).
    pub async fn enroll(
        base: &str,
        code: &str,
        name: &str,
        user: UserId,
        role: Role,
        clock: Clock,
    ) -> Device {
        let http = reqwest::Client::new();
        let res = http
            .post(format!("{base}/enroll"))
            .json(&json!({"code": code, "device_name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let body: serde_json::Value = res.json().await.unwrap();
        Device {
            base: base.to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
            actor: Actor {
                user,
                role,
                device: DeviceId::new(body["device_id"].as_str().unwrap()).unwrap(),
            },
            docs: BTreeMap::new(),
            states: BTreeMap::new(),
            http,
            bytes_sent: 0,
            bytes_received: 0,
            round_trips: 0,
            clock,
        }
    }

    /// A unit document of this device, for writing.
    pub fn unit(&mut self, id: &DocId) -> UnitDoc {
        UnitDoc::from_trusted(self.docs.get(id).unwrap().clone())
    }

    /// Stores an edited unit document back.
    pub fn put_unit(&mut self, id: &DocId, doc: UnitDoc) {
        self.docs.insert(id.clone(), doc.into_automerge());
    }

    /// `GET {base}{path}` with the device's token, answered 200 with JSON.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }

    pub async fn post(&mut self, path: &str, body: Vec<u8>) -> reqwest::Response {
        self.bytes_sent += body.len();
        self.round_trips += 1;
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/x-postcard")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub fn manifest_request(&mut self, with_entries: bool) -> ManifestRequest {
        let entries: Vec<ManifestEntry> = self
            .docs
            .iter_mut()
            .map(|(doc, am)| ManifestEntry {
                doc: doc.clone(),
                heads: HeadsDigest::of_heads(&am.get_heads()),
            })
            .collect();
        let summary = HeadsDigest::of_manifest(entries.iter().map(|e| (&e.doc, &e.heads)));
        ManifestRequest {
            api_version: API_VERSION,
            device_time: self.clock.now(),
            summary,
            entries: with_entries.then_some(entries),
        }
    }

    /// Runs a whole sync: manifest (summary first), then exchanges until both sides are done.
    pub async fn sync(&mut self) -> SyncReport {
        match self.try_sync().await {
            Ok(report) => report,
            Err(busy) => panic!("the server was busy: {busy}"),
        }
    }

    /// [`Device::sync`], ending early with the server's message when an exchange is answered
    /// 503 (another replica wrote a document at the same moment: nothing was stored, and the
    /// next sync sends the same again). Any other failure panics.
    pub async fn try_sync(&mut self) -> Result<SyncReport, String> {
        let mut report = SyncReport::default();
        let req = self.manifest_request(false);
        let mut resp = self.manifest(&req).await;
        if matches!(resp, ManifestResponse::SendEntries { .. }) {
            let req = self.manifest_request(true);
            resp = self.manifest(&req).await;
        }
        let Some(mut todo) = self.begin_session(resp) else {
            return Ok(report);
        };
        for _round in 0..12 {
            if todo.is_empty() {
                break;
            }
            let mut next = Vec::new();
            for batch in todo.chunks(64) {
                let messages = self.outgoing(batch);
                if messages.is_empty() {
                    continue;
                }
                let sent: Vec<DocId> = messages.iter().map(|m| m.doc.clone()).collect();
                let body = to_postcard(&SyncRequest {
                    api_version: API_VERSION,
                    device_time: self.clock.now(),
                    messages,
                });
                let res = self.post("/sync/exchange", body).await;
                if res.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE {
                    return Err(res.text().await.unwrap());
                }
                assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
                let bytes = res.bytes().await.unwrap();
                self.bytes_received += bytes.len();
                let reply: SyncResponse = from_postcard(&bytes).unwrap();
                self.receive(reply.messages);
                let mut finished = Vec::new();
                for a in reply.acks {
                    let heads = a.change_hashes();
                    // Both sides hold the same heads: nothing more to say about this document.
                    if self.holds_exactly(&a.doc, &heads) {
                        finished.push(a.doc.clone());
                    }
                    report.acked.insert(a.doc.clone(), heads);
                }
                for r in reply.refused {
                    report.refused.push((r.doc.clone(), r.reason));
                    // Forget what we told the server about this document so it is resent later.
                    self.states.remove(&r.doc);
                }
                next.extend(sent.into_iter().filter(|d| !finished.contains(d)));
            }
            next.retain(|d| !report.refused.iter().any(|(r, _)| r == d));
            todo = next;
        }
        Ok(report)
    }

    /// Whether this device's copy of `doc` has exactly `heads`.
    pub fn holds_exactly(&mut self, doc: &DocId, heads: &[automerge::ChangeHash]) -> bool {
        let Some(am) = self.docs.get_mut(doc) else {
            return false;
        };
        plumbline_shared::api::same_heads(&am.get_heads(), heads)
    }

    /// Starts the exchange step after a manifest answer: the documents to exchange, each with
    /// a new session (only the heads both sides shared are kept, automerge's rule between
    /// connections, so that a document the server changed is always asked for). `None` when
    /// the manifest said everything is in sync.
    pub fn begin_session(&mut self, resp: ManifestResponse) -> Option<Vec<DocId>> {
        let todo: Vec<DocId> = match resp {
            ManifestResponse::InSync { .. } => return None,
            ManifestResponse::SendEntries { .. } => panic!("the server asked for entries twice"),
            ManifestResponse::Differs {
                changed,
                new_on_server,
                ..
            } => changed.into_iter().chain(new_on_server).collect(),
        };
        for doc in &todo {
            self.docs.entry(doc.clone()).or_default();
            if let Some(state) = self.states.get_mut(doc) {
                *state = sync::State::decode(&state.encode()).unwrap();
            }
        }
        Some(todo)
    }

    /// The sync messages this device has for `docs`.
    pub fn outgoing(&mut self, docs: &[DocId]) -> Vec<DocMessage> {
        let mut messages = Vec::new();
        for doc in docs {
            let state = self.states.entry(doc.clone()).or_default();
            let am = self.docs.get_mut(doc).unwrap();
            if let Some(m) = am.sync().generate_sync_message(state) {
                messages.push(DocMessage {
                    doc: doc.clone(),
                    message: m.encode(),
                });
            }
        }
        messages
    }

    /// Applies the server's sync messages.
    pub fn receive(&mut self, messages: Vec<DocMessage>) {
        for m in messages {
            let state = self.states.entry(m.doc.clone()).or_default();
            let am = self.docs.get_mut(&m.doc).unwrap();
            am.sync()
                .receive_sync_message(state, sync::Message::decode(&m.message).unwrap())
                .unwrap();
        }
    }

    pub async fn manifest(&mut self, req: &ManifestRequest) -> ManifestResponse {
        let res = self.post("/sync/manifest", to_postcard(req)).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let bytes = res.bytes().await.unwrap();
        self.bytes_received += bytes.len();
        from_postcard(&bytes).unwrap()
    }
}

/// Edits a unit document on the server, as the office pages do (through
/// [`unit_write::edit_unit`]), and returns what `edit` returns. Notices and fine slips carry
/// numbers only the server issues, so a test that needs them on a case writes them here rather
/// than from a phone. A phone sees the edit at its next sync.
pub async fn office_edit<T>(
    server: &TestServer,
    doc: &DocId,
    edit: impl FnOnce(&mut UnitDoc) -> T,
) -> T {
    plumbline_sync_server::unit_write::edit_unit(&server.state, doc, None, 0, |u, _, _| {
        Ok::<_, plumbline_sync_server::unit_write::WriteError>(edit(u))
    })
    .await
    .unwrap_or_else(|e| panic!("the office's edit of {doc}: {e:?}"))
}

/// The unit document as the server stores it.
pub async fn server_unit(server: &TestServer, doc: &DocId) -> UnitDoc {
    let stored = server.state.store.load_doc(doc).await.unwrap().unwrap();
    UnitDoc::from_trusted(plumbline_sync_server::doc_cache::assemble(doc, &stored).unwrap())
}

/// `person` at the office: the same person and role, writing from the office pages' device
/// rather than from their phone (whose changes an office edit would collide with).
pub fn at_the_office(person: &Actor) -> Actor {
    Actor {
        device: DeviceId::new(format!("web-office-{}", person.user)).unwrap(),
        ..person.clone()
    }
}

/// Appends, for `actor` at the office (see [`office_edit`], [`at_the_office`]), the events of
/// [`repair_accepted`].
pub async fn accept_repair(
    server: &TestServer,
    doc: &DocId,
    actor: &Actor,
    finding: &plumbline_shared::ids::FindingId,
    start: Timestamp,
) {
    let office = at_the_office(actor);
    office_edit(server, doc, |unit| {
        repair_accepted(unit, &office, finding, start)
    })
    .await;
}

/// Appends to `unit`, as `actor`, the events that take `finding` to an accepted repair — a
/// notice to 恒筑 (civil), the contractor on site, the repair reported, acceptance — one
/// minute apart after `start`: the office recording the contractor's answers, as it may. The
/// notice is the server's to number: write `unit` through [`office_edit`], not from a phone.
pub fn repair_accepted(
    unit: &mut UnitDoc,
    actor: &Actor,
    finding: &plumbline_shared::ids::FindingId,
    start: Timestamp,
) {
    use plumbline_shared::event::{EventKind, ResponseMode};
    let kinds = [
        EventKind::NoticeIssued {
            notice_no: "ZG-2026-0900".into(),
            contractor: ContractorId::new("hengzhu-civil").unwrap(),
            repair_deadline: Timestamp(start.0 + 3 * 86_400_000),
        },
        EventKind::ContractorResponded {
            mode: ResponseMode::OnSite,
            note: String::new(),
        },
        EventKind::RepairReported {
            note: "已修复".into(),
            evidence: Vec::new(),
        },
        EventKind::AcceptancePassed {
            note: "合格".into(),
        },
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let at = Timestamp(start.0 + (i as i64 + 1) * 60_000);
        unit.append_event(actor, at, finding, kind).unwrap();
    }
}

/// An inspection finding: the bathroom's ponding test leaks, with `severity` and
/// `description`.
pub fn ponding_leak(
    severity: plumbline_shared::severity::Severity,
    description: &str,
) -> plumbline_shared::doc::unit::NewFinding {
    plumbline_shared::doc::unit::NewFinding {
        origin: plumbline_shared::event::Origin::Inspection,
        round: None,
        room: "bathroom".parse().unwrap(),
        item: "bathroom.ponding_test".parse().unwrap(),
        category: "waterproofing".parse().unwrap(),
        severity,
        description: description.into(),
    }
}

/// A 2048×1536 photo of `bytes` bytes with `hash`, taken by `actor` at `at`, without a
/// thumbnail.
pub fn photo(
    actor: &Actor,
    at: Timestamp,
    hash: plumbline_shared::ids::BlobHash,
    bytes: u64,
) -> plumbline_shared::doc::evidence::EvidenceRef {
    plumbline_shared::doc::evidence::EvidenceRef {
        hash,
        kind: plumbline_shared::doc::evidence::EvidenceKind::Photo,
        bytes,
        width: 2048,
        height: 1536,
        captured_at: at,
        device: actor.device.clone(),
        author: actor.user.clone(),
        location: None,
        pin: None,
        thumbnail: None,
    }
}

/// Uploads a blob as `phone` in one chunk.
pub async fn upload(phone: &Device, bytes: &[u8]) {
    let res = put_blob(phone, bytes, "image/jpeg").await;
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
}

/// Sends `bytes` as one chunk of a blob of type `kind`, as `phone`; the server's answer.
pub async fn put_blob(phone: &Device, bytes: &[u8], kind: &str) -> reqwest::Response {
    let hash = plumbline_shared::ids::BlobHash::of(bytes);
    phone
        .http
        .put(format!(
            "{}/blobs/{hash}?offset=0&total={}",
            phone.base,
            bytes.len()
        ))
        .bearer_auth(&phone.token)
        .header("content-type", kind)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

/// A stand-in photo that passes the server's checks, `len` long (at least 286 bytes) and
/// different for each `seed`.
pub fn jpeg(len: usize, seed: u8) -> Vec<u8> {
    jpeg_seeded(len, u64::from(seed))
}

/// [`jpeg`] with a wider seed: a real 16 × 16 JPEG, then noise that decoders skip.
pub fn jpeg_seeded(len: usize, seed: u64) -> Vec<u8> {
    let mut v = include_bytes!("../../../assets/fixtures/tiny.jpg").to_vec();
    let mut x = seed | 1;
    v.extend((v.len()..len.max(v.len())).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    }));
    v
}

/// Makes sure project `id` exists: a second project (the demo's contractors, no buildings),
/// for the tests of what must not cross from one project to another.
pub async fn other_project(state: &plumbline_sync_server::state::AppState, id: &ProjectId) {
    if project_read::load_project(state, id)
        .await
        .unwrap()
        .is_some()
    {
        return;
    }
    let mut project = demo_project(anchor().date_cst()).unwrap();
    project.id = id.clone();
    project.name_zh = id.to_string();
    project.name_en = id.to_string();
    project.buildings.clear();
    project.assignments.clear();
    project.floor_plans.clear();
    setup::create_project(state, &project).await.unwrap();
}
