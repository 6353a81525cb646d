//! The sync workloads of a real handover, against the release server binary over loopback HTTP.
//!
//! A benchmark, not a test: it prints the **median** (and the range) of each measurement over
//! several runs, and `cargo xtask bench` prints them again after criterion's. The figures, the
//! machine and the command are recorded in `docs/benchmarks.md`.
//!
//! The documents: one tower of 240 unit documents, each with 80 checklist results and 12
//! findings with 2 evidence references and the server's receipts, as after a pre-handover
//! inspection ([`build_unit`]). The workloads:
//!
//! - **a** `sync/a_first_sync_240_units`: a fresh device's first sync of the tower (241
//!   documents with the project's). The first run after the server started is reported on its
//!   own (cold cache).
//! - **b** `sync/b_one_field_edit`: a device changes one field of one finding and syncs: bytes
//!   on the wire against the size of the automerge change. Measured with the reference client
//!   (`tests/common`: summary, then every entry, then exchanges) and with a client that pushes
//!   the documents it knows it edited and then confirms with a summary ([`push_then_confirm`]).
//! - **c** `sync/c_50_devices_20_units_each`: 50 devices, each with 20 edited units (a new
//!   finding with two photos and its defect result), sync at once: total time, and the
//!   server's peak memory. Each run on a fresh server, after the 50 devices' first syncs
//!   ([`fifty_devices`]). The same on PostgreSQL, `sync/c_on_postgres_1_replica` and
//!   `sync/c_on_postgres_3_replicas` (device *i* syncs with replica *i* mod 3; memory and CPU
//!   are the replicas' sum), on a throwaway cluster with `fsync` and `synchronous_commit` on,
//!   the durability SQLite's `synchronous = FULL` gives.
//! - **d** `sync/d_1000_unchanged_docs`: a device holding 1,000 unit documents syncs with
//!   nothing changed.
//! - `sync/reconnect_240_docs_one_changed`: a device holding the tower syncs after another
//!   device changed one field of one unit (automerge-repo's "240 documents, one changed, on
//!   reconnect").
//!
//! The server runs as its own process (the `plumbline-sync-server` binary cargo builds next to
//! this benchmark, with the same profile), so its peak memory (`VmHWM`) and CPU time are its
//! alone and its costs are those of the real thing: its configuration defaults, its logging,
//! SQLite with `synchronous = FULL`. Its data folder is prepared in-process with the library
//! first. The clients run in this process on a multi-threaded runtime, on the same machine, so
//! on a small machine they compete with the server for cores (their CPU time is reported).
//!
//! Bytes: "payload" is the request and response bodies (what the bar counts as payload);
//! "HTTP" is everything on the TCP stream, headers included, counted by a loopback proxy in
//! front of the server ([`Proxy`]); TLS and TCP/IP framing are not counted.
//!
//! Arguments: names containing any positional argument run (`cargo xtask bench -- sync/b`),
//! like criterion's filter; `--list` lists the workloads. With `SYNC_WORKLOADS_JSON` set, the
//! results are also written there as JSON for `cargo xtask bench`; `SYNC_WORKLOADS_SERVER_LOG`
//! gives the server another `RUST_LOG` filter than its default.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use automerge::AutoCommit;
use automerge::sync::SyncDoc;
use chrono::NaiveDate;
use common::Device;
use plumbline_shared::api::{
    API_VERSION, DocMessage, ManifestResponse, SyncRequest, SyncResponse, from_postcard,
    to_postcard,
};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef};
use plumbline_shared::doc::round::{Outcome, RoundKind};
use plumbline_shared::doc::unit::{FieldEdit, NewFinding, UnitDoc};
use plumbline_shared::event::{Origin, Receipt};
use plumbline_shared::ids::{BlobHash, DeviceId, FindingId, RoundId, UserId};
use plumbline_shared::project::Project;
use plumbline_shared::projection::{UnitProjection, project_unit};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::template::{CheckItem, Room, residential};
use plumbline_shared::time::{HOUR_MS, Timestamp};
use plumbline_shared::workflow::WorkflowSettings;
use plumbline_sync_server::config::Config;
use plumbline_sync_server::doc_cache::new_changes;
use plumbline_sync_server::store::{DocWrite, Membership, NewUser};
use plumbline_sync_server::{account_admin, build_state, setup};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The tower: 30 floors of 8 units.
const TOWER_FLOORS: u32 = 30;
const TOWER_UNITS_PER_FLOOR: u32 = 8;
/// Check items marked per unit (of the residential template's 87).
const CHECK_RESULTS: usize = 80;
/// Findings per unit, each with [`EVIDENCE_PER_FINDING`] photos.
const FINDINGS: usize = 12;
const EVIDENCE_PER_FINDING: usize = 2;
/// The estate of workload d: 5 buildings of 25 floors of 8 units, 1,000 unit documents.
const ESTATE_BUILDINGS: u32 = 5;
const ESTATE_FLOORS: u32 = 25;
const ESTATE_UNITS_PER_FLOOR: u32 = 8;
/// Workload c.
const DEVICES: usize = 50;
const UNITS_PER_DEVICE: usize = 20;

/// Runs per workload. Each run is one complete sync (one device's; for c, all 50 at once on a
/// fresh server); the median over them is reported. Few runs for c: each takes about a minute.
const REPS_FIRST_SYNC: usize = 6;
const REPS_FIELD_EDIT: usize = 9;
const REPS_RECONNECT: usize = 7;
const REPS_UNCHANGED: usize = 9;
const REPS_FIFTY: usize = 3;

/// The day of the fixture's inspection (fixed, so that runs on different days build the same
/// documents, apart from their random ids).
const INSPECTION_DAY: (i32, u32, u32) = (2026, 11, 20);
/// The fixed id of the benchmark server, so that documents built once (with the server's
/// receipts) fit every data folder prepared from them.
const SERVER_ID: &str = "server-bench";

const FIRST_SYNC: &str = "sync/a_first_sync_240_units";
const FIELD_EDIT: &str = "sync/b_one_field_edit";
const FIFTY: &str = "sync/c_50_devices_20_units_each";
const FIFTY_PG: &str = "sync/c_on_postgres_1_replica";
const FIFTY_PG3: &str = "sync/c_on_postgres_3_replicas";
const UNCHANGED: &str = "sync/d_1000_unchanged_docs";
const RECONNECT: &str = "sync/reconnect_240_docs_one_changed";
const WORKLOADS: &[&str] = &[
    FIRST_SYNC, FIELD_EDIT, FIFTY, FIFTY_PG, FIFTY_PG3, UNCHANGED, RECONNECT,
];

/// Where workload c keeps its records.
#[derive(Debug, Clone, Copy)]
enum Backend {
    /// The data folder's SQLite file, one server.
    Sqlite,
    /// A PostgreSQL database, this many server replicas on it.
    Postgres { replicas: usize },
}

impl Backend {
    /// The workload's name for this backend.
    fn workload(self) -> &'static str {
        match self {
            Backend::Sqlite => FIFTY,
            Backend::Postgres { replicas: 1 } => FIFTY_PG,
            Backend::Postgres { .. } => FIFTY_PG3,
        }
    }
}

fn main() -> Result<()> {
    let mut args = Args::parse(std::env::args().skip(1));
    if !args.bench && !args.list && args.filters.is_empty() {
        // Under `cargo test --all-targets` (unoptimised): a smoke run of the cheapest workload,
        // which still builds the tower, starts the server binary and syncs over HTTP.
        eprintln!(
            "sync_workloads: smoke run of {UNCHANGED} (measure with `cargo xtask bench -- sync/`)"
        );
        args.filters.push(UNCHANGED.to_owned());
    }
    let selected: Vec<&str> = WORKLOADS
        .iter()
        .copied()
        .filter(|w| args.filters.is_empty() || args.filters.iter().any(|f| w.contains(f)))
        .collect();
    if args.list {
        let mut out = std::io::stdout().lock();
        for w in &selected {
            writeln!(out, "{w}: benchmark")?;
        }
        return Ok(());
    }
    if selected.is_empty() {
        return Ok(());
    }

    let started = Instant::now();
    eprintln!("sync_workloads: building the tower's 240 unit documents");
    let fixture = Fixture::build()?;
    eprintln!(
        "sync_workloads: built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let mut results = Results::default();
    fixture.describe(&mut results);
    runtime.block_on(async {
        let backends = [
            Backend::Sqlite,
            Backend::Postgres { replicas: 1 },
            Backend::Postgres { replicas: 3 },
        ];
        let single: Vec<&str> = selected
            .iter()
            .copied()
            .filter(|w| !backends.iter().any(|b| b.workload() == *w))
            .collect();
        if !single.is_empty() {
            single_device_workloads(&fixture, &single, &mut results).await?;
        }
        // Side by side in one run, on the same fixture.
        for backend in backends {
            if selected.contains(&backend.workload()) {
                fifty_devices(&fixture, &mut results, backend).await?;
            }
        }
        anyhow::Ok(())
    })?;
    drop(runtime);

    results.print(&mut std::io::stdout().lock())?;
    if let Some(path) = std::env::var_os("SYNC_WORKLOADS_JSON") {
        let json = serde_json::to_vec_pretty(&results)?;
        std::fs::write(&path, json)
            .with_context(|| format!("writing {}", Path::new(&path).display()))?;
    }
    eprintln!(
        "sync_workloads: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The command line `cargo bench` passes: `--bench`, then whatever followed `--`.
#[derive(Debug, Default)]
struct Args {
    filters: Vec<String>,
    list: bool,
    /// `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it.
    bench: bool,
}

impl Args {
    fn parse(args: impl Iterator<Item = String>) -> Self {
        // criterion's options that take a value: their value is not a filter. (`cargo xtask
        // bench -- <args>` passes the same arguments to criterion's benchmarks and to this one.)
        const WITH_VALUE: &[&str] = &[
            "--save-baseline",
            "--baseline",
            "--baseline-lenient",
            "--load-baseline",
            "--sample-size",
            "--warm-up-time",
            "--measurement-time",
            "--nresamples",
            "--noise-threshold",
            "--confidence-level",
            "--significance-level",
            "--profile-time",
            "--plotting-backend",
            "--output-format",
            "--color",
            "--format",
            "-s",
            "-b",
            "-c",
        ];
        let mut out = Self::default();
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            if arg == "--list" {
                out.list = true;
            } else if arg == "--bench" {
                out.bench = true;
            } else if WITH_VALUE.contains(&arg.as_str()) {
                args.next();
            } else if !arg.starts_with('-') {
                out.filters.push(arg);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Results

/// What a measurement counts, for printing (and for `cargo xtask bench`, which reads the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Unit {
    /// Nanoseconds (as criterion's estimates).
    Ns,
    Bytes,
    Count,
    PerS,
}

#[derive(Debug, Serialize)]
struct Row {
    id: String,
    unit: Unit,
    median: f64,
    low: f64,
    high: f64,
    runs: usize,
}

#[derive(Debug, Default, Serialize)]
struct Results {
    results: Vec<Row>,
}

impl Results {
    fn add(&mut self, id: impl Into<String>, unit: Unit, mut samples: Vec<f64>) {
        if samples.is_empty() {
            return;
        }
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let median = if n % 2 == 1 {
            samples[n / 2]
        } else {
            (samples[n / 2 - 1] + samples[n / 2]) / 2.0
        };
        self.results.push(Row {
            id: id.into(),
            unit,
            median,
            low: samples[0],
            high: samples[n - 1],
            runs: n,
        });
    }

    fn print(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        writeln!(out, "\nsync workloads (median over runs; range):")?;
        writeln!(
            out,
            "{:>12}  {:>25}  {:>4}  measurement",
            "median", "range", "runs"
        )?;
        for r in &self.results {
            writeln!(
                out,
                "{:>12}  {:>25}  {:>4}  {}",
                format_value(r.unit, r.median),
                format!(
                    "[{} {}]",
                    format_value(r.unit, r.low),
                    format_value(r.unit, r.high)
                ),
                r.runs,
                r.id
            )?;
        }
        Ok(())
    }
}

/// A value in the unit that reads best (the same rules as `cargo xtask bench`).
fn format_value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Ns => match v {
            n if n < 1e3 => format!("{n:.1} ns"),
            n if n < 1e6 => format!("{:.2} µs", n / 1e3),
            n if n < 1e9 => format!("{:.2} ms", n / 1e6),
            n => format!("{:.3} s", n / 1e9),
        },
        Unit::Bytes => match v {
            b if b < 10_000.0 => format!("{b:.0} B"),
            b if b < 10.0 * 1024.0 * 1024.0 => format!("{:.1} KiB", b / 1024.0),
            b => format!("{:.1} MiB", b / (1024.0 * 1024.0)),
        },
        Unit::Count => format!("{v:.0}"),
        Unit::PerS => format!("{v:.1}/s"),
    }
}

fn nanos(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

/// What one device's sync cost, from its own counters and the proxy's.
#[derive(Debug, Default)]
struct Cost {
    payload: Vec<f64>,
    http: Vec<f64>,
    round_trips: Vec<f64>,
    time: Vec<f64>,
}

impl Cost {
    fn add_to(self, results: &mut Results, workload: &str) {
        results.add(format!("{workload}/time"), Unit::Ns, self.time);
        results.add(
            format!("{workload}/payload_bytes"),
            Unit::Bytes,
            self.payload,
        );
        results.add(format!("{workload}/http_bytes"), Unit::Bytes, self.http);
        results.add(
            format!("{workload}/round_trips"),
            Unit::Count,
            self.round_trips,
        );
    }
}

/// Counters before a sync, to take the difference after it.
struct Mark {
    sent: usize,
    received: usize,
    trips: usize,
    http: u64,
    at: Instant,
}

impl Mark {
    fn of(device: &Device, proxy: &Proxy) -> Self {
        Self {
            sent: device.bytes_sent,
            received: device.bytes_received,
            trips: device.round_trips,
            http: proxy.bytes(),
            at: Instant::now(),
        }
    }

    fn record(self, device: &Device, proxy: &Proxy, cost: &mut Cost) {
        cost.time.push(nanos(self.at.elapsed()));
        cost.payload
            .push((device.bytes_sent - self.sent + device.bytes_received - self.received) as f64);
        cost.round_trips
            .push((device.round_trips - self.trips) as f64);
        cost.http.push((proxy.bytes() - self.http) as f64);
    }
}

// ---------------------------------------------------------------------------------------------
// The fixture: projects and documents, built once

/// The projects and the tower's documents, built once and written into every data folder.
struct Fixture {
    tower: Project,
    estate: Project,
    /// Per tower unit: its document (with the server's receipts), its case records, and the
    /// id of its inspection round.
    units: Vec<BuiltUnit>,
}

struct BuiltUnit {
    id: DocId,
    doc: AutoCommit,
    projection: UnitProjection,
    round: RoundId,
}

fn day() -> NaiveDate {
    let (y, m, d) = INSPECTION_DAY;
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn ms(date: NaiveDate) -> i64 {
    date.and_hms_opt(9, 0, 0)
        .expect("a valid time")
        .and_utc()
        .timestamp_millis()
}

/// A project like the demo's (same template and contractors), with other buildings.
fn project(id: &str, buildings: serde_json::Value) -> Result<Project> {
    let mut spec: serde_json::Value = serde_json::from_str(plumbline_shared::demo::LICHENG_SPEC)?;
    spec["id"] = id.into();
    spec["buildings"] = buildings;
    Ok(plumbline_shared::demo::expand(&spec.to_string(), day())?)
}

fn server_actor() -> Actor {
    Actor {
        user: UserId::new("plumbline-server").expect("a valid id"),
        role: Role::Admin,
        device: DeviceId::new(SERVER_ID).expect("a valid id"),
    }
}

fn photo(actor: &Actor, at: Timestamp, seed: &str) -> EvidenceRef {
    EvidenceRef {
        hash: BlobHash::of(seed.as_bytes()),
        kind: EvidenceKind::Photo,
        bytes: 850_000,
        width: 4032,
        height: 3024,
        captured_at: at,
        device: actor.device.clone(),
        author: actor.user.clone(),
        location: None,
        pin: None,
        thumbnail: None,
    }
}

fn finding_for(round: &RoundId, room: &Room, item: &CheckItem, note: &str) -> NewFinding {
    NewFinding {
        origin: Origin::Inspection,
        round: Some(round.clone()),
        room: room.id.clone(),
        item: item.id.clone(),
        category: item.category.clone(),
        severity: item.default_severity,
        description: format!("{}：{note}", item.zh),
    }
}

/// One unit after a pre-handover inspection: a round with [`CHECK_RESULTS`] items marked,
/// [`FINDINGS`] of them defects with a finding and [`EVIDENCE_PER_FINDING`] photos each, and
/// the server's receipt on every event (as a sync would have stored it).
fn build_unit(
    project: &Project,
    index: usize,
    unit: &plumbline_shared::project::Unit,
) -> Result<BuiltUnit> {
    let inspector = Actor {
        user: UserId::new("zhang-wei").expect("a valid id"),
        role: Role::Inspector,
        device: DeviceId::new("zhang-wei-phone").expect("a valid id"),
    };
    let template = residential();
    let items: Vec<(&Room, &CheckItem)> = template.items().take(CHECK_RESULTS).collect();
    let start = ms(day()) + index as i64 * 20 * 60_000;
    let at = |step: usize| Timestamp(start + step as i64 * 9_000);
    let mut doc = UnitDoc::new(&project.id, &unit.id);
    let round = doc.start_round(&inspector, at(0), RoundKind::PreHandover)?;
    // Every (80 / 12)th item is a defect: spread over the rooms like a real walk.
    let step = CHECK_RESULTS / FINDINGS;
    for (i, (room, item)) in items.iter().enumerate() {
        let defect = i % step == step / 2 && i / step < FINDINGS;
        let finding = if defect {
            let note = format!("第{}处，约 30cm×20cm，需返工", i / step + 1);
            let f =
                doc.record_finding(&inspector, at(i), finding_for(&round, room, item, &note))?;
            for p in 0..EVIDENCE_PER_FINDING {
                let seed = format!("{}/{}/{p}", unit.id, item.id);
                doc.attach_evidence(&inspector, at(i), &f, photo(&inspector, at(i), &seed))?;
            }
            Some(f)
        } else {
            None
        };
        let outcome = if defect {
            Outcome::Defect
        } else {
            Outcome::Pass
        };
        doc.record_result(&inspector, at(i), &round, &item.id, outcome, finding)?;
    }
    let server = server_actor();
    let received = Timestamp(start + 2 * HOUR_MS);
    for f in doc.findings()?.values() {
        for e in &f.events {
            let receipt = Receipt {
                received_at: received,
                skew_ms: -1_250,
            };
            doc.record_receipt(&server, &f.id, &e.id, receipt)?;
        }
    }
    let projection = project_unit(&doc, received, &WorkflowSettings::default())?;
    Ok(BuiltUnit {
        id: DocId::Unit(unit.id.clone()),
        doc: doc.into_automerge(),
        projection,
        round,
    })
}

impl Fixture {
    fn build() -> Result<Self> {
        let tower = project(
            "tower",
            serde_json::json!([{ "id": "tower-t1", "number": 1, "name": "1栋",
                "floors": TOWER_FLOORS, "units_per_floor": TOWER_UNITS_PER_FLOOR }]),
        )?;
        let estate = project(
            "estate",
            (1..=ESTATE_BUILDINGS)
                .map(|b| {
                    serde_json::json!({ "id": format!("estate-b{b}"), "number": b,
                        "name": format!("{b}栋"), "floors": ESTATE_FLOORS,
                        "units_per_floor": ESTATE_UNITS_PER_FLOOR })
                })
                .collect(),
        )?;
        // Two threads: building is automerge work, and the machine has two cores.
        let units: Vec<(usize, &plumbline_shared::project::Unit)> =
            tower.units().map(|(_, u)| u).enumerate().collect();
        let half = units.len().div_ceil(2);
        let built = std::thread::scope(|s| {
            let workers: Vec<_> = units
                .chunks(half)
                .map(|chunk| {
                    let tower = &tower;
                    s.spawn(move || {
                        chunk
                            .iter()
                            .map(|(i, u)| build_unit(tower, *i, u))
                            .collect::<Result<Vec<_>>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .map_err(|_| anyhow::anyhow!("a builder thread panicked"))?
                })
                .collect::<Result<Vec<_>>>()
        })?;
        Ok(Self {
            tower,
            estate,
            units: built.into_iter().flatten().collect(),
        })
    }

    /// The fixture's own figures: how big a unit document is.
    fn describe(&self, results: &mut Results) {
        let mut saved = Vec::new();
        let mut changes = Vec::new();
        for u in &self.units {
            let mut doc = u.doc.clone();
            saved.push(doc.save().len() as f64);
            changes.push(doc.get_changes(&[]).len() as f64);
        }
        results.add("fixture/unit_doc_saved_bytes", Unit::Bytes, saved);
        results.add("fixture/unit_doc_changes", Unit::Count, changes);
    }

    /// Writes both projects and the tower's documents into a fresh data folder, and the
    /// accounts `logins` (inspectors; `estate` ones only in the estate) with one enrollment
    /// code each. The server state is dropped before returning, so a server process can open
    /// the folder.
    async fn prepare(
        &self,
        dir: &Path,
        logins: &[(String, bool)],
        database: Option<&str>,
    ) -> Result<Vec<String>> {
        std::fs::write(dir.join("server-id"), SERVER_ID)?;
        let mut config = Config::for_data_dir(dir, (Ipv4Addr::LOCALHOST, 0).into())?;
        if let Some(url) = database {
            config.db.url = url.to_owned();
        }
        let state = build_state(config, common::clock()).await?;
        setup::create_project(&state, &self.tower).await?;
        setup::create_project(&state, &self.estate).await?;
        for chunk in self.units.chunks(32) {
            let writes = chunk
                .iter()
                .map(|u| {
                    let mut doc = u.doc.clone();
                    DocWrite {
                        doc: u.id.clone(),
                        project: self.tower.id.clone(),
                        device: None,
                        changes: new_changes(&mut doc, &[]),
                        heads: doc.get_heads(),
                        // Over the empty documents the project's creation stored.
                        base: None,
                        projection: Some(u.projection.clone()),
                        claims: Vec::new(),
                        contacts: Vec::new(),
                    }
                })
                .collect();
            state.store.write_docs(writes).await?;
        }
        let mut codes = Vec::with_capacity(logins.len());
        for (login, in_estate) in logins {
            let user = UserId::new(login.as_str())?;
            // No password: these accounts only enroll with a code (and argon2 would dominate).
            state
                .store
                .create_user(NewUser {
                    user: user.clone(),
                    display_name: login.clone(),
                    password_hash: None,
                })
                .await?;
            let project = if *in_estate {
                &self.estate.id
            } else {
                &self.tower.id
            };
            state
                .store
                .set_membership(
                    &user,
                    Membership {
                        project: project.clone(),
                        role: Role::Inspector,
                        contractor: None,
                    },
                )
                .await?;
            codes.push(account_admin::enrollment_code(&state, &user).await?);
        }
        drop(state);
        // The store's writer thread closes the database when its queue is dropped; give it a
        // moment so that the server process starts on a quiet file.
        tokio::time::sleep(Duration::from_millis(200)).await;
        Ok(codes)
    }
}

// ---------------------------------------------------------------------------------------------
// The server process and the byte-counting proxy

/// The release server binary, running on a prepared data folder; killed on drop.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts `plumbline-sync-server serve` on `dir` and waits until it answers `/healthz`.
    ///
    /// The binary is the one cargo built for this benchmark (`CARGO_BIN_EXE_*`, same profile),
    /// so `cargo bench` alone keeps it current. The configuration is a file in the data folder
    /// (metrics off, so no fixed port is needed); the working folder is the data folder and
    /// `PLUMBLINE_*` variables are removed, so no configuration of the caller leaks in.
    async fn start(dir: &Path) -> Result<Self> {
        Self::start_with(dir, "").await
    }

    /// [`Self::start`] with more configuration (TOML) after the benchmark's own.
    async fn start_with(dir: &Path, more: &str) -> Result<Self> {
        let addr = free_port()?;
        let config = dir.join("bench-server.toml");
        std::fs::write(&config, format!("metrics_listen = \"\"\n{more}"))?;
        let log = dir.join("server.log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline-sync-server"));
        command
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .arg("--data")
            .arg(dir)
            .arg("--listen")
            .arg(addr.to_string())
            // The server's clock starts at this process's test clock, which dated the
            // enrollment codes written in process.
            .arg("--clock-from")
            .arg(common::now().to_string())
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?);
        // The server's own default log filter, unless `SYNC_WORKLOADS_SERVER_LOG` names another
        // (to measure what logging costs): the caller's `RUST_LOG` is for this benchmark.
        match std::env::var_os("SYNC_WORKLOADS_SERVER_LOG") {
            Some(filter) => command.env("RUST_LOG", filter),
            None => command.env_remove("RUST_LOG"),
        };
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PLUMBLINE_") {
                command.env_remove(key);
            }
        }
        let child = command.spawn().context("starting the server binary")?;
        // For attaching a profiler: `perf record -g -p <pid>`.
        eprintln!("sync_workloads: server process {} on {addr}", child.id());
        let mut server = Self { child, addr, log };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("the server exited ({status}):\n{}", server.log_tail());
            }
            let ready = http
                .get(format!("http://{addr}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!(
                    "the server did not answer within 60 s:\n{}",
                    server.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// A `VmHWM`/`VmRSS`-style field of `/proc/<pid>/status`, in bytes (Linux only).
    fn memory(&self, field: &str) -> Result<u64> {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .context("reading the server's /proc status (memory is measured on Linux only)")?;
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .with_context(|| format!("no {field} in /proc/{pid}/status"))?;
        Ok(kib * 1024)
    }

    /// Resets the server's peak resident size to its current one (`clear_refs` 5, Linux 4.0+),
    /// so that the next `VmHWM` is the peak of what happens from now on.
    fn reset_peak(&self) -> Result<()> {
        let pid = self.child.id();
        std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
            .context("resetting the server's peak memory")
    }

    /// CPU time the server has used so far, all threads (exited ones included).
    fn cpu_time(&self) -> Result<Duration> {
        cpu_time(&format!("/proc/{}/stat", self.child.id()))
    }
}

/// `measure` of every server, added up: with replicas, the service's memory or CPU time.
fn sum(servers: &[ServerProcess], measure: impl Fn(&ServerProcess) -> Result<u64>) -> Result<u64> {
    servers.iter().map(measure).sum()
}

/// User plus system CPU time from a `/proc/<pid>/stat` file (Linux only).
fn cpu_time(stat: &str) -> Result<Duration> {
    let text = std::fs::read_to_string(stat).with_context(|| format!("reading {stat}"))?;
    // Fields after the command name (which may hold spaces, so split after its `)`): utime and
    // stime are the 12th and 13th, in clock ticks of USER_HZ, 100 on Linux x86-64 and arm64.
    let ticks: u64 = text
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().skip(11).take(2))
        .context("an unexpected /proc stat line")?
        .map(|t| t.parse::<u64>())
        .sum::<Result<u64, _>>()?;
    Ok(Duration::from_millis(ticks * 10))
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback port for the server (bound and released; nothing else here binds ports).
fn free_port() -> Result<SocketAddr> {
    let listener = StdListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?)
}

/// A loopback TCP proxy that counts the bytes passing in each direction: the HTTP a device
/// really exchanges, headers included, which reqwest does not report.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let up = Arc::new(AtomicU64::new(0));
        let down = Arc::new(AtomicU64::new(0));
        let (u, d) = (up.clone(), down.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (u, d) = (u.clone(), d.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    // Forward every piece at once: Nagle would add delays the server does not.
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let _ = tokio::join!(pump(cr, sw, u), pump(sr, cw, d));
                });
            }
        });
        Ok(Self { addr, up, down })
    }

    /// Bytes in both directions so far.
    fn bytes(&self) -> u64 {
        self.up.load(Ordering::SeqCst) + self.down.load(Ordering::SeqCst)
    }

    fn api(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    count: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return to.shutdown().await;
        }
        count.fetch_add(n as u64, Ordering::SeqCst);
        to.write_all(&buf[..n]).await?;
    }
}

// ---------------------------------------------------------------------------------------------
// Workloads a, b, d and reconnect: one device at a time, through the proxy

async fn enroll(api: &str, code: &str, login: &str) -> Result<Device> {
    let user = UserId::new(login)?;
    Ok(Device::enroll(
        api,
        code,
        &format!("{login} phone"),
        user,
        Role::Inspector,
        common::clock(),
    )
    .await)
}

/// The first finding of a unit on `device`, and a severity different from its current one.
fn severity_edit(device: &mut Device, doc: &DocId) -> Result<(FindingId, Severity)> {
    let unit = device.unit(doc);
    let id = unit
        .finding_ids()?
        .into_iter()
        .next()
        .context("the unit has findings")?;
    let current = unit.finding(&id)?.severity;
    let next = if current == Severity::S2 {
        Severity::S3
    } else {
        Severity::S2
    };
    Ok((id, next))
}

/// Changes one field of one finding on `device`; returns the size of the automerge change.
fn edit_one_field(device: &mut Device, doc: &DocId, minute: i64) -> Result<usize> {
    let (finding, severity) = severity_edit(device, doc)?;
    let mut unit = device.unit(doc);
    let before = unit.automerge_mut().get_heads();
    let at = Timestamp(ms(day()) + 7 * 24 * HOUR_MS + minute * 60_000);
    let actor = device.actor.clone();
    unit.edit_field(&actor, at, &finding, FieldEdit::Severity(severity))?;
    let change: usize = unit
        .automerge_mut()
        .get_changes(&before)
        .iter()
        .map(|c| c.raw_bytes().len())
        .sum();
    device.put_unit(doc, unit);
    Ok(change)
}

/// Sync messages pushed and pulled by [`push_then_confirm`], in bytes.
#[derive(Debug, Default)]
struct PushBytes {
    automerge: usize,
}

/// A client that knows which documents it edited: it exchanges just those (one request); when
/// the reply carries the server's summary and it is the device's own, that is all. Otherwise
/// it sends a summary-only manifest to learn whether anything else changed (one small
/// request; it matches the position the server now remembers for the device). This is what the
/// app's engine does (`app/src/sync_run.rs`); the reference client in `tests/common` always
/// starts with the manifest and, when the summary matches nothing the server knows, sends every
/// entry.
async fn push_then_confirm(device: &mut Device, docs: &[DocId]) -> Result<PushBytes> {
    let mut bytes = PushBytes::default();
    let mut messages = Vec::new();
    for doc in docs {
        let state = device.states.entry(doc.clone()).or_default();
        let am = device
            .docs
            .get_mut(doc)
            .context("the device holds the document")?;
        if let Some(m) = am.sync().generate_sync_message(state) {
            let message = m.encode();
            bytes.automerge += message.len();
            messages.push(DocMessage {
                doc: doc.clone(),
                message,
            });
        }
    }
    let body = to_postcard(&SyncRequest {
        api_version: API_VERSION,
        device_time: common::now(),
        messages,
    });
    let res = device.post("/sync/exchange", body).await;
    ensure!(res.status() == 200, "exchange failed: {}", res.status());
    let body = res.bytes().await?;
    device.bytes_received += body.len();
    let reply: SyncResponse = from_postcard(&body).map_err(anyhow::Error::msg)?;
    ensure!(reply.refused.is_empty(), "refused: {:?}", reply.refused);
    for m in reply.messages {
        bytes.automerge += m.message.len();
        let state = device.states.entry(m.doc.clone()).or_default();
        let am = device
            .docs
            .get_mut(&m.doc)
            .context("a document sent back")?;
        am.sync()
            .receive_sync_message(state, automerge::sync::Message::decode(&m.message)?)?;
    }
    let req = device.manifest_request(false);
    // The reply's summary is the server's: equal to the device's own, no manifest is needed.
    if reply.summary == Some(req.summary) {
        return Ok(bytes);
    }
    match device.manifest(&req).await {
        ManifestResponse::InSync { .. } => Ok(bytes),
        other => bail!("expected the summary to match after the push, got {other:?}"),
    }
}

async fn single_device_workloads(
    fixture: &Fixture,
    selected: &[&str],
    results: &mut Results,
) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut logins: Vec<(String, bool)> = (0..REPS_FIRST_SYNC)
        .map(|i| (format!("first-sync-{i}"), false))
        .collect();
    logins.extend([
        ("field-editor".to_owned(), false),
        ("reconnecting".to_owned(), false),
        ("other-inspector".to_owned(), false),
        ("estate-inspector".to_owned(), true),
    ]);
    let codes = fixture.prepare(dir.path(), &logins, None).await?;
    let code = |login: &str| -> &str {
        let i = logins
            .iter()
            .position(|(l, _)| l == login)
            .expect("a prepared login");
        &codes[i]
    };
    let server = ServerProcess::start(dir.path()).await?;
    let proxy = Proxy::start(server.addr).await?;
    let api = proxy.api();
    let tower_docs = fixture.units.len() + 1;

    if selected.contains(&FIRST_SYNC) {
        eprintln!("sync_workloads: {FIRST_SYNC}");
        let mut cost = Cost::default();
        for i in 0..REPS_FIRST_SYNC {
            let login = format!("first-sync-{i}");
            let mut device = enroll(&api, code(&login), &login).await?;
            let mark = Mark::of(&device, &proxy);
            let report = device.sync().await;
            mark.record(&device, &proxy, &mut cost);
            if i == 0 {
                results.add(
                    format!("{FIRST_SYNC}/server_memory_after_first_run"),
                    Unit::Bytes,
                    vec![server.memory("VmRSS")? as f64],
                );
            }
            ensure!(report.refused.is_empty(), "{:?}", report.refused);
            ensure!(
                device.docs.len() == tower_docs,
                "{} docs",
                device.docs.len()
            );
        }
        // The first run after the server started loads every document from the database; the
        // others find them in the server's cache. Both happen in the field (a restart, then the
        // first device), so both are reported, the cold one on its own.
        let cold = cost.time.remove(0);
        results.add(
            format!("{FIRST_SYNC}/time_cold_server"),
            Unit::Ns,
            vec![cold],
        );
        cost.add_to(results, FIRST_SYNC);
        results.add(
            format!("{FIRST_SYNC}/server_memory_after_runs"),
            Unit::Bytes,
            vec![server.memory("VmRSS")? as f64],
        );
    }

    if selected.contains(&FIELD_EDIT) {
        eprintln!("sync_workloads: {FIELD_EDIT}");
        let mut device = enroll(&api, code("field-editor"), "field-editor").await?;
        device.sync().await;
        let (mut change, mut reference, mut push) = (Vec::new(), Cost::default(), Cost::default());
        let (mut first_change, mut automerge) = (Vec::new(), Vec::new());
        for rep in 0..REPS_FIELD_EDIT {
            // A device's first write to a unit also names the device's user in the document's
            // `editors` map, which makes that change larger. Measured edits are later ones, as
            // for an inspector correcting a finding in a unit they already inspected.
            let doc = fixture.units[(rep * 37) % fixture.units.len()].id.clone();
            let minute = 10 * rep as i64;
            first_change.push(edit_one_field(&mut device, &doc, minute)? as f64);
            let report = device.sync().await;
            ensure!(report.refused.is_empty(), "{:?}", report.refused);

            change.push(edit_one_field(&mut device, &doc, minute + 1)? as f64);
            let mark = Mark::of(&device, &proxy);
            let report = device.sync().await;
            mark.record(&device, &proxy, &mut reference);
            ensure!(report.refused.is_empty(), "{:?}", report.refused);
            ensure!(report.acked.contains_key(&doc), "the edit was acknowledged");

            edit_one_field(&mut device, &doc, minute + 2)?;
            let mark = Mark::of(&device, &proxy);
            let pushed = push_then_confirm(&mut device, std::slice::from_ref(&doc)).await?;
            mark.record(&device, &proxy, &mut push);
            automerge.push(pushed.automerge as f64);
        }
        results.add(
            format!("{FIELD_EDIT}/automerge_change_bytes"),
            Unit::Bytes,
            change,
        );
        results.add(
            format!("{FIELD_EDIT}/automerge_change_bytes_first_write_in_unit"),
            Unit::Bytes,
            first_change,
        );
        reference.add_to(results, &format!("{FIELD_EDIT}/reference_client"));
        push.add_to(results, &format!("{FIELD_EDIT}/push_then_summary"));
        results.add(
            format!("{FIELD_EDIT}/push_then_summary/automerge_sync_message_bytes"),
            Unit::Bytes,
            automerge,
        );
    }

    if selected.contains(&RECONNECT) {
        eprintln!("sync_workloads: {RECONNECT}");
        let mut device = enroll(&api, code("reconnecting"), "reconnecting").await?;
        let mut other = enroll(&api, code("other-inspector"), "other-inspector").await?;
        device.sync().await;
        other.sync().await;
        let mut cost = Cost::default();
        let mut entries = Vec::new();
        for rep in 0..REPS_RECONNECT {
            let doc = fixture.units[(rep * 53 + 5) % fixture.units.len()]
                .id
                .clone();
            edit_one_field(&mut other, &doc, 200 + rep as i64)?;
            let report = other.sync().await;
            ensure!(report.refused.is_empty(), "{:?}", report.refused);
            entries.push(to_postcard(&device.manifest_request(true)).len() as f64);
            let mark = Mark::of(&device, &proxy);
            let report = device.sync().await;
            mark.record(&device, &proxy, &mut cost);
            ensure!(report.refused.is_empty(), "{:?}", report.refused);
            let (mine, theirs) = (
                device.docs.get_mut(&doc).map(|d| d.get_heads()),
                other.docs.get_mut(&doc).map(|d| d.get_heads()),
            );
            ensure!(mine == theirs, "the reconnecting device got the change");
        }
        cost.add_to(results, RECONNECT);
        results.add(
            format!("{RECONNECT}/manifest_entries_request_bytes"),
            Unit::Bytes,
            entries,
        );
    }

    if selected.contains(&UNCHANGED) {
        eprintln!("sync_workloads: {UNCHANGED}");
        let mut device = enroll(&api, code("estate-inspector"), "estate-inspector").await?;
        device.sync().await;
        let units = device
            .docs
            .keys()
            .filter(|d| matches!(d, DocId::Unit(_)))
            .count();
        ensure!(
            units == 1_000,
            "the estate device holds {units} unit documents"
        );
        let mut cost = Cost::default();
        for _ in 0..REPS_UNCHANGED {
            let mark = Mark::of(&device, &proxy);
            let report = device.sync().await;
            mark.record(&device, &proxy, &mut cost);
            ensure!(report.acked.is_empty(), "nothing was exchanged");
        }
        cost.add_to(results, UNCHANGED);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Workload c: 50 devices at once

/// Device `i`'s new finding in one of its units, a week after the inspection: a defect on a
/// check item with two photos, and the item's result marked as that defect (4 automerge
/// changes; the server adds 3 receipts).
fn record_defect(device: &mut Device, unit: &BuiltUnit, i: usize, item_index: usize) -> Result<()> {
    let template = residential();
    let (room, item) = template
        .items()
        .nth(item_index % template.item_count())
        .context("a template item")?;
    let actor = device.actor.clone();
    let at = Timestamp(ms(day()) + 7 * 24 * HOUR_MS + i as i64 * 60_000);
    let mut doc = device.unit(&unit.id);
    let note = format!("复查发现，设备 {i}");
    let finding = doc.record_finding(&actor, at, finding_for(&unit.round, room, item, &note))?;
    for p in 0..EVIDENCE_PER_FINDING {
        let seed = format!("{}/recheck/{i}/{p}", unit.id);
        doc.attach_evidence(&actor, at, &finding, photo(&actor, at, &seed))?;
    }
    doc.record_result(
        &actor,
        at,
        &unit.round,
        &item.id,
        Outcome::Defect,
        Some(finding),
    )?;
    device.put_unit(&unit.id, doc);
    Ok(())
}

/// What [`sync_all`] did.
struct AllSynced {
    devices: Vec<Device>,
    took: Duration,
    /// Documents exchanged (acknowledged), over every device.
    exchanged: usize,
    /// Syncs that failed and were started again, as an app would retry. (The reference client
    /// panics on any answer but 200, e.g. the server's 408 when a request outlasts
    /// `limits.request_timeout_secs`.)
    retried: usize,
}

/// Most attempts per device in [`sync_all`].
const ATTEMPTS: usize = 3;

/// Runs `device.sync()` on every device at once, each on its own task.
async fn sync_all(devices: Vec<Device>) -> Result<AllSynced> {
    use futures::FutureExt as _;
    let started = Instant::now();
    let tasks: Vec<_> = devices
        .into_iter()
        .map(|mut d| {
            tokio::spawn(async move {
                let mut failures = Vec::new();
                for _ in 0..ATTEMPTS {
                    match std::panic::AssertUnwindSafe(d.sync()).catch_unwind().await {
                        Ok(report) => return (d, Some(report), failures),
                        Err(panic) => failures.push(panic_message(panic.as_ref())),
                    }
                }
                (d, None, failures)
            })
        })
        .collect();
    let mut out = AllSynced {
        devices: Vec::with_capacity(tasks.len()),
        took: Duration::ZERO,
        exchanged: 0,
        retried: 0,
    };
    for task in tasks {
        let (device, report, failures) = task.await.context("a device's task failed")?;
        let Some(report) = report else {
            bail!("a device's sync failed {ATTEMPTS} times: {failures:?}");
        };
        if !failures.is_empty() {
            eprintln!("sync_workloads: a device's sync was retried after: {failures:?}");
        }
        ensure!(report.refused.is_empty(), "{:?}", report.refused);
        out.exchanged += report.acked.len();
        out.retried += failures.len();
        out.devices.push(device);
    }
    out.took = started.elapsed();
    Ok(out)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic".to_owned())
}

/// Every figure of workload c, one entry per run.
#[derive(Debug, Default)]
struct FiftyRuns {
    setup_time: Vec<f64>,
    setup_peak: Vec<f64>,
    time: Vec<f64>,
    rate: Vec<f64>,
    peak: Vec<f64>,
    at_start: Vec<f64>,
    exchanged: Vec<f64>,
    retried: Vec<f64>,
    server_cpu: Vec<f64>,
    client_cpu: Vec<f64>,
}

/// Workload c. Every run starts from the same state: a fresh data folder and server process,
/// 50 newly enrolled devices that make their first sync together (as on the morning devices
/// are handed out; timed too, as the setup), then edit 20 units each offline and sync at once.
/// (Running again on one server would measure ever larger documents, since every run adds a
/// finding to each edited unit.)
async fn fifty_devices(fixture: &Fixture, results: &mut Results, backend: Backend) -> Result<()> {
    let name = backend.workload();
    let mut runs = FiftyRuns::default();
    for rep in 0..REPS_FIFTY {
        eprintln!("sync_workloads: {name}: run {}/{REPS_FIFTY}", rep + 1);
        fifty_devices_once(fixture, &mut runs, backend).await?;
    }
    let setup = format!("{name}/setup_{DEVICES}_first_syncs_at_once");
    results.add(format!("{setup}/time"), Unit::Ns, runs.setup_time);
    results.add(
        format!("{setup}/server_peak_memory"),
        Unit::Bytes,
        runs.setup_peak,
    );
    results.add(format!("{name}/time"), Unit::Ns, runs.time);
    results.add(
        format!("{name}/edited_units_per_second"),
        Unit::PerS,
        runs.rate,
    );
    results.add(format!("{name}/server_peak_memory"), Unit::Bytes, runs.peak);
    results.add(
        format!("{name}/server_memory_at_start"),
        Unit::Bytes,
        runs.at_start,
    );
    results.add(format!("{name}/server_cpu_time"), Unit::Ns, runs.server_cpu);
    results.add(
        format!("{name}/clients_cpu_time"),
        Unit::Ns,
        runs.client_cpu,
    );
    results.add(
        format!("{name}/documents_exchanged"),
        Unit::Count,
        runs.exchanged,
    );
    results.add(format!("{name}/syncs_retried"), Unit::Count, runs.retried);
    Ok(())
}

async fn fifty_devices_once(
    fixture: &Fixture,
    runs: &mut FiftyRuns,
    backend: Backend,
) -> Result<()> {
    let name = backend.workload();
    let dir = tempfile::tempdir()?;
    let logins: Vec<(String, bool)> = (0..DEVICES)
        .map(|i| (format!("inspector-{i:02}"), false))
        .collect();
    let (database, replicas) = match backend {
        Backend::Sqlite => (None, 1),
        Backend::Postgres { replicas } => {
            (Some(common::postgres::durable_database().await), replicas)
        }
    };
    let codes = fixture
        .prepare(dir.path(), &logins, database.as_deref())
        .await?;
    let mut servers = Vec::with_capacity(replicas);
    for k in 0..replicas {
        // The first server is the one the documents were prepared with; each other replica
        // has a folder (and so a server id) of its own.
        let home = if k == 0 {
            dir.path().to_owned()
        } else {
            let home = dir.path().join(format!("replica-{k}"));
            std::fs::create_dir_all(&home)?;
            home
        };
        let more = match &database {
            Some(url) => format!("[db]\nurl = \"{url}\"\n"),
            None => String::new(),
        };
        servers.push(ServerProcess::start_with(&home, &more).await?);
    }
    let mut devices = Vec::with_capacity(DEVICES);
    for (i, ((login, _), code)) in logins.iter().zip(&codes).enumerate() {
        let api = format!("http://{}/api/v1", servers[i % replicas].addr);
        devices.push(enroll(&api, code, login).await?);
    }

    let first = sync_all(devices).await?;
    devices = first.devices;
    runs.setup_time.push(nanos(first.took));
    runs.setup_peak
        .push(sum(&servers, |s| s.memory("VmHWM"))? as f64);
    runs.retried.push(first.retried as f64);

    // Device i edits the 20 consecutive units from 20·i (wrapping around the tower): 1,000
    // unit edits over 240 units, each unit edited by four or five devices, as on a busy day.
    for (i, device) in devices.iter_mut().enumerate() {
        for j in 0..UNITS_PER_DEVICE {
            let unit = &fixture.units[(i * UNITS_PER_DEVICE + j) % fixture.units.len()];
            record_defect(device, unit, i, i + j + CHECK_RESULTS)?;
        }
    }
    // The peak of the run alone. What the server holds from the first syncs (its document
    // cache, every device's sync states) is its resident size at the start, reported too.
    for server in &servers {
        server.reset_peak()?;
    }
    let at_start = sum(&servers, |s| s.memory("VmRSS"))?;
    let server_before = sum(&servers, |s| s.cpu_time().map(|d| d.as_millis() as u64))?;
    let client_before = cpu_time("/proc/self/stat")?;
    let run = sync_all(devices).await?;
    let server_after = sum(&servers, |s| s.cpu_time().map(|d| d.as_millis() as u64))?;
    let server_used = Duration::from_millis(server_after - server_before);
    let client_used = cpu_time("/proc/self/stat")? - client_before;
    let peak = sum(&servers, |s| s.memory("VmHWM"))?;
    eprintln!(
        "sync_workloads: {name}: {:.1} s (first syncs {:.1} s), server CPU {:.1} s, clients \
         CPU {:.1} s, server memory {:.0} MiB at start, {:.0} MiB peak, {} retried",
        run.took.as_secs_f64(),
        first.took.as_secs_f64(),
        server_used.as_secs_f64(),
        client_used.as_secs_f64(),
        at_start as f64 / (1024.0 * 1024.0),
        peak as f64 / (1024.0 * 1024.0),
        run.retried
    );
    runs.time.push(nanos(run.took));
    runs.rate
        .push((DEVICES * UNITS_PER_DEVICE) as f64 / run.took.as_secs_f64());
    runs.peak.push(peak as f64);
    runs.at_start.push(at_start as f64);
    runs.exchanged.push(run.exchanged as f64);
    *runs.retried.last_mut().expect("pushed above") += run.retried as f64;
    runs.server_cpu.push(nanos(server_used));
    runs.client_cpu.push(nanos(client_used));
    Ok(())
}
