//! One inspector's whole day, end to end, through the real engine and the real server: units
//! inspected from 08:30 to 17:30 with no signal at all, findings recorded with photos from the
//! phone's camera, then at 18:00 a sync over a slow 4G uplink that drops several times.
//!
//! [`run_day`] plays the day as a [`DayPlan`] says and returns what happened ([`DayReport`]):
//! the capture of every photo (time, size, long edge), the engine's folder and memory at the
//! end of the day, and the evening's sync as the office saw it (when every record was in,
//! when the first and the last photo arrived, "evidence n/m" per unit as it rose) and as the
//! network saw it (bytes up, photo upload bytes, cuts). The day scenario runs a scaled-down
//! plan and asserts on the report; the day benchmark runs the whole day and prints it.
//!
//! The photos are made for the day: a wall with tile joints in uneven light, with sensor noise
//! and a mark that differs from photo to photo (so no two have one hash), saved as JPEG at
//! the camera's size and quality. They go through the engine's own capture path
//! ([`Engine::prepare_photo`], then [`Engine::record_defect`]), the path of the camera button.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use plumbline_app::{Engine, EngineError, NewPhoto};
use plumbline_shared::clock::Clock;
use plumbline_shared::doc::unit::NewFinding;
use plumbline_shared::event::Origin;
use plumbline_shared::ids::{BlobHash, ProjectId, UnitId};
use plumbline_shared::role::Role;
use plumbline_shared::template::{CheckItem, Room, residential};
use plumbline_shared::time::{HOUR_MS, MINUTE_MS, Timestamp};
use plumbline_sync_server::state::AppState;
use plumbline_sync_server::store::{CaseFilter, Page};

use crate::proxy::{CuttingProxy, Link};
use crate::{TestServer, anchor};

/// What the day holds and what the evening's network is like.
#[derive(Debug, Clone)]
pub struct DayPlan {
    /// Units inspected.
    pub units: usize,
    /// Findings recorded, spread over the units.
    pub findings: usize,
    /// Photos taken: one per finding, a second on the first `photos - findings` findings.
    pub photos: usize,
    /// The camera's picture size, width × height.
    pub camera: (u32, u32),
    /// The evening's uplink, in bytes per second.
    pub uplink_bytes_per_sec: u64,
    /// How many times the connection drops during the evening's sync.
    pub cuts: usize,
    /// How long the network stays down after each drop.
    pub outage: Duration,
    /// How long the phone waits before trying again after a failed sync.
    pub retry_after: Duration,
}

impl DayPlan {
    /// The day the product is sold on: 14 units, 230 findings, 310 photos from a
    /// 12-megapixel camera, then about 1 Mbit/s of uplink that drops five times.
    pub fn whole_day() -> Self {
        Self {
            units: 14,
            findings: 230,
            photos: 310,
            camera: (4_000, 3_000),
            uplink_bytes_per_sec: 125_000,
            cuts: 5,
            outage: Duration::from_secs(3),
            retry_after: Duration::from_secs(1),
        }
    }

    /// The same day, scaled down for the test command: 3 units, 20 findings, 26 photos from a
    /// 5-megapixel camera (still above the capture size, so every photo is scaled down), over
    /// 16 Mbit/s, with the same five drops.
    pub fn scaled() -> Self {
        Self {
            units: 3,
            findings: 20,
            photos: 26,
            camera: (2_592, 1_944),
            uplink_bytes_per_sec: 2_000_000,
            cuts: 5,
            outage: Duration::from_millis(300),
            retry_after: Duration::from_millis(200),
        }
    }
}

/// What happened during the day. See the module docs.
#[derive(Debug)]
pub struct DayReport {
    /// The plan the day followed.
    pub plan: DayPlan,
    /// Every photo's capture (decode, orient, scale, encode, hash), in the order taken.
    pub capture_times: Vec<Duration>,
    /// Every kept photo's size in bytes.
    pub photo_bytes: Vec<u64>,
    /// Every kept photo's long edge in pixels.
    pub long_edges: Vec<u32>,
    /// The thumbnails' bytes, all together.
    pub thumbnail_bytes: u64,
    /// The hashes of the photos taken.
    pub hashes: Vec<BlobHash>,
    /// The engine's folder at 08:30, in bytes (the project's records, synced that morning).
    pub folder_bytes_at_start: u64,
    /// The engine's folder at the end of the day, in bytes.
    pub folder_bytes: u64,
    /// Whether the engine still allowed a capture at the end of the day (free space).
    pub capture_allowed_at_end: bool,
    /// CPU time the engine spent on the day's work: every capture and every save, on all the
    /// process's threads (the server sat idle with no signal reaching it; making the photos
    /// is left out).
    pub capture_cpu: Duration,
    /// Resident memory of the process at the end of the day, and its peak so far, in bytes
    /// (the engine, plus the idle in-process server).
    pub rss_end_of_day: u64,
    /// See [`Self::rss_end_of_day`].
    pub peak_rss: u64,
    /// What a sync tried at midday, with no signal, said.
    pub midday_sync_error: String,
    /// Whether the office ever held a photo while some record was still missing.
    pub photo_before_records: bool,
    /// From the first connection to every record at the office.
    pub records_complete: Duration,
    /// From the first connection to the first photo at the office.
    pub first_photo: Duration,
    /// From the first connection to the last photo at the office.
    pub photos_complete: Duration,
    /// Per unit, the "evidence n/m" arrival counts the office saw, each change once.
    pub evidence_seen: BTreeMap<UnitId, Vec<u64>>,
    /// Findings the office holds for the day's units at the end.
    pub server_findings: usize,
    /// Photos the office's records reference for the day's units, and of those arrived.
    pub evidence_referenced: u64,
    /// See [`Self::evidence_referenced`].
    pub evidence_arrived: u64,
    /// Bytes that went up in the evening (requests of every kind, cut ones included).
    pub bytes_up: u64,
    /// Of those, photo uploads (thumbnails and full size), head and body.
    pub upload_bytes_up: u64,
    /// Photo upload requests started.
    pub upload_requests: u64,
    /// The request lines of photo uploads whose whole body reached the server, in order.
    pub uploads_through: Vec<String>,
    /// Bytes that came down in the evening.
    pub bytes_down: u64,
    /// Drops that happened.
    pub cuts_done: u64,
    /// Syncs tried in the evening, the last (successful) one included.
    pub attempts: usize,
    /// Photos whose file was gone from the phone after a sync attempt while the server did
    /// not hold them (never, if the engine keeps its word).
    pub deleted_unconfirmed: Vec<BlobHash>,
    /// Photo files still on the phone right after the evening's sync (within retention).
    pub files_kept_within_retention: usize,
    /// Photo files and thumbnails on the phone after the retention passed.
    pub files_after_retention: usize,
    /// See [`Self::files_after_retention`].
    pub thumbnails_after_retention: usize,
}

impl DayReport {
    /// The median capture time.
    pub fn capture_median(&self) -> Duration {
        let mut times = self.capture_times.clone();
        times.sort();
        times.get(times.len() / 2).copied().unwrap_or_default()
    }

    /// The photos' bytes, full size and thumbnails.
    pub fn photo_total(&self) -> u64 {
        self.photo_bytes.iter().sum::<u64>() + self.thumbnail_bytes
    }
}

impl fmt::Display for DayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MIB: f64 = 1024.0 * 1024.0;
        let p = &self.plan;
        let mut sizes = self.photo_bytes.clone();
        sizes.sort_unstable();
        let size = |q: usize| sizes.get(q * sizes.len().saturating_sub(1) / 4).copied();
        writeln!(
            f,
            "{} units, {} findings, {} photos from a {}x{} camera; evening uplink {:.2} Mbit/s, \
             {} drops of {:?}",
            p.units,
            p.findings,
            p.photos,
            p.camera.0,
            p.camera.1,
            p.uplink_bytes_per_sec as f64 * 8.0 / 1e6,
            p.cuts,
            p.outage
        )?;
        writeln!(
            f,
            "capture: median {:.0} ms per photo, engine CPU {:.1} s for the day; photos \
             {:.2}/{:.2}/{:.2} MB (min/median/max), thumbnails {:.1} MB",
            self.capture_median().as_secs_f64() * 1e3,
            self.capture_cpu.as_secs_f64(),
            size(0).unwrap_or(0) as f64 / 1e6,
            size(2).unwrap_or(0) as f64 / 1e6,
            size(4).unwrap_or(0) as f64 / 1e6,
            self.thumbnail_bytes as f64 / 1e6
        )?;
        writeln!(
            f,
            "end of day: folder {:.1} MiB ({:.1} MiB at 08:30), resident {:.1} MiB (peak {:.1} MiB), capture \
             allowed: {}",
            self.folder_bytes as f64 / MIB,
            self.folder_bytes_at_start as f64 / MIB,
            self.rss_end_of_day as f64 / MIB,
            self.peak_rss as f64 / MIB,
            self.capture_allowed_at_end
        )?;
        writeln!(
            f,
            "evening: records complete {:.1} s, first photo {:.1} s, photos complete {:.1} s \
             after the first connection; {} syncs tried, {} drops",
            self.records_complete.as_secs_f64(),
            self.first_photo.as_secs_f64(),
            self.photos_complete.as_secs_f64(),
            self.attempts,
            self.cuts_done
        )?;
        write!(
            f,
            "wire: {:.2} MB up ({:.2} MB in {} photo upload requests) for {:.2} MB of photos \
             ({:.3}x), {:.2} MB down; office: {} findings, evidence {}/{}",
            self.bytes_up as f64 / 1e6,
            self.upload_bytes_up as f64 / 1e6,
            self.upload_requests,
            self.photo_total() as f64 / 1e6,
            self.bytes_up as f64 / self.photo_total().max(1) as f64,
            self.bytes_down as f64 / 1e6,
            self.server_findings,
            self.evidence_arrived,
            self.evidence_referenced
        )
    }
}

/// How long a confirmed photo stays on the phone in the day's settings.
const RETENTION: Duration = Duration::from_secs(3_600);
/// How often the office's view is read during the evening's sync.
const WATCH_EVERY: Duration = Duration::from_millis(100);

/// 08:30 in Beijing on the scenarios' day.
fn at_china(hour: i64, minute: i64) -> Timestamp {
    Timestamp::start_of_day_cst(anchor().date_cst()).plus_ms(hour * HOUR_MS + minute * MINUTE_MS)
}

/// Plays the day of `plan` with the engine's folder in `dir`.
pub async fn run_day(plan: DayPlan, dir: &Path) -> Result<DayReport> {
    let clock = Clock::flowing_from(at_china(8, 0));
    let server = TestServer::start_with_clock(clock.clone()).await?;
    let proxy = CuttingProxy::start_link(server.addr, Link::default()).await?;

    // 08:00 at the site office: enrolled and synced with signal, then into the tower.
    let engine = Engine::open(dir, clock.clone())?;
    let code = server.code_for("wangli", Role::Inspector).await?;
    engine
        .enroll(&proxy.base_url(), &code, "wangli phone")
        .await?;
    engine.sync().await?;
    engine.set_photo_retention(RETENTION)?;
    proxy.lose_signal();

    let units: Vec<UnitId> = server
        .project
        .units()
        .take(plan.units)
        .map(|(_, u)| u.id.clone())
        .collect();
    if units.len() < plan.units {
        bail!("the demo project has only {} units", units.len());
    }
    clock.set(at_china(8, 30));
    let folder_bytes_at_start = folder_size(dir)?;
    let mut day = Capture::default();
    let step = 9 * HOUR_MS / plan.findings.max(1) as i64;
    let template = residential();
    let items: Vec<_> = template.items().collect();
    for n in 0..plan.findings {
        let unit = &units[n % units.len()];
        let (room, item) = items[(n / units.len()) % items.len()];
        let finding = defect(room, item, n + 1);
        let shots = if n < plan.photos.saturating_sub(plan.findings) {
            2
        } else {
            1
        };
        let mut photos = Vec::new();
        for _ in 0..shots {
            let source = camera_photo(plan.camera, day.hashes.len() as u64)?;
            let (started, cpu) = (Instant::now(), threads_cpu()?);
            let photo = engine.prepare_photo(source, None).await?;
            day.capture_times.push(started.elapsed());
            day.cpu += threads_cpu()?.saturating_sub(cpu);
            day.keep(&photo);
            photos.push(photo);
        }
        let cpu = threads_cpu()?;
        engine.record_defect(unit, finding, photos)?;
        day.cpu += threads_cpu()?.saturating_sub(cpu);
        if n == plan.findings / 2 {
            // Midday: the phone tries, with no signal.
            day.midday_sync_error = match engine.sync().await {
                Ok(_) => bail!("a sync with no signal succeeded"),
                Err(e) => e.to_string(),
            };
        }
        clock.advance(step);
    }
    let (rss_end_of_day, peak_rss) = (process_memory("VmRSS")?, process_memory("VmHWM")?);
    let folder_bytes = folder_size(dir)?;
    let capture_allowed_at_end = engine.storage()?.allows_capture();

    // 18:00: 4G, slow and dropping, while the phone syncs until nothing is left.
    clock.set(at_china(18, 0));
    let photo_total = day.photo_bytes.iter().sum::<u64>() + day.thumbnail_bytes;
    let cuts = (0..plan.cuts as u64)
        .map(|i| photo_total * (2 * i + 1) / (2 * plan.cuts as u64))
        .collect();
    let watcher = Watcher::start(
        server.state.clone(),
        server.project.id.clone(),
        units.clone(),
        plan.findings,
        day.hashes.clone(),
    );
    proxy.reconnect(Link {
        uplink_bytes_per_sec: Some(plan.uplink_bytes_per_sec),
        cuts,
        outage: Some(plan.outage),
    });
    let mut attempts = 0;
    let mut deleted_unconfirmed = Vec::new();
    loop {
        attempts += 1;
        let result = engine.sync().await;
        for hash in &day.hashes {
            if engine.photo_path(hash).is_none()
                && !server.state.store.blob_exists(hash).await?
                && !deleted_unconfirmed.contains(hash)
            {
                deleted_unconfirmed.push(hash.clone());
            }
        }
        match result {
            Ok(_) if engine.outbox()?.photos.is_empty() => break,
            Ok(_) => {}
            Err(EngineError::Server(e)) if e.is_transient() => {}
            Err(e) => return Err(e).context("the evening's sync failed for good"),
        }
        if attempts > 10 * plan.cuts + 10 {
            bail!("still not synced after {attempts} attempts");
        }
        tokio::time::sleep(plan.retry_after).await;
    }
    let office = watcher.finish().await?;
    let files_kept_within_retention = day
        .hashes
        .iter()
        .filter(|h| engine.photo_path(h).is_some())
        .count();

    // The next morning's sync, after the retention: full-size files go, thumbnails stay.
    clock.advance(i64::try_from(RETENTION.as_millis())? + MINUTE_MS);
    engine.sync().await?;
    let files_after_retention = day
        .hashes
        .iter()
        .filter(|h| engine.photo_path(h).is_some())
        .count();
    let thumbnails_after_retention = day
        .hashes
        .iter()
        .filter(|h| engine.thumbnail_path(h).is_some())
        .count();

    let mut server_findings = 0;
    for unit in &units {
        server_findings += server.cases_of(unit).await?.len();
    }
    let status = server
        .state
        .store
        .evidence_status(std::slice::from_ref(&server.project.id), None)
        .await?;
    Ok(DayReport {
        plan,
        capture_times: day.capture_times,
        photo_bytes: day.photo_bytes,
        long_edges: day.long_edges,
        thumbnail_bytes: day.thumbnail_bytes,
        hashes: day.hashes,
        folder_bytes_at_start,
        folder_bytes,
        capture_allowed_at_end,
        capture_cpu: day.cpu,
        rss_end_of_day,
        peak_rss,
        midday_sync_error: day.midday_sync_error,
        photo_before_records: office.photo_before_records,
        records_complete: office.records_complete,
        first_photo: office.first_photo,
        photos_complete: office.photos_complete,
        evidence_seen: office.evidence_seen,
        server_findings,
        evidence_referenced: status.referenced,
        evidence_arrived: status.arrived,
        bytes_up: proxy.bytes_up(),
        upload_bytes_up: proxy.upload_bytes_up(),
        upload_requests: proxy.upload_requests(),
        uploads_through: proxy.uploads_through(),
        bytes_down: proxy.bytes_down(),
        cuts_done: proxy.cuts_done(),
        attempts,
        deleted_unconfirmed,
        files_kept_within_retention,
        files_after_retention,
        thumbnails_after_retention,
    })
}

/// The `n`th defect of the day, found on `item` of `room` (with the item's category and
/// severity, as the checklist screen records it).
pub fn defect(room: &Room, item: &CheckItem, n: usize) -> NewFinding {
    NewFinding {
        origin: Origin::Inspection,
        round: None,
        room: room.id.clone(),
        item: item.id.clone(),
        category: item.category.clone(),
        severity: item.default_severity,
        description: format!("{}：第 {n} 处", item.zh),
    }
}

/// The photos of the day as they were captured.
#[derive(Debug, Default)]
struct Capture {
    capture_times: Vec<Duration>,
    photo_bytes: Vec<u64>,
    long_edges: Vec<u32>,
    thumbnail_bytes: u64,
    hashes: Vec<BlobHash>,
    midday_sync_error: String,
    cpu: Duration,
}

impl Capture {
    fn keep(&mut self, photo: &NewPhoto) {
        self.photo_bytes.push(photo.jpeg.len() as u64);
        self.long_edges.push(photo.width.max(photo.height));
        self.thumbnail_bytes += photo.thumbnail.len() as u64;
        self.hashes.push(BlobHash::of(&photo.jpeg));
    }
}

/// The office's view during the evening, read every [`WATCH_EVERY`] from the server's store
/// (what the case list and "evidence n/m" show).
struct Watcher {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Result<OfficeView>>,
}

/// What [`Watcher`] saw.
#[derive(Debug, Default)]
struct OfficeView {
    /// A photo was at the server while some record was not.
    photo_before_records: bool,
    records_complete: Duration,
    first_photo: Duration,
    photos_complete: Duration,
    evidence_seen: BTreeMap<UnitId, Vec<u64>>,
}

impl Watcher {
    fn start(
        state: AppState,
        project: ProjectId,
        units: Vec<UnitId>,
        findings: usize,
        photos: Vec<BlobHash>,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let started = Instant::now();
        let task = tokio::spawn(async move {
            let mut view = OfficeView::default();
            let (mut records, mut first, mut complete) = (None, None, None);
            let mut stored = std::collections::BTreeSet::new();
            loop {
                let finished = stopped.load(Ordering::SeqCst);
                // Photos first, then records: a photo seen here arrived before the records
                // counted next, so "a photo before every record" cannot hide in one look.
                for hash in &photos {
                    if !stored.contains(hash) && state.store.blob_exists(hash).await? {
                        stored.insert(hash.clone());
                    }
                }
                let mut cases = 0;
                let mut arrived = 0;
                for unit in &units {
                    let filter = CaseFilter {
                        projects: vec![project.clone()],
                        unit: Some(unit.clone()),
                        ..Default::default()
                    };
                    let page = Page {
                        offset: 0,
                        limit: 500,
                    };
                    cases += state.store.cases(&filter, page).await?.len();
                    let status = state
                        .store
                        .evidence_status(std::slice::from_ref(&project), Some(unit))
                        .await?;
                    arrived += status.arrived;
                    let seen = view.evidence_seen.entry(unit.clone()).or_default();
                    if seen.last() != Some(&status.arrived) {
                        seen.push(status.arrived);
                    }
                }
                let now = started.elapsed();
                if !stored.is_empty() && cases < findings {
                    view.photo_before_records = true;
                }
                if cases >= findings {
                    records.get_or_insert(now);
                }
                if !stored.is_empty() {
                    first.get_or_insert(now);
                }
                if stored.len() == photos.len() && arrived >= photos.len() as u64 {
                    complete.get_or_insert(now);
                }
                if finished {
                    break;
                }
                tokio::time::sleep(WATCH_EVERY).await;
            }
            let missing = |what: &str| anyhow::anyhow!("the office never saw {what}");
            view.records_complete = records.ok_or_else(|| missing("every record"))?;
            view.first_photo = first.ok_or_else(|| missing("a photo"))?;
            view.photos_complete = complete.ok_or_else(|| missing("every photo"))?;
            Ok(view)
        });
        Self { stop, task }
    }

    /// Takes a last look and returns what was seen.
    async fn finish(self) -> Result<OfficeView> {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.context("the office's watcher stopped")?
    }
}

/// A photo from a camera of `width` × `height`: a tiled wall in uneven light, sensor noise,
/// and a dark mark whose place depends on `seed`; JPEG at quality 92, as phones save them.
///
/// Rows are copied from a few noisy rows made once, each at its own brightness and shifted by
/// whole tiles (so the joints line up) by an amount that varies from row to row: the picture
/// is made at memory speed, not pixel by pixel, so that the day's photos cost little to make
/// in an unoptimised test build.
pub fn camera_photo((width, height): (u32, u32), seed: u64) -> Result<Vec<u8>> {
    const LEVELS: usize = 16;
    const SHIFTS: usize = 8;
    let (w, h) = (width as usize, height as usize);
    let tile = (w / 10).max(8);
    let mut noise = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        noise
    };
    let row_len = w + SHIFTS * tile;
    let rows: Vec<Vec<u8>> = (0..LEVELS)
        .map(|level| {
            let light = 110 + (level * 70 / LEVELS) as i32;
            let mut row = vec![0u8; row_len * 3];
            for (x, px) in row.chunks_exact_mut(3).enumerate() {
                let base = if x % tile < 4 { light - 45 } else { light };
                let r = next();
                let grain = |shift: u32| ((r >> shift) & 31) as i32 - 16;
                px[0] = (base + grain(0)).clamp(0, 255) as u8;
                px[1] = (base - 8 + grain(8)).clamp(0, 255) as u8;
                px[2] = (base - 20 + grain(16)).clamp(0, 255) as u8;
            }
            row
        })
        .collect();
    let joint = vec![70u8; w * 3];
    let mark = 240.min(w / 4).min(h / 4);
    let mark_x = (seed as usize).wrapping_mul(7_919) % (w - mark);
    let mark_y = (seed as usize).wrapping_mul(104_729) % (h - mark);
    let mut pixels = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        if y % tile < 4 {
            pixels.extend_from_slice(&joint);
        } else {
            let shift = (next() % SHIFTS as u64) as usize * tile * 3;
            pixels.extend_from_slice(&rows[y * LEVELS / h][shift..shift + w * 3]);
        }
        if (mark_y..mark_y + mark).contains(&y) {
            let start = (y * w + mark_x) * 3;
            pixels[start..start + mark * 3].fill(40);
        }
    }
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 92)
        .encode(
            &pixels,
            u16::try_from(width)?,
            u16::try_from(height)?,
            jpeg_encoder::ColorType::Rgb,
        )
        .context("encoding the camera photo")?;
    Ok(jpeg)
}

/// Bytes of every file under `dir`.
pub fn folder_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            folder_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// CPU time the process's live threads have run so far, to the nanosecond (Linux: the first
/// field of each `/proc/self/task/<tid>/schedstat`). Taken before and after one piece of work,
/// it gives that work's CPU time on every thread it used (the capture runs on a blocking
/// thread); `/proc/self/stat` counts only in ticks of 10 ms.
pub fn threads_cpu() -> Result<Duration> {
    let mut ns = 0u64;
    for task in std::fs::read_dir("/proc/self/task").context("reading /proc/self/task")? {
        // A thread that ended since the listing has no file any more: it runs no more either.
        let Ok(text) = std::fs::read_to_string(task?.path().join("schedstat")) else {
            continue;
        };
        ns += text
            .split_whitespace()
            .next()
            .and_then(|t| t.parse::<u64>().ok())
            .context("an unexpected schedstat")?;
    }
    Ok(Duration::from_nanos(ns))
}

/// A memory field of `/proc/self/status` (`VmRSS`, `VmHWM`), in bytes.
pub fn process_memory(field: &str) -> Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .with_context(|| format!("no {field} in /proc/self/status"))?;
    Ok(kib * 1024)
}
