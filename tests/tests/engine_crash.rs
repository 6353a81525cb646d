//! The device engine killed (SIGKILL) at random moments, in a process of its own
//! (`engine-worker`): during capture, nothing the engine reported saved is missing after a
//! restart; during upload, uploads resume after a restart and nothing reaches the server twice.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use plumbline_app::Engine;
use plumbline_app::local_records::UploadState;
use plumbline_shared::ids::{BlobHash, FindingId};
use plumbline_shared::role::Role;
use plumbline_tests::TestServer;

/// Kill rounds per test.
const ROUNDS: usize = 4;

/// A small deterministic generator; the seed is printed so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn seed() -> u64 {
    let seed = std::env::var("PLUMBLINE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| (u64::from(std::process::id()) * 2_654_435_761) | 1);
    eprintln!("crash test seed: {seed} (set PLUMBLINE_CRASH_SEED to replay)");
    seed
}

/// Runs the worker until it has printed `lines` lines (or `wait` passed), then kills it.
/// Returns what it printed.
fn run_and_kill(args: &[&str], lines: usize, wait: Duration) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_engine-worker"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    let deadline = Instant::now() + wait;
    while out.len() < lines && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(20)) {
            out.push(line);
        }
    }
    child.kill().unwrap(); // SIGKILL: no destructor, no flush
    child.wait().unwrap();
    // Lines printed before the kill landed are saved too.
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
        out.push(line);
    }
    out
}

async fn enrolled_engine_dir(server: &TestServer) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), server.clock.clone()).unwrap();
    let code = server.code_for("wangli", Role::Inspector).await.unwrap();
    engine
        .enroll(&server.base_url(), &code, "wangli phone")
        .await
        .unwrap();
    engine.sync().await.unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_capture_loses_nothing_it_reported_saved() {
    let server = TestServer::start().await.unwrap();
    let dir = enrolled_engine_dir(&server).await;
    let unit = server.project.units().nth(20).unwrap().1.id.clone();
    let mut rng = Rng(seed());
    let mut saved_findings: Vec<FindingId> = Vec::new();
    let mut saved_photos: Vec<BlobHash> = Vec::new();
    for _ in 0..ROUNDS {
        let lines = 1 + rng.below(12) as usize;
        let dir_arg = dir.path().to_str().unwrap().to_owned();
        let printed = tokio::task::spawn_blocking({
            let unit = unit.to_string();
            move || {
                run_and_kill(
                    &["capture", &dir_arg, &unit],
                    lines,
                    Duration::from_secs(30),
                )
            }
        })
        .await
        .unwrap();
        for line in printed {
            if let Some(id) = line.strip_prefix("saved finding ") {
                saved_findings.push(id.parse().unwrap());
            } else if let Some(hash) = line.strip_prefix("saved photo ") {
                saved_photos.push(hash.parse().unwrap());
            }
        }
        // After each crash, everything reported saved is there.
        let engine = Engine::open(dir.path(), server.clock.clone()).unwrap();
        let record = engine.unit(&unit).unwrap();
        for f in &saved_findings {
            assert!(
                record.findings.contains_key(f),
                "finding {f} was reported saved"
            );
        }
        for h in &saved_photos {
            let path = engine.photo_path(h).expect("the photo file is there");
            assert_eq!(&BlobHash::of(&std::fs::read(path).unwrap()), h, "and whole");
            assert!(record.findings.values().any(|f| f.evidence.contains_key(h)));
        }
    }
    assert!(!saved_findings.is_empty());

    // Everything syncs, once.
    let engine = Engine::open(dir.path(), server.clock.clone()).unwrap();
    engine.sync().await.unwrap();
    let outbox = engine.outbox().unwrap();
    assert!(outbox.is_empty(), "{outbox:?}");
    let local = engine.unit(&unit).unwrap().findings.len();
    let cases = server.cases_of(&unit).await.unwrap();
    assert_eq!(cases.len(), local, "each finding once in the case records");
    for h in &saved_photos {
        assert!(server.state.store.blob_exists(h).await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_upload_resumes_and_duplicates_nothing() {
    let server = TestServer::start().await.unwrap();
    let dir = enrolled_engine_dir(&server).await;
    let unit = server.project.units().nth(21).unwrap().1.id.clone();
    // Work to upload: findings with photos, captured by a worker killed after 16 saves.
    let dir_arg = dir.path().to_str().unwrap().to_owned();
    let unit_arg = unit.to_string();
    tokio::task::spawn_blocking(move || {
        run_and_kill(
            &["capture", &dir_arg, &unit_arg],
            16,
            Duration::from_secs(30),
        )
    })
    .await
    .unwrap();

    let mut rng = Rng(seed());
    for _ in 0..ROUNDS {
        let dir_arg = dir.path().to_str().unwrap().to_owned();
        // Kill after a random delay, mostly inside the first sync.
        let wait = Duration::from_millis(20 + rng.below(400));
        tokio::task::spawn_blocking(move || run_and_kill(&["sync", &dir_arg], 1, wait))
            .await
            .unwrap();
        let engine = Engine::open(dir.path(), server.clock.clone()).unwrap();
        for p in engine.outbox().unwrap().photos {
            assert_ne!(p.state, UploadState::Failed, "{p:?}");
        }
    }

    let engine = Engine::open(dir.path(), server.clock.clone()).unwrap();
    engine.sync().await.unwrap();
    assert!(engine.outbox().unwrap().is_empty());
    let record = engine.unit(&unit).unwrap();
    assert_eq!(
        server.cases_of(&unit).await.unwrap().len(),
        record.findings.len()
    );
    for f in record.findings.values() {
        for h in f.evidence.keys() {
            assert!(server.state.store.blob_exists(h).await.unwrap());
        }
    }
}
