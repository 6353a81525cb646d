//! Crash test of the real binary: 20 devices sync concurrently, the server is killed with
//! SIGKILL in the middle of their traffic and restarted on the same data folder, and then:
//!
//! - every change the killed server acknowledged is on disk, read before any device could send
//!   it again (a device still holds its changes, so a resend would hide a lost one), and every
//!   change acknowledged before or after the crash is in the documents at the end,
//! - every device converges, after retrying, to exactly the server's documents,
//! - nothing is duplicated: each finding once in its unit document and once in the case
//!   records, each event once, each event with exactly one server receipt.
//!
//! The server is a child process so that the kill is a real crash: no destructor, no graceful
//! shutdown, no flush runs. Nothing here depends on exact timing: the kill waits until enough
//! work was acknowledged, and every later step waits for a condition, with a deadline.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
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
use plumbline_shared::ids::{FindingId, UnitId, UserId};
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_sync_server::config::Config;
use plumbline_sync_server::store::{Membership, NewUser};
use plumbline_sync_server::{account_admin, build_state, setup};
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

/// Writes the demo project, one inspector per device and one enrollment code per device into
/// `<dir>/data`, in process, before any server runs. The state is dropped on return; its
/// writer thread then closes the database (SQLite allows a second process on it meanwhile).
/// Users get no password (nothing here signs in with one, and hashing 21 passwords with argon2
/// in a debug build would take most of the test's time).
async fn prepare(dir: &Path) -> (Vec<UnitId>, Vec<String>) {
    let config = Config::for_data_dir(&dir.join("data"), "127.0.0.1:0".parse().unwrap()).unwrap();
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
    let units = project.units().map(|(_, u)| u.id.clone()).collect();
    (units, codes)
}

/// The login of device `i`; device [`CLIENTS`] is the verifier, enrolled after the crash.
fn login(i: usize) -> UserId {
    UserId::new(format!("inspector{i:02}")).unwrap()
}

fn now() -> Timestamp {
    common::now()
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
            let before_crash = !progress.restarted.load(Ordering::SeqCst);
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
    /// Set just before the second server process starts.
    restarted: AtomicBool,
    /// Devices that completed a sync with the restarted server.
    synced_after_restart: AtomicUsize,
    /// Devices stop producing work.
    stop: AtomicBool,
    /// Every acknowledgement any device received.
    acks: Mutex<Vec<Ack>>,
}

/// What one device did.
struct ClientLog {
    /// Its index.
    i: usize,
    device: Device,
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

/// One device: enrolls, syncs, then records findings and syncs in a loop until told to stop,
/// retrying after every failure; finally syncs until a sync completes cleanly.
async fn client(
    i: usize,
    base: String,
    code: String,
    own: Vec<DocId>,
    shared: Vec<DocId>,
    progress: Arc<Progress>,
) -> ClientLog {
    let device = Device::enroll(
        &base,
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
            let finding = unit.record_finding(&actor, now(), leak(n)).unwrap();
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
                    now(),
                    &edit_finding,
                    FieldEdit::Severity(Severity::S2),
                )
                .unwrap();
                unit.append_event(
                    &actor,
                    now(),
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
        let restarted = progress.restarted.load(Ordering::SeqCst);
        match try_sync(&mut log.device, log.i, &progress).await {
            Ok(outcome) => {
                assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
                new_work = true;
                progress.acked_work.fetch_add(1, Ordering::SeqCst);
                if restarted && !counted_restart {
                    counted_restart = true;
                    progress.synced_after_restart.fetch_add(1, Ordering::SeqCst);
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

fn note_error(log: &mut ClientLog, e: SyncError) {
    match e {
        SyncError::Transport(message) => {
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
        match try_sync(&mut log.device, log.i, progress).await {
            Ok(outcome) => {
                assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
                return;
            }
            Err(e) => note_error(log, e),
        }
        assert!(start.elapsed() < DEADLINE, "a device never synced again");
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

/// Opens the data folder of the killed server in process, as the restarted server will (SQLite
/// recovers its write-ahead log on that first open), and checks that every head in `acks` is
/// stored, and that each document's stored heads are those of its stored changes (changes and
/// heads are written in one transaction). Returns how many acknowledgements were checked.
async fn check_stored(dir: &Path, acks: &[Ack]) -> usize {
    let config = Config::for_data_dir(&dir.join("data"), "127.0.0.1:0".parse().unwrap()).unwrap();
    let store = plumbline_sync_server::store::connect(&config.db.url, common::clock())
        .await
        .unwrap();
    assert!(acks.iter().all(|a| a.before_crash));
    // Most acknowledgements repeat heads already acknowledged (documents nobody changed).
    let distinct: BTreeSet<(&DocId, &Vec<ChangeHash>)> =
        acks.iter().map(|a| (&a.doc, &a.heads)).collect();
    let mut docs: BTreeMap<DocId, AutoCommit> = BTreeMap::new();
    for (doc, acked) in distinct {
        if !docs.contains_key(doc) {
            let stored = store.load_doc(doc).await.unwrap().unwrap();
            let mut am = match &stored.snapshot {
                Some(bytes) => AutoCommit::load(bytes).unwrap(),
                None => AutoCommit::new(),
            };
            for change in &stored.changes {
                am.load_incremental(change).unwrap();
            }
            let mut heads = store.doc_heads(doc).await.unwrap().unwrap();
            heads.sort();
            let mut held = am.get_heads();
            held.sort();
            assert_eq!(heads, held, "stored heads of {doc}");
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
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (units, codes) = prepare(dir.path()).await;
    let addr = free_addr();
    let base = format!("http://{addr}/api/v1");
    let server = ServerProcess::serve(dir.path(), addr, "server-1.log").await;
    eprintln!("prepared and started in {:?}", t0.elapsed());

    // Units 0..4 are written by every device; then each device has units of its own.
    let docs: Vec<DocId> = units.iter().cloned().map(DocId::Unit).collect();
    let shared: Vec<DocId> = docs[..SHARED_UNITS].to_vec();
    assert!(SHARED_UNITS + CLIENTS * OWN_UNITS <= docs.len());
    let progress = Arc::new(Progress::default());
    let mut tasks = Vec::new();
    for (i, code) in codes[..CLIENTS].iter().enumerate() {
        let first = SHARED_UNITS + i * OWN_UNITS;
        tasks.push(tokio::spawn(client(
            i,
            base.clone(),
            code.clone(),
            docs[first..first + OWN_UNITS].to_vec(),
            shared.clone(),
            progress.clone(),
        )));
    }

    wait_for("every device enrolled and synced", &mut tasks, || {
        progress.ready.load(Ordering::SeqCst) == CLIENTS
    })
    .await;
    eprintln!("{CLIENTS} devices synced in {:?}", t0.elapsed());
    wait_for("work acknowledged before the crash", &mut tasks, || {
        progress.acked_work.load(Ordering::SeqCst) >= ACKED_BEFORE_KILL
    })
    .await;
    // The devices never pause, so the kill lands while syncs are in flight.
    server.crash();
    eprintln!(
        "killed after {} acknowledged syncs, at {:?}",
        progress.acked_work.load(Ordering::SeqCst),
        t0.elapsed()
    );
    tokio::time::sleep(DOWN_FOR).await;
    // Before any device can send anything again (which would hide a lost change behind its
    // copy), read what the killed server left on disk.
    let before: Vec<Ack> = progress.acks.lock().unwrap().clone();
    let checked = check_stored(dir.path(), &before).await;
    eprintln!(
        "{checked} acknowledgements of the killed server found on disk, at {:?}",
        t0.elapsed()
    );
    progress.restarted.store(true, Ordering::SeqCst);
    let server = ServerProcess::serve(dir.path(), addr, "server-2.log").await;
    eprintln!("restarted at {:?}", t0.elapsed());

    wait_for(
        "every device synced with the restarted server",
        &mut tasks,
        || progress.synced_after_restart.load(Ordering::SeqCst) == CLIENTS,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    progress.stop.store(true, Ordering::SeqCst);
    let mut logs = Vec::new();
    for task in tasks {
        logs.push(task.await.unwrap());
    }
    eprintln!("devices stopped at {:?}", t0.elapsed());

    // Nobody writes any more: one more sync each brings everyone everything. A sync that
    // ends with the manifest saying "in sync" proves it.
    for log in &mut logs {
        let start = Instant::now();
        loop {
            let outcome = try_sync(&mut log.device, log.i, &progress).await.unwrap();
            assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
            if outcome.in_sync {
                break;
            }
            assert!(start.elapsed() < DEADLINE, "a device does not converge");
        }
    }

    // A device enrolled after the crash reads what the restarted server holds.
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

    // No error other than a lost connection, ever.
    let status_errors: Vec<_> = logs.iter().flat_map(|l| &l.status_errors).collect();
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
            assert_eq!(
                f.events.len(),
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
         acknowledgements checked; {transport_errors} failed requests retried (e.g. {example:?}); \
         done in {:?}",
        t0.elapsed()
    );
    drop(server);
}
