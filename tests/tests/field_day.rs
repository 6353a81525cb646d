//! A whole day in the field, scaled down to run in the test command: findings and photos
//! recorded with no signal, then a sync over a slow uplink that drops five times (see
//! `plumbline_tests::field_day`; the whole day, 230 findings and 310 photos at 1 Mbit/s, is
//! the `day/` benchmark), and a disk that fills while a photo is saved.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use plumbline_app::{Engine, EngineError};
use plumbline_media::capture::{StoragePolicy, StorageStatus};
use plumbline_shared::api::MAX_CHUNK_BYTES;
use plumbline_shared::ids::BlobHash;
use plumbline_shared::role::Role;
use plumbline_shared::template::residential;
use plumbline_tests::TestServer;
use plumbline_tests::field_day::{DayPlan, camera_photo, defect, run_day};

/// What one photo upload request may add to its body: the request line and headers.
const REQUEST_HEAD_BYTES: u64 = 1_024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_offline_then_a_dropping_uplink_delivers_every_record_first_and_every_photo_once() {
    let dir = tempfile::tempdir().unwrap();
    let plan = DayPlan::scaled();
    // The figures, shown with any failure below.
    let day = &run_day(plan.clone(), dir.path()).await.unwrap();

    // Every photo kept at the capture policy: long edge 2,048 px, and the day within the
    // phone's storage policy.
    assert_eq!(day.capture_times.len(), plan.photos);
    assert!(
        day.long_edges.iter().all(|&e| e == 2_048),
        "{:?}",
        day.long_edges
    );
    let policy = StoragePolicy::default();
    assert!(
        day.photo_bytes.iter().all(|&b| b < policy.bytes_per_photo),
        "{:?}",
        day.photo_bytes
    );
    assert!(
        day.folder_bytes - day.folder_bytes_at_start <= plan.photos as u64 * policy.bytes_per_photo,
        "the day took more room than the storage policy counts per photo:\n{day}"
    );
    assert!(day.capture_allowed_at_end);
    assert!(
        day.midday_sync_error.contains("cannot be reached"),
        "{}",
        day.midday_sync_error
    );
    assert_eq!(
        day.hashes.iter().collect::<BTreeSet<_>>().len(),
        plan.photos,
        "every photo is its own"
    );

    // Every record at the office before any photo, well within two minutes.
    assert!(
        !day.photo_before_records && day.records_complete <= day.first_photo,
        "every record reaches the office before any photo:\n{day}"
    );
    assert!(day.records_complete < Duration::from_secs(120), "{day}");
    assert!(day.first_photo <= day.photos_complete, "{day}");
    // "Evidence n/m" rose per unit, from nothing to every photo of the unit.
    assert_eq!(day.evidence_seen.len(), plan.units);
    for (unit, seen) in &day.evidence_seen {
        assert!(seen.is_sorted(), "{unit}: {seen:?}");
        assert!(
            seen.len() >= 2 && seen[0] == 0,
            "{unit} went from none to all: {seen:?}"
        );
    }
    assert_eq!(
        day.evidence_seen
            .values()
            .map(|s| s.last().unwrap())
            .sum::<u64>(),
        plan.photos as u64
    );

    // No duplicates: each finding and photo once at the office.
    assert_eq!(day.server_findings, plan.findings, "{day}");
    assert_eq!(
        (day.evidence_referenced, day.evidence_arrived),
        (plan.photos as u64, plan.photos as u64),
        "{day}"
    );

    // The uplink dropped five times, and no finished chunk went twice: no upload whose body
    // reached the server was sent again, and photo uploads sent at most the photos' bytes, one
    // chunk per drop, and the requests' heads.
    let mut through = day.uploads_through.clone();
    through.sort();
    let before = through.len();
    through.dedup();
    assert_eq!(through.len(), before, "a finished chunk went twice:\n{day}");
    assert!(
        through.len() >= plan.photos * 2,
        "every photo and thumbnail went through"
    );
    assert_eq!(day.cuts_done, plan.cuts as u64, "{day}");
    assert!(day.attempts > plan.cuts, "{day}");
    let photo_bytes = day.photo_total();
    let bound = photo_bytes
        + day.cuts_done * MAX_CHUNK_BYTES as u64
        + day.upload_requests * REQUEST_HEAD_BYTES;
    assert!(
        (photo_bytes..=bound).contains(&day.upload_bytes_up),
        "photo uploads sent more than the photos, a chunk per drop and the heads:\n{day}"
    );

    // No photo file was gone from the phone after any attempt while the server did not hold
    // it; every file stayed within the retention and went after it; the thumbnails stay.
    assert!(
        day.deleted_unconfirmed.is_empty(),
        "{:?}",
        day.deleted_unconfirmed
    );
    assert_eq!(day.files_kept_within_retention, plan.photos);
    assert_eq!(day.files_after_retention, 0);
    assert_eq!(day.thumbnails_after_retention, plan.photos);
}

/// Set in the child process that runs on a small disk of its own: that disk's folder.
const SMALL_DISK_ENV: &str = "PLUMBLINE_TEST_SMALL_DISK";
/// The small disk: below the 500 MiB warning, above the 50 MiB reserve.
const SMALL_DISK: &str = "64m";
const FULL_DISK_TEST: &str =
    "field_day::a_disk_that_fills_while_a_photo_is_saved_refuses_it_and_damages_nothing";

/// The phone's disk fills while a photo is being saved (another app's video, say): the
/// capture is refused with words that say what to do, nothing of it is kept, and nothing
/// saved before is damaged; with room again, the day's work syncs.
///
/// A full disk cannot be faked honestly, so the test runs itself again in a child process
/// with a 64 MiB tmpfs of its own, mounted in a private mount namespace (`unshare`, from
/// util-linux; as an unprivileged user too, where user namespaces are allowed).
#[tokio::test]
async fn a_disk_that_fills_while_a_photo_is_saved_refuses_it_and_damages_nothing() {
    match std::env::var_os(SMALL_DISK_ENV) {
        Some(disk) => on_a_small_disk(Path::new(&disk)).await,
        None => run_again_on_a_small_disk(),
    }
}

fn run_again_on_a_small_disk() {
    let disk = tempfile::tempdir().unwrap();
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(format!(
            r#"mount -t tmpfs -o size={SMALL_DISK} plumbline-small-disk "$1" && shift && exec "$@""#
        ))
        .arg("sh")
        .arg(disk.path())
        .arg(std::env::current_exe().unwrap())
        .args([FULL_DISK_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(SMALL_DISK_ENV, disk.path())
        .output()
        .expect("running unshare (Debian package util-linux)");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "the test on a small disk failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

async fn on_a_small_disk(disk: &Path) {
    let server = TestServer::start().await.unwrap();
    let dir = disk.join("phone");
    let mut phone = Engine::open(&dir, server.clock.clone()).unwrap();
    let code = server.code_for("wangli", Role::Inspector).await.unwrap();
    phone
        .enroll(&server.base_url(), &code, "wangli phone")
        .await
        .unwrap();
    phone.sync().await.unwrap();
    let unit = server.project.units().next().unwrap().1.id.clone();

    // Before the camera opens: a warning, while there is room for some more photos.
    let status = phone.storage().unwrap();
    assert!(
        matches!(status, StorageStatus::Low { photos_left, .. } if photos_left >= 4),
        "{status:?}"
    );
    assert!(status.to_string().contains("running low"), "{status}");

    // The morning's work: three findings with a photo each.
    let template = residential();
    let items: Vec<_> = template.items().take(4).collect();
    let finding = |n: usize| defect(items[n].0, items[n].1, n + 1);
    let mut saved = Vec::new();
    for n in 0..3 {
        let photo = phone
            .prepare_photo(camera_photo((2_400, 1_800), n as u64).unwrap(), None)
            .await
            .unwrap();
        saved.push(BlobHash::of(&photo.jpeg));
        phone.record_defect(&unit, finding(n), vec![photo]).unwrap();
    }
    let outbox = phone.outbox().unwrap();

    // Two more photos are taken; while the first is saved, the disk fills.
    let mut drafts = Vec::new();
    for seed in [3, 4] {
        let draft = phone
            .prepare_photo(camera_photo((2_400, 1_800), seed).unwrap(), None)
            .await
            .unwrap();
        drafts.push((BlobHash::of(&draft.jpeg), draft));
    }
    let (second_hash, second) = drafts.pop().unwrap();
    let (first_hash, first) = drafts.pop().unwrap();
    let filler = disk.join("video.mp4");
    fill(&filler);
    let err = phone
        .record_defect(&unit, finding(3), vec![first])
        .unwrap_err();
    assert!(matches!(err, EngineError::StorageFull { .. }), "{err:?}");
    assert!(err.to_string().contains("free some space"), "{err}");
    // The other app frees just enough for the second photo's picture, not its thumbnail: the
    // picture is written and renamed into place, the thumbnail fails, and the picture goes.
    let room = (second.jpeg.len() as u64).div_ceil(4_096) * 4_096;
    let video = std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap();
    video
        .set_len(video.metadata().unwrap().len() - room)
        .unwrap();
    let err = phone
        .record_defect(&unit, finding(3), vec![second])
        .unwrap_err();
    assert!(matches!(err, EngineError::StorageFull { .. }), "{err:?}");
    for hash in [&first_hash, &second_hash] {
        assert!(phone.photo_path(hash).is_none(), "{hash} kept");
        assert!(
            phone.thumbnail_path(hash).is_none(),
            "{hash}'s thumbnail kept"
        );
    }

    // Nothing of them kept, nothing before them damaged, no half-written file left.
    assert_eq!(phone.outbox().unwrap(), outbox);
    assert_eq!(phone.unit(&unit).unwrap().findings.len(), 3);
    for hash in &saved {
        let file = std::fs::read(phone.photo_path(hash).unwrap()).unwrap();
        assert_eq!(&BlobHash::of(&file), hash);
    }
    let leftovers: Vec<_> = walk(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The camera now refuses before it opens.
    let err = phone
        .prepare_photo(camera_photo((2_400, 1_800), 5).unwrap(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::StorageFull { .. }), "{err:?}");

    // The app restarts on the full disk and still holds the morning.
    drop(phone);
    phone = Engine::open(&dir, server.clock.clone()).unwrap();
    assert_eq!(phone.unit(&unit).unwrap().findings.len(), 3);

    // Room again: the morning reaches the office, photos and all.
    std::fs::remove_file(&filler).unwrap();
    phone.sync().await.unwrap();
    assert_eq!(server.cases_of(&unit).await.unwrap().len(), 3);
    for hash in &saved {
        assert!(server.state.store.blob_exists(hash).await.unwrap());
    }
}

/// Writes zeros to `path` until the disk is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    for block in [1 << 20, 4 << 10, 1] {
        let zeros = vec![0u8; block];
        loop {
            match file.write_all(&zeros) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
