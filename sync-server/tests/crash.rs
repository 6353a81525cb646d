//! Crash tests of the real binary: 20 devices sync concurrently and a server is killed with
//! SIGKILL in the middle of their traffic. Two layouts ([`Layout`]):
//!
//! - **One server** on SQLite and a folder, restarted on the same data folder after the kill.
//!   Every change it acknowledged is on disk, read before any device could send it again (a
//!   device still holds its changes, so a resend would hide a lost one).
//! - **Three replicas** on one PostgreSQL database and one S3 bucket (a real Garage), each
//!   device moving to the next replica at every sync and every photo chunk; one replica is
//!   killed and stays down while the other two go on. Meanwhile an office manager issues
//!   notices through the replicas in turn, and every request for more evidence queues a
//!   reminder for the project's work-group robot.
//!
//! Then, in both:
//!
//! - every change acknowledged before or after the kill is in the documents at the end,
//! - every device converges, after retrying, to exactly the server's documents,
//! - nothing is duplicated: each finding once in its unit document and once in the case
//!   records, each event once, each event with exactly one server receipt;
//!
//! and with the replicas also: every photo acknowledged is stored once with its bytes and no
//! part of an upload is left behind; the notice numbers are 1 to N without a gap or a repeat;
//! each reminder is queued once and reaches the robot once.
//!
//! The servers are child processes so that the kill is a real crash: no destructor, no
//! graceful shutdown, no flush runs. Nothing here depends on exact timing: the kill waits until
//! enough work was acknowledged, and every later step waits for a condition, with a deadline.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::{AutoCommit, ChangeHash, ReadDoc};
use common::Device;
use common::process::{ServerProcess, free_addr};
use plumbline_shared::api::{
    API_VERSION, ManifestResponse, SyncRequest, SyncResponse, from_postcard, to_postcard,
};
use plumbline_shared::demo::demo_project;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::{FieldEdit, NewFinding, UnitDoc};
use plumbline_shared::event::{EventKind, EvidenceRequestReason, Origin};
use plumbline_shared::ids::{BlobHash, FindingId, UnitId, UserId};
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::{HOUR_MS, Timestamp};
use plumbline_sync_server::blobs::{Uploads, object_path};
use plumbline_sync_server::config::{BlobConfig, Config};
use plumbline_sync_server::durable::Durability;
use plumbline_sync_server::store::{Membership, NewUser, Webhook, WebhookKind};
use plumbline_sync_server::{account_admin, blob_store, build_state, setup, staging};
use tokio::task::JoinHandle;

/// Devices syncing at once.
const CLIENTS: usize = 20;
/// Units every device writes to, so that their documents merge on the server.
const SHARED_UNITS: usize = 4;
/// Units only one device writes to, per device.
const OWN_UNITS: usize = 3;
/// Most findings one device records, so the test's work stays bounded however fast it runs.
const MAX_FINDINGS: usize = 40;
/// Syncs that pushed new work, across all devices, before the server is killed: the crash then
/// hits a server holding acknowledged work, with more in flight.
const ACKED_BEFORE_KILL: usize = 40;
/// How long the server stays down: every device hits a refused connection in that time.
const DOWN_FOR: Duration = Duration::from_millis(300);
/// A device's pause after a failed sync.
const BACKOFF: Duration = Duration::from_millis(40);
/// Longest any wait of this test may take before it fails instead of hanging.
const DEADLINE: Duration = Duration::from_secs(90);
/// A photo's size with the replicas: sent in [`PHOTO_CHUNK`]s, each to the next replica.
const PHOTO_BYTES: usize = 48_000;
/// The chunk size of those uploads: three chunks a photo.
const PHOTO_CHUNK: usize = 20_000;
/// The office manager's login and password (replicas only).
const MANAGER: (&str, &str) = ("zhaomin", "good-password-1");

/// Where the devices sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One server on SQLite and a folder, killed and restarted on the same data folder.
    OneServer,
    /// Three replicas on one PostgreSQL database and one S3 bucket; the first is killed and
    /// stays down.
    Replicas,
}

impl Layout {
    fn servers(self) -> usize {
        match self {
            Layout::OneServer => 1,
            Layout::Replicas => 3,
        }
    }

    /// How far in the past the devices date their work. With the replicas a day and an hour:
    /// each request for more evidence then arrives already unanswered for longer than a day,
    /// so its reminder is queued for the robot at once (as for a phone that was offline).
    fn backdate_ms(self) -> i64 {
        match self {
            Layout::OneServer => 0,
            Layout::Replicas => 25 * HOUR_MS,
        }
    }
}

/// What [`prepare`] made.
struct Prepared {
    units: Vec<UnitId>,
    /// One enrollment code per device, and the verifier's last.
    codes: Vec<String>,
    /// The servers' configuration file.
    config: String,
    /// The records' database.
    db_url: String,
    /// The photos' store.
    blobs: BlobConfig,
}

/// Writes the demo project, one inspector per device and one enrollment code per device, in
/// process, before any server runs: for one server into `<dir>/data`, its data folder (the
/// state is dropped on return; its writer thread then closes the database, and SQLite allows a
/// second process on it meanwhile); for the replicas into a fresh PostgreSQL database and a
/// fresh prefix of the test Garage's bucket, with an office manager and the project's robot at
/// `robot`. Inspectors get no password (nothing here signs in with one, and hashing 21
/// passwords with argon2 in a debug build would take most of the test's time).
async fn prepare(dir: &Path, layout: Layout, robot: &str) -> Prepared {
    let mut config =
        Config::for_data_dir(&dir.join("data"), "127.0.0.1:0".parse().unwrap()).unwrap();
    let mut file = "metrics_listen = \"\"\n".to_owned();
    if layout == Layout::Replicas {
        config.db.url = common::postgres::fresh_database().await;
        config.blobs = common::s3::garage().fresh_blobs();
        let b = &config.blobs;
        file.push_str(&format!(
            "[db]\nurl = \"{}\"\n[blobs]\nurl = \"{}\"\nendpoint = \"{}\"\nregion = \"{}\"\n\
             access_key_id = \"{}\"\nsecret_access_key = \"{}\"\n[notify]\nwebhook_every_secs = 1\n",
            config.db.url, b.url, b.endpoint, b.region, b.access_key_id, b.secret_access_key
        ));
    }
    let (db_url, blobs) = (config.db.url.clone(), config.blobs.clone());
    let state = build_state(config, common::clock()).await.unwrap();
    let project = demo_project(common::anchor().date_cst()).unwrap();
    setup::create_project(&state, &project).await.unwrap();
    let mut codes = Vec::new();
    for i in 0..=CLIENTS {
        let user = login(i);
        state
            .store
            .create_user(NewUser {
                user: user.clone(),
                display_name: user.to_string(),
                password_hash: None,
            })
            .await
            .unwrap();
        state
            .store
            .set_membership(
                &user,
                Membership {
                    project: project.id.clone(),
                    role: Role::Inspector,
                    contractor: None,
                },
            )
            .await
            .unwrap();
        codes.push(account_admin::enrollment_code(&state, &user).await.unwrap());
    }
    if layout == Layout::Replicas {
        let manager = Membership {
            project: project.id.clone(),
            role: Role::Manager,
            contractor: None,
        };
        let user = UserId::new(MANAGER.0).unwrap();
        account_admin::add_user(&state, &user, MANAGER.0, Some(MANAGER.1), manager)
            .await
            .unwrap();
        let hook = Webhook {
            kind: WebhookKind::Wecom,
            url: robot.to_owned(),
        };
        state
            .store
            .set_webhook(&project.id, Some(hook))
            .await
            .unwrap();
    }
    let units = project.units().map(|(_, u)| u.id.clone()).collect();
    Prepared {
        units,
        codes,
        config: file,
        db_url,
        blobs,
    }
}

/// The login of device `i`; device [`CLIENTS`] is the verifier, enrolled after the crash.
fn login(i: usize) -> UserId {
    UserId::new(format!("inspector{i:02}")).unwrap()
}

fn now() -> Timestamp {
    common::now()
}

/// When the devices date their work in `layout`.
fn dated(layout: Layout) -> Timestamp {
    Timestamp(now().0 - layout.backdate_ms())
}

fn leak(n: usize) -> NewFinding {
    NewFinding {
        origin: Origin::Inspection,
        round: None,
        room: "bathroom".parse().unwrap(),
        item: "bathroom.ponding_test".parse().unwrap(),
        category: "waterproofing".parse().unwrap(),
        severity: Severity::S1,
        description: format!("闭水试验渗漏 #{n}"),
    }
}

/// Why a sync attempt failed.
#[derive(Debug)]
enum SyncError {
    /// No answer: refused, reset or cut connection (the server is down or was killed).
    Transport(String),
    /// An answer that is not 200: never expected here, even across the crash.
    Status(u16, String),
}

/// What a completed sync did.
#[derive(Debug, Default)]
struct Outcome {
    /// The manifest said the device already matches the server.
    in_sync: bool,
    refused: Vec<(DocId, String)>,
}

/// One acknowledgement received: the server's durable heads of `doc` after the write.
#[derive(Debug, Clone)]
struct Ack {
    /// The device it was sent to (index; [`CLIENTS`] is the verifier).
    client: usize,
    /// Received while the first server process was the only one that ever ran, so it came
    /// from the server that was killed.
    before_crash: bool,
    doc: DocId,
    heads: Vec<ChangeHash>,
}

async fn post(device: &mut Device, path: &str, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
    let transport = |e: reqwest::Error| SyncError::Transport(e.to_string());
    let res = device
        .http
        .post(format!("{}{path}", device.base))
        .bearer_auth(&device.token)
        .header("content-type", "application/x-postcard")
        .timeout(Duration::from_secs(20))
        .body(body)
        .send()
        .await
        .map_err(transport)?;
    let status = res.status();
    let bytes = res.bytes().await.map_err(transport)?;
    if status != 200 {
        return Err(SyncError::Status(
            status.as_u16(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    Ok(bytes.to_vec())
}

/// [`Device::sync`] that fails instead of panicking when the server is gone, like the app's
/// sync does; the device then retries later with a new session. Every acknowledgement is
/// kept in `progress` as it arrives, so one received just before a failure still counts.
async fn try_sync(
    device: &mut Device,
    client: usize,
    progress: &Progress,
) -> Result<Outcome, SyncError> {
    let mut outcome = Outcome::default();
    let req = device.manifest_request(false);
    let mut resp: ManifestResponse =
        from_postcard(&post(device, "/sync/manifest", to_postcard(&req)).await?).unwrap();
    if matches!(resp, ManifestResponse::SendEntries { .. }) {
        let req = device.manifest_request(true);
        resp = from_postcard(&post(device, "/sync/manifest", to_postcard(&req)).await?).unwrap();
    }
    let Some(mut todo) = device.begin_session(resp) else {
        outcome.in_sync = true;
        return Ok(outcome);
    };
    for _round in 0..12 {
        if todo.is_empty() {
            break;
        }
        let mut next = Vec::new();
        for batch in todo.chunks(64) {
            let messages = device.outgoing(batch);
            if messages.is_empty() {
                continue;
            }
            let sent: Vec<DocId> = messages.iter().map(|m| m.doc.clone()).collect();
            let body = to_postcard(&SyncRequest {
                api_version: API_VERSION,
                device_time: now(),
                messages,
            });
            let bytes = post(device, "/sync/exchange", body).await?;
            // Read before anything else: if no restart had begun by now, this answer came from
            // the first server process.
            let before_crash = !progress.killed.load(Ordering::SeqCst);
            let reply: SyncResponse = from_postcard(&bytes).unwrap();
            device.receive(reply.messages);
            let mut acks = progress.acks.lock().unwrap();
            for a in reply.acks {
                acks.push(Ack {
                    client,
                    before_crash,
                    doc: a.doc.clone(),
                    heads: a.change_hashes(),
                });
            }
            for r in reply.refused {
                device.states.remove(&r.doc);
                outcome.refused.push((r.doc, r.reason));
            }
            next.extend(sent);
        }
        next.retain(|d| !outcome.refused.iter().any(|(r, _)| r == d));
        todo = next;
    }
    Ok(outcome)
}

/// Signals between the test and its devices.
#[derive(Default)]
struct Progress {
    /// Devices enrolled and fully synced once.
    ready: AtomicUsize,
    /// Completed syncs across all devices; each pushed new work (until a device reaches
    /// [`MAX_FINDINGS`], far later than the kill).
    acked_work: AtomicUsize,
    /// Set once a server was killed (for one server, just before it starts again).
    killed: AtomicBool,
    /// Devices that completed a sync after the kill.
    synced_after_kill: AtomicUsize,
    /// Devices stop producing work.
    stop: AtomicBool,
    /// Every acknowledgement any device received.
    acks: Mutex<Vec<Ack>>,
    /// Every photo a server answered stored (complete).
    photos: Mutex<Vec<BlobHash>>,
}

/// What one device did.
struct ClientLog {
    /// Its index.
    i: usize,
    device: Device,
    /// The servers' API addresses; the device moves to the next at every request it starts.
    bases: Arc<Vec<String>>,
    /// Requests started, for choosing the next server.
    turns: usize,
    /// Servers that did not answer: skipped from then on while another is left (as a load
    /// balancer stops sending to a server that failed its health check).
    down: HashSet<String>,
    /// Photos taken and not yet answered stored.
    pending_photos: Vec<Vec<u8>>,
    /// Every finding it recorded, with its unit document.
    recorded: Vec<(DocId, FindingId)>,
    /// Events it appended to its findings after `recorded`, per finding.
    extra_events: BTreeMap<FindingId, usize>,
    /// The change of each finding it recorded.
    own_changes: Vec<(DocId, ChangeHash)>,
    transport_errors: usize,
    /// One of those errors, for the summary.
    a_transport_error: Option<String>,
    status_errors: Vec<(u16, String)>,
}

impl ClientLog {
    /// Points the device at the next server and returns its API address.
    fn next_server(&mut self) -> String {
        let n = self.bases.len();
        let up = (0..n)
            .map(|k| &self.bases[(self.i + self.turns + k) % n])
            .position(|b| !self.down.contains(b))
            .unwrap_or(0);
        let base = self.bases[(self.i + self.turns + up) % n].clone();
        self.turns += up + 1;
        self.device.base.clone_from(&base);
        base
    }
}

/// One device: enrolls, syncs, then records findings and syncs in a loop until told to stop,
/// retrying after every failure; finally syncs until a sync completes cleanly. With the
/// replicas, every fourth finding has a photo, uploaded after the sync that carried it.
async fn client(
    i: usize,
    bases: Arc<Vec<String>>,
    code: String,
    (own, shared): (Vec<DocId>, Vec<DocId>),
    progress: Arc<Progress>,
    layout: Layout,
) -> ClientLog {
    let device = Device::enroll(
        &bases[i % bases.len()],
        &code,
        &format!("phone {i}"),
        login(i),
        Role::Inspector,
        common::clock(),
    )
    .await;
    let mut log = ClientLog {
        i,
        device,
        bases,
        turns: 0,
        down: HashSet::new(),
        pending_photos: Vec::new(),
        recorded: Vec::new(),
        extra_events: BTreeMap::new(),
        own_changes: Vec::new(),
        transport_errors: 0,
        a_transport_error: None,
        status_errors: Vec::new(),
    };
    sync_until_clean(&mut log, &progress).await;
    progress.ready.fetch_add(1, Ordering::SeqCst);
    // Work starts together, so that no device's first sync competes with others' work.
    wait_until("every device enrolled and synced", || {
        progress.ready.load(Ordering::SeqCst) == CLIENTS
    })
    .await;

    let mut n = 0usize;
    let mut last_own: Option<(DocId, FindingId)> = None;
    let mut new_work = true;
    let mut counted_restart = false;
    while !progress.stop.load(Ordering::SeqCst) {
        // New work only after a sync went through: while the server is down a device holds at
        // most one round of unsent work, which keeps the test's size independent of timing.
        if new_work && log.recorded.len() < MAX_FINDINGS {
            let doc = if n.is_multiple_of(3) {
                shared[(n / 3 + i) % shared.len()].clone()
            } else {
                own[n % own.len()].clone()
            };
            let d = &mut log.device;
            let actor = d.actor.clone();
            let mut unit = d.unit(&doc);
            let finding = unit.record_finding(&actor, dated(layout), leak(n)).unwrap();
            if layout == Layout::Replicas && n % 4 == 1 {
                let seed = (i * MAX_FINDINGS + n) as u64;
                log.pending_photos
                    .push(common::jpeg_seeded(PHOTO_BYTES, seed));
            }
            d.put_unit(&doc, unit);
            // A local commit depends on every current head, so it is the only head now.
            let heads = d.docs.get_mut(&doc).unwrap().get_heads();
            assert_eq!(heads.len(), 1);
            log.own_changes.push((doc.clone(), heads[0]));
            log.recorded.push((doc.clone(), finding.clone()));
            // Every few findings, more work on an earlier one of the device's own: a plain field
            // edit, and one more event on its timeline (each event gets a receipt of its own).
            if let Some((edit_doc, edit_finding)) = last_own.take().filter(|_| n % 4 == 3) {
                let mut unit = d.unit(&edit_doc);
                unit.edit_field(
                    &actor,
                    dated(layout),
                    &edit_finding,
                    FieldEdit::Severity(Severity::S2),
                )
                .unwrap();
                unit.append_event(
                    &actor,
                    dated(layout),
                    &edit_finding,
                    EventKind::EvidenceRequested {
                        reason: EvidenceRequestReason::Unclear,
                        note: format!("补拍 #{n}"),
                    },
                )
                .unwrap();
                d.put_unit(&edit_doc, unit);
                // The edit is on the timeline too (S1 → S2), beside the request.
                *log.extra_events.entry(edit_finding).or_default() += 2;
            }
            if !shared.contains(&doc) {
                last_own = Some((doc, finding));
            }
            n += 1;
        }
        let killed = progress.killed.load(Ordering::SeqCst);
        log.next_server();
        match try_sync(&mut log.device, log.i, &progress).await {
            Ok(outcome) => {
                assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
                new_work = true;
                progress.acked_work.fetch_add(1, Ordering::SeqCst);
                if killed && !counted_restart {
                    counted_restart = true;
                    progress.synced_after_kill.fetch_add(1, Ordering::SeqCst);
                }
                if let Err(e) = upload_photos(&mut log, &progress).await {
                    note_error(&mut log, e);
                    tokio::time::sleep(BACKOFF).await;
                }
            }
            Err(e) => {
                note_error(&mut log, e);
                new_work = false;
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }
    sync_until_clean(&mut log, &progress).await;
    log
}

/// Uploads the device's pending photos, each chunk to the next server (so one photo's chunks
/// land on different replicas), asking the server where to resume before each chunk. Stops
/// at the first failed request; the photos not yet stored stay pending.
async fn upload_photos(log: &mut ClientLog, progress: &Progress) -> Result<(), SyncError> {
    while let Some(photo) = log.pending_photos.last().cloned() {
        let hash = BlobHash::of(&photo);
        loop {
            let base = log.next_server();
            let status: serde_json::Value = send(
                log.device.http.get(format!("{base}/blobs/{hash}/status")),
                &log.device.token,
            )
            .await?;
            if status["complete"] == true {
                break;
            }
            let offset = usize::try_from(status["offset"].as_u64().unwrap()).unwrap();
            let end = (offset + PHOTO_CHUNK).min(photo.len());
            let base = log.next_server();
            let put = log
                .device
                .http
                .put(format!(
                    "{base}/blobs/{hash}?offset={offset}&total={}",
                    photo.len()
                ))
                .header("content-type", "image/jpeg")
                .body(photo[offset..end].to_vec());
            let reply = match send(put, &log.device.token).await {
                // Another chunk got there first: ask again where to resume.
                Err(SyncError::Status(409, _)) => continue,
                other => other?,
            };
            if reply["complete"] == true {
                break;
            }
        }
        progress.photos.lock().unwrap().push(hash);
        log.pending_photos.pop();
    }
    Ok(())
}

/// Sends a request with the device's token; a 2xx answer's JSON, or why not.
async fn send(
    request: reqwest::RequestBuilder,
    token: &str,
) -> Result<serde_json::Value, SyncError> {
    let transport = |e: reqwest::Error| SyncError::Transport(e.to_string());
    let res = request
        .bearer_auth(token)
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .map_err(transport)?;
    let status = res.status();
    let body = res.text().await.map_err(transport)?;
    if !status.is_success() {
        return Err(SyncError::Status(status.as_u16(), body));
    }
    Ok(serde_json::from_str(&body).unwrap())
}

fn note_error(log: &mut ClientLog, e: SyncError) {
    match e {
        SyncError::Transport(message) => {
            log.down.insert(log.device.base.clone());
            log.transport_errors += 1;
            log.a_transport_error.get_or_insert(message);
        }
        SyncError::Status(status, body) => log.status_errors.push((status, body)),
    }
}

/// Syncs until one sync completes without error and without refusal.
async fn sync_until_clean(log: &mut ClientLog, progress: &Progress) {
    let start = Instant::now();
    loop {
        log.next_server();
        match try_sync(&mut log.device, log.i, progress).await {
            Ok(outcome) => {
                assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
                match upload_photos(log, progress).await {
                    Ok(()) => return,
                    Err(e) => note_error(log, e),
                }
            }
            Err(e) => note_error(log, e),
        }
        assert!(
            start.elapsed() < DEADLINE,
            "a device never synced again: {:?} {:?}",
            log.a_transport_error,
            log.status_errors.last()
        );
        tokio::time::sleep(BACKOFF).await;
    }
}

/// Waits until `done` holds, failing (not hanging) after [`DEADLINE`].
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// [`wait_until`] for the test, while the devices run: a device task that ended before being
/// told to stop panicked, and its panic is raised here at once rather than at the deadline.
async fn wait_for(what: &str, devices: &mut [JoinHandle<ClientLog>], done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        if let Some(task) = devices.iter_mut().find(|t| t.is_finished()) {
            match task.await {
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                _ => panic!("a device stopped early"),
            }
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Opens the database of the killed server in process, as the restarted server will (SQLite
/// recovers its write-ahead log on that first open), and checks that every head in `acks` is
/// stored, and that each document's stored heads are those of its stored changes (changes and
/// heads are written in one transaction). Returns how many acknowledgements were checked.
async fn check_stored(db_url: &str, acks: &[Ack], layout: Layout) -> usize {
    let store = plumbline_sync_server::store::connect(db_url, common::clock())
        .await
        .unwrap();
    assert!(acks.iter().all(|a| a.before_crash));
    // Most acknowledgements repeat heads already acknowledged (documents nobody changed).
    let distinct: BTreeSet<(&DocId, &Vec<ChangeHash>)> =
        acks.iter().map(|a| (&a.doc, &a.heads)).collect();
    let mut docs: BTreeMap<DocId, AutoCommit> = BTreeMap::new();
    for (doc, acked) in distinct {
        if !docs.contains_key(doc) {
            // The heads first: with replicas the others go on writing, so the changes loaded
            // next may hold more than those heads, never less.
            let mut heads = store.doc_heads(doc).await.unwrap().unwrap();
            let stored = store.load_doc(doc).await.unwrap().unwrap();
            let mut am = match &stored.snapshot {
                Some(bytes) => AutoCommit::load(bytes).unwrap(),
                None => AutoCommit::new(),
            };
            for change in &stored.changes {
                am.load_incremental(change).unwrap();
            }
            heads.sort();
            let mut held = am.get_heads();
            held.sort();
            match layout {
                Layout::OneServer => assert_eq!(heads, held, "stored heads of {doc}"),
                Layout::Replicas => assert!(
                    heads.iter().all(|h| am.get_change_by_hash(h).is_some()),
                    "stored heads of {doc} without their changes"
                ),
            }
            docs.insert(doc.clone(), am);
        }
        let am = docs.get_mut(doc).unwrap();
        for h in acked {
            assert!(
                am.get_change_by_hash(h).is_some(),
                "change {h} of {doc}, acknowledged by the killed server, is not on disk"
            );
        }
    }
    acks.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_acknowledged_change_and_every_device_converges() {
    kill_a_server(Layout::OneServer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_lose_nothing_when_one_is_killed_and_number_and_notify_once() {
    kill_a_server(Layout::Replicas).await;
}

/// What the office manager did (replicas only).
#[derive(Debug, Default)]
struct OfficeLog {
    /// Notices the server answered issued (303).
    issued: usize,
    /// Requests that got no answer (the killed replica): issued or not.
    unanswered: usize,
    /// Other answers, with their status.
    other: Vec<u16>,
}

/// The office manager: signs in on the second replica (sessions live in the database), then
/// until told to stop lists the cases and issues a notice on the next case it has not tried,
/// each request to the next replica, the killed one included.
async fn office(bases: Vec<String>, progress: Arc<Progress>) -> OfficeLog {
    let mut browser = common::web::Browser::at(&bases[1], "127.0.0.1".parse().unwrap());
    let page = browser.sign_in(MANAGER.0, MANAGER.1).await;
    assert_eq!(page.status, reqwest::StatusCode::SEE_OTHER, "{}", page.body);
    let cookie = browser.cookie_header();
    let http = browser.http.clone();
    let mut log = OfficeLog::default();
    let mut tried: HashSet<String> = HashSet::new();
    let mut turn = 0;
    while !progress.stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut next = || {
            turn += 1;
            bases[turn % bases.len()].clone()
        };
        let base = next();
        let list = http
            .get(format!("{base}/cases"))
            .header("cookie", &cookie)
            .send()
            .await;
        let Ok(list) = list else {
            continue;
        };
        let body = list.text().await.unwrap_or_default();
        let Some(link) = common::web::case_links(&body)
            .into_iter()
            .find(|l| !tried.contains(l))
        else {
            continue;
        };
        tried.insert(link.clone());
        let csrf = common::web::csrf_of(&body);
        let base = next();
        let form = [
            ("csrf", csrf.as_str()),
            ("contractor", "hengzhu-civil"),
            ("days", "3"),
        ];
        match http
            .post(format!("{base}{link}/notice"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
        {
            Ok(res) if res.status() == reqwest::StatusCode::SEE_OTHER => log.issued += 1,
            Ok(res) => log.other.push(res.status().as_u16()),
            Err(_) => log.unanswered += 1,
        }
    }
    log
}

/// The servers of `layout` on `prepared`'s stores, each at its address.
async fn start_servers(
    dir: &Path,
    layout: Layout,
    prepared: &Prepared,
    addrs: &[SocketAddr],
) -> Vec<ServerProcess> {
    let mut servers = Vec::new();
    for (k, addr) in addrs.iter().enumerate() {
        // One server runs on the prepared data folder; each replica has one of its own (its
        // own server id) and shares the database and the bucket.
        let home = match layout {
            Layout::OneServer => dir.to_owned(),
            Layout::Replicas => dir.join(format!("replica-{k}")),
        };
        std::fs::create_dir_all(&home).unwrap();
        let log = format!("server-{k}.log");
        servers.push(ServerProcess::run(&home, "serve", *addr, &prepared.config, &log).await);
    }
    servers
}

async fn kill_a_server(layout: Layout) {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let robot = common::robot::Robot::default();
    let robot_url = robot.start().await;
    let prepared = prepare(dir.path(), layout, &robot_url).await;
    let units = prepared.units.clone();
    let codes = prepared.codes.clone();
    let addrs: Vec<SocketAddr> = (0..layout.servers()).map(|_| free_addr()).collect();
    let bases: Vec<String> = addrs.iter().map(|a| format!("http://{a}/api/v1")).collect();
    let webs: Vec<String> = addrs.iter().map(|a| format!("http://{a}")).collect();
    let mut servers = start_servers(dir.path(), layout, &prepared, &addrs).await;
    eprintln!("prepared and started in {:?}", t0.elapsed());

    // Units 0..4 are written by every device; then each device has units of its own.
    let docs: Vec<DocId> = units.iter().cloned().map(DocId::Unit).collect();
    let shared: Vec<DocId> = docs[..SHARED_UNITS].to_vec();
    assert!(SHARED_UNITS + CLIENTS * OWN_UNITS <= docs.len());
    let progress = Arc::new(Progress::default());
    let everyone = Arc::new(bases.clone());
    let mut tasks = Vec::new();
    for (i, code) in codes[..CLIENTS].iter().enumerate() {
        let first = SHARED_UNITS + i * OWN_UNITS;
        tasks.push(tokio::spawn(client(
            i,
            everyone.clone(),
            code.clone(),
            (docs[first..first + OWN_UNITS].to_vec(), shared.clone()),
            progress.clone(),
            layout,
        )));
    }

    wait_for("every device enrolled and synced", &mut tasks, || {
        progress.ready.load(Ordering::SeqCst) == CLIENTS
    })
    .await;
    eprintln!("{CLIENTS} devices synced in {:?}", t0.elapsed());
    let office = (layout == Layout::Replicas).then(|| tokio::spawn(office(webs, progress.clone())));
    wait_for("work acknowledged before the crash", &mut tasks, || {
        progress.acked_work.load(Ordering::SeqCst) >= ACKED_BEFORE_KILL
    })
    .await;
    // The devices never pause, so the kill lands while syncs are in flight.
    servers.remove(0).crash();
    eprintln!(
        "killed after {} acknowledged syncs, at {:?}",
        progress.acked_work.load(Ordering::SeqCst),
        t0.elapsed()
    );
    // Before any device can send anything again to a restarted server (which would hide a lost
    // change behind its copy), read what the killed one left in the database. (With replicas
    // the others go on meanwhile, so there the check cannot tell a lost change from one sent
    // again: what it shows is that the others serve on.)
    if layout == Layout::OneServer {
        tokio::time::sleep(DOWN_FOR).await;
    }
    let before: Vec<Ack> = progress.acks.lock().unwrap().clone();
    let checked = check_stored(&prepared.db_url, &before, layout).await;
    eprintln!(
        "{checked} acknowledgements of the killed server found on disk, at {:?}",
        t0.elapsed()
    );
    progress.killed.store(true, Ordering::SeqCst);
    // The servers that are up from now on, and their API addresses.
    let live: Vec<String> = match layout {
        Layout::OneServer => {
            let again = ServerProcess::run(
                dir.path(),
                "serve",
                addrs[0],
                &prepared.config,
                "server-restarted.log",
            )
            .await;
            servers.push(again);
            eprintln!("restarted at {:?}", t0.elapsed());
            bases.clone()
        }
        Layout::Replicas => bases[1..].to_vec(),
    };
    let live = Arc::new(live);
    let base = live[0].clone();

    wait_for("every device synced after the kill", &mut tasks, || {
        progress.synced_after_kill.load(Ordering::SeqCst) == CLIENTS
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    progress.stop.store(true, Ordering::SeqCst);
    let mut logs = Vec::new();
    for task in tasks {
        logs.push(task.await.unwrap());
    }
    let office = match office {
        Some(task) => Some(task.await.unwrap()),
        None => None,
    };
    eprintln!("devices stopped at {:?}", t0.elapsed());

    // Nobody writes any more: one more sync each brings everyone everything. A sync that
    // ends with the manifest saying "in sync" proves it.
    for log in &mut logs {
        log.bases = live.clone();
        let start = Instant::now();
        loop {
            log.next_server();
            let outcome = match try_sync(&mut log.device, log.i, &progress).await {
                Err(SyncError::Status(503, _)) if layout == Layout::Replicas => continue,
                other => other.unwrap(),
            };
            assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
            if outcome.in_sync {
                break;
            }
            assert!(start.elapsed() < DEADLINE, "a device does not converge");
        }
        assert!(log.pending_photos.is_empty(), "every photo was sent");
    }

    // A device enrolled after the crash reads what the servers hold.
    let mut verifier = Device::enroll(
        &base,
        &codes[CLIENTS],
        "verifier",
        login(CLIENTS),
        Role::Inspector,
        common::clock(),
    )
    .await;
    let start = Instant::now();
    loop {
        let outcome = try_sync(&mut verifier, CLIENTS, &progress).await.unwrap();
        assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
        if outcome.in_sync {
            break;
        }
        assert!(start.elapsed() < DEADLINE, "the verifier does not converge");
    }
    assert_eq!(verifier.docs.len(), units.len() + 1);
    eprintln!("converged at {:?}", t0.elapsed());

    // No error other than a lost connection, ever; and with replicas, "busy" (503) when two
    // replicas stored changes to one unit at the same moment and the device sent them again.
    let busy = |(status, body): &(u16, String)| *status == 503 && body.contains("\"busy\"");
    let all_errors: Vec<_> = logs.iter().flat_map(|l| &l.status_errors).collect();
    let busy_answers = all_errors.iter().filter(|e| busy(e)).count();
    let status_errors: Vec<_> = match layout {
        Layout::OneServer => all_errors,
        Layout::Replicas => all_errors.into_iter().filter(|e| !busy(e)).collect(),
    };
    assert!(status_errors.is_empty(), "{status_errors:?}");
    let transport_errors: usize = logs.iter().map(|l| l.transport_errors).sum();
    assert!(
        transport_errors > 0,
        "the devices must have met the dead server"
    );

    // Every device converged: the same heads as the server for every document.
    for (doc, am) in &mut verifier.docs {
        let mut expected = am.get_heads();
        expected.sort();
        for log in &mut logs {
            let mut heads = log.device.docs.get_mut(doc).unwrap().get_heads();
            heads.sort();
            assert_eq!(heads, expected, "{doc} on {}", log.device.actor.device);
        }
    }

    // Every acknowledged head is on the server after the restart too (automerge holds a
    // change only with all of its dependencies, so the whole acknowledged history is there).
    let acks: Vec<Ack> = progress.acks.lock().unwrap().clone();
    let distinct: BTreeMap<(DocId, Vec<ChangeHash>), bool> = acks
        .iter()
        .map(|a| ((a.doc.clone(), a.heads.clone()), a.before_crash))
        .collect();
    for ((doc, heads), before_crash) in &distinct {
        let am = verifier.docs.get_mut(doc).unwrap();
        for h in heads {
            assert!(
                am.get_change_by_hash(h).is_some(),
                "acknowledged change {h} of {doc} ({} the crash) is lost",
                if *before_crash { "before" } else { "after" }
            );
        }
    }
    // The devices' own findings that the killed server had acknowledged to them: ancestors of
    // heads it acknowledged before the crash. (Every change of a device is on the server by
    // now, acknowledged or not: the device kept it and sent it again.)
    let mut acked_before_crash = 0;
    // Per acknowledged (document, heads): the changes that are not in their history.
    let mut newer_than: BTreeMap<(DocId, Vec<ChangeHash>), HashSet<ChangeHash>> = BTreeMap::new();
    for log in &logs {
        for (doc, change) in &log.own_changes {
            let am = verifier.docs.get_mut(doc).unwrap();
            assert!(am.get_change_by_hash(change).is_some(), "{change} of {doc}");
            let covered = acks
                .iter()
                .filter(|a| a.client == log.i && a.before_crash && &a.doc == doc)
                .any(|a| {
                    !newer_than
                        .entry((a.doc.clone(), a.heads.clone()))
                        .or_insert_with(|| {
                            am.get_changes(&a.heads).iter().map(|c| c.hash()).collect()
                        })
                        .contains(change)
                });
            if covered {
                acked_before_crash += 1;
            }
        }
    }
    eprintln!("acknowledgements checked at {:?}", t0.elapsed());
    assert!(
        acked_before_crash > 0,
        "some findings were acknowledged by the server that was killed"
    );

    // Nothing lost, nothing twice: each unit holds exactly the findings recorded for it, each
    // finding its `recorded` event and its later events once, and one receipt per event.
    let mut expected: BTreeMap<DocId, BTreeSet<FindingId>> = BTreeMap::new();
    let mut extra_events: BTreeMap<FindingId, usize> = BTreeMap::new();
    for log in &logs {
        for (doc, finding) in &log.recorded {
            assert!(
                expected
                    .entry(doc.clone())
                    .or_default()
                    .insert(finding.clone())
            );
        }
        extra_events.extend(log.extra_events.clone());
    }
    let total: usize = expected.values().map(BTreeSet::len).sum();
    for doc in &docs {
        let am = verifier.docs.get(doc).unwrap().clone();
        let record = UnitDoc::from_trusted(am.clone()).read().unwrap();
        let held: BTreeSet<FindingId> = record.findings.keys().cloned().collect();
        let want = expected.get(doc).cloned().unwrap_or_default();
        assert_eq!(held, want, "findings of {doc}");
        for f in record.findings.values() {
            let ids: HashSet<_> = f.events.iter().map(|e| &e.id).collect();
            assert_eq!(ids.len(), f.events.len(), "an event twice in {}", f.id);
            let recorded = f
                .events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::Recorded { .. }))
                .count();
            assert_eq!(recorded, 1, "finding {}", f.id);
            // The devices' events, and at most one notice from the office.
            let notices = f
                .events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::NoticeIssued { .. }))
                .count();
            assert!(notices <= 1, "two notices on finding {}", f.id);
            assert_eq!(
                f.events.len() - notices,
                1 + extra_events.get(&f.id).copied().unwrap_or(0),
                "events of finding {}",
                f.id
            );
            let receipted: HashSet<_> = f.receipts.keys().collect();
            assert_eq!(receipted, ids, "receipts of finding {}", f.id);
            // The hydrated map shows one value per key; automerge would keep a second,
            // concurrent receipt of the same event as a conflict.
            let (_, findings) = am.get(automerge::ROOT, "findings").unwrap().unwrap();
            let (_, finding) = am.get(&findings, f.id.as_str()).unwrap().unwrap();
            let (_, receipts) = am.get(&finding, "receipts").unwrap().unwrap();
            for e in &f.events {
                let values = am.get_all(&receipts, e.id.as_str()).unwrap();
                assert_eq!(values.len(), 1, "receipts of event {} of {}", e.id, f.id);
            }
        }
    }

    // The case records list each finding exactly once, and every finding.
    let mut listed: Vec<(String, String)> = Vec::new();
    let mut notice_numbers: Vec<String> = Vec::new();
    loop {
        let res = verifier
            .http
            .get(format!(
                "{base}/cases?project=licheng&limit=500&offset={}",
                listed.len()
            ))
            .bearer_auth(&verifier.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let page: Vec<serde_json::Value> = res.json().await.unwrap();
        let n = page.len();
        notice_numbers.extend(
            page.iter()
                .filter_map(|c| c["notice_no"].as_str().map(str::to_owned)),
        );
        listed.extend(page.iter().map(|c| {
            (
                c["unit"].as_str().unwrap().to_owned(),
                c["finding"].as_str().unwrap().to_owned(),
            )
        }));
        if n < 500 {
            break;
        }
    }
    let distinct: BTreeSet<&(String, String)> = listed.iter().collect();
    assert_eq!(distinct.len(), listed.len(), "a case listed twice");
    let want: BTreeSet<(String, String)> = expected
        .iter()
        .flat_map(|(doc, findings)| {
            let DocId::Unit(unit) = doc else {
                unreachable!("only unit documents get findings")
            };
            findings
                .iter()
                .map(move |f| (unit.to_string(), f.to_string()))
        })
        .collect();
    assert_eq!(
        distinct.into_iter().cloned().collect::<BTreeSet<_>>(),
        want,
        "case records"
    );

    let acks = acks.len();
    let example = logs.iter().find_map(|l| l.a_transport_error.as_deref());
    eprintln!(
        "{total} findings, {acked_before_crash} acknowledged by the killed server; {acks} \
         acknowledgements checked; {transport_errors} failed requests retried (e.g. {example:?}), \
         {busy_answers} busy answers; done in {:?}",
        t0.elapsed()
    );
    if layout == Layout::Replicas {
        let office = office.unwrap();
        check_photos(&prepared, &progress).await;
        check_notice_numbers(&notice_numbers, &office);
        check_robot(&prepared.db_url, &robot, &logs).await;
        eprintln!(
            "replicas: {} photos stored, {} notices ({office:?}), {} robot messages, at {:?}",
            progress.photos.lock().unwrap().len(),
            notice_numbers.len(),
            robot.got.lock().unwrap().len(),
            t0.elapsed()
        );
    }
    drop(servers);
}

/// Every photo a server answered stored is in the bucket with its bytes, recorded once, and
/// no part of any upload is left staged.
async fn check_photos(prepared: &Prepared, progress: &Progress) {
    let photos = progress.photos.lock().unwrap().clone();
    assert!(!photos.is_empty(), "photos were uploaded");
    let store = plumbline_sync_server::store::connect(&prepared.db_url, common::clock())
        .await
        .unwrap();
    let (bucket, _) = blob_store::open(&prepared.blobs).await.unwrap();
    let distinct: BTreeSet<&BlobHash> = photos.iter().collect();
    assert_eq!(
        distinct.len(),
        photos.len(),
        "a photo answered stored twice"
    );
    for hash in distinct {
        assert!(store.blob_exists(hash).await.unwrap(), "{hash} is recorded");
        let held = bucket.get(&object_path(hash)).await.unwrap();
        let bytes = held.bytes().await.unwrap();
        assert_eq!(
            &BlobHash::of(&bytes),
            hash,
            "the bucket holds {hash}'s bytes"
        );
    }
    // A part may be left: one whose put the store finished after the replica that sent it was
    // killed, by then another had completed the photo. It can only belong to a stored photo,
    // and the sweep removes it.
    for hash in staging::staged_hashes(&*bucket).await.unwrap() {
        assert!(
            photos.contains(&hash),
            "parts of {hash}, which was never answered stored, are left staged"
        );
    }
    let uploads = Uploads::new(Durability::AcknowledgedByStore);
    uploads
        .remove_stale(&*store, &*bucket, now())
        .await
        .unwrap();
    let left = staging::staged_hashes(&*bucket).await.unwrap();
    assert!(
        left.is_empty(),
        "parts left staged after the sweep: {left:?}"
    );
}

/// The notice numbers of the case records are 1 to N, each once, N being at least the notices
/// the office was told were issued and at most those plus the requests left unanswered.
fn check_notice_numbers(numbers: &[String], office: &OfficeLog) {
    assert!(office.issued > 0, "the office issued notices: {office:?}");
    let mut taken: Vec<u32> = numbers
        .iter()
        .map(|no| no.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    taken.sort_unstable();
    let want: Vec<u32> = (1..=u32::try_from(taken.len()).unwrap()).collect();
    assert_eq!(taken, want, "notice numbers {numbers:?}");
    assert!(
        (office.issued..=office.issued + office.unanswered).contains(&taken.len()),
        "{} notices on the cases; the office: {office:?}",
        taken.len()
    );
}

/// Every request for more evidence queued one reminder for the robot, and each reminder
/// reached it once: all are delivered but those the killed replica had claimed (they wait for
/// their claim to run out, two minutes), and the robot got no message twice.
async fn check_robot(db_url: &str, robot: &common::robot::Robot, logs: &[ClientLog]) {
    let requests: usize = logs
        .iter()
        .flat_map(|l| l.extra_events.values())
        .map(|events| events / 2)
        .sum();
    assert!(requests > 0, "evidence was requested");
    let (db, connection) = tokio_postgres::connect(db_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let start = Instant::now();
    let (queued, waiting) = loop {
        let row = db
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE delivered_at IS NULL), \
                 count(*) FILTER (WHERE delivered_at IS NULL AND claimed_until IS NULL) \
                 FROM webhook_outbox WHERE kind = 'evidence_unanswered'",
                &[],
            )
            .await
            .unwrap();
        let (queued, waiting, unclaimed): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        if unclaimed == 0 && usize::try_from(queued).unwrap() == requests {
            break (queued, waiting);
        }
        assert!(
            start.elapsed() < DEADLINE,
            "{queued} reminders queued for {requests} requests, {unclaimed} not yet sent"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // One more pass of the live replicas' senders (every second) for messages they claimed.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let delivered: i64 = db
        .query_one(
            "SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NOT NULL \
             AND kind = 'evidence_unanswered'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        queued - delivered <= waiting,
        "{delivered} of {queued} delivered"
    );
    let got = robot.got.lock().unwrap().clone();
    let texts: Vec<String> = got
        .iter()
        .map(|b| b["text"]["content"].as_str().unwrap().to_owned())
        .filter(|t| t.starts_with("【补充证据未回应】"))
        .collect();
    let distinct: BTreeSet<&String> = texts.iter().collect();
    assert_eq!(
        distinct.len(),
        texts.len(),
        "a message reached the robot twice"
    );
    // The killed replica may have posted a message it never marked delivered.
    let received = i64::try_from(texts.len()).unwrap();
    assert!(
        (delivered..=delivered + waiting).contains(&received),
        "{received} reminders reached the robot, {delivered} marked delivered, {waiting} \
         claimed by the killed replica"
    );
}
