//! `cargo xtask bench`: runs the benchmarks, then prints each one's **median**.
//!
//! Two kinds of benchmark run:
//!
//! - **criterion** benchmarks (`shared/benches/`). Criterion's own `time: [low estimate high]`
//!   line is its estimate of the mean (or of the slope of a linear fit), which a few slow
//!   outliers pull up. Our performance notes (`docs/benchmarks.md`) quote medians, so after the
//!   run this reads the median that criterion saved in
//!   `target/criterion/<benchmark>/new/estimates.json` for every benchmark run just now and
//!   prints it with its 95% confidence interval.
//! - the **sync workloads** (`sync-server/benches/sync_workloads.rs`, `harness = false`): whole
//!   syncs against the server binary, too slow and too stateful for criterion's sampling. The
//!   benchmark repeats each workload a few times and computes its own medians; it writes them
//!   to the JSON file named by [`SYNC_RESULTS_ENV`], which this reads and prints after
//!   criterion's table, so one command ends with every figure the notes quote.
//!
//! - the **capture pipeline** (`media/benches/capture.rs`, `harness = false`): a real camera photo
//!   against `vipsthumbnail`, as a ratio measured in one run; it prints its own table (and
//!   installs the Debian packages it needs when they are missing).
//!
//! - **a day in the field** (`tests/benches/day.rs`, `harness = false`): one inspector's whole
//!   day through the engine and the server, offline capture then a slow, dropping uplink; it
//!   prints its own figures.
//!
//! Arguments after `--` go to every benchmark binary: a name filter selects criterion
//! benchmarks and sync workloads alike (`cargo xtask bench -- sync/` runs only the workloads).

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::cmd;

/// The crates with benchmarks.
const BENCHED_PACKAGES: &[&str] = &[
    "plumbline-shared",
    "plumbline-sync-server",
    "plumbline-media",
    "plumbline-tests",
];

/// The environment variable that tells the sync workloads where to write their results.
const SYNC_RESULTS_ENV: &str = "SYNC_WORKLOADS_JSON";

/// The machine's time as a `SystemTime`, from the one clock: result files written after it are
/// this run's (their modification times are the operating system's).
fn system_time_now() -> SystemTime {
    let ms = u64::try_from(plumbline_shared::clock::Clock::system().now().0).unwrap_or(0);
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

/// Runs the benchmarks (`bench_args` go to every benchmark, e.g. a name filter) and prints
/// medians.
pub fn run(bench_args: &[String]) -> Result<()> {
    let started = system_time_now();
    let target = cmd::target_dir()?;
    let sync_results = target.join("sync-workloads.json");
    // A file from an earlier run must not pass for this run's results.
    match fs::remove_file(&sync_results) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("removing {}", sync_results.display()));
        }
        _ => {}
    }
    let mut bench = cmd::cargo();
    bench.args(["bench", "--locked"]);
    for package in BENCHED_PACKAGES {
        bench.args(["--package", package]);
    }
    // Only `[[bench]]` targets: by default cargo would also build every library and binary as
    // a test harness in release mode, only to report their tests as ignored.
    bench.args(["--bench", "*"]);
    bench.env(SYNC_RESULTS_ENV, &sync_results);
    if !bench_args.is_empty() {
        bench.arg("--").args(bench_args);
    }
    cmd::run(&mut bench)?;

    let criterion_dir = target.join("criterion");
    let mut results = Vec::new();
    collect_medians(&criterion_dir, started, &mut results).with_context(|| {
        format!(
            "could not read criterion's results in {}",
            criterion_dir.display()
        )
    })?;
    let sync = read_sync_results(&sync_results)?;
    if results.is_empty() && sync.is_empty() {
        tracing::warn!("no benchmark saved results: did the filter match no benchmark?");
        return Ok(());
    }
    results.sort_by(|a, b| a.id.cmp(&b.id));

    let mut out = std::io::stdout().lock();
    if !results.is_empty() {
        writeln!(
            out,
            "{:>12}  {:>25}  benchmark",
            "median", "95% confidence interval"
        )?;
        for result in &results {
            let interval = &result.median.confidence_interval;
            writeln!(
                out,
                "{:>12}  {:>25}  {}",
                duration(result.median.point_estimate),
                format!(
                    "[{} {}]",
                    duration(interval.lower_bound),
                    duration(interval.upper_bound)
                ),
                result.id
            )?;
        }
    }
    if !sync.is_empty() {
        if !results.is_empty() {
            writeln!(out)?;
        }
        for line in sync_table(&sync) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// One measurement of the sync workloads, as `sync_workloads` writes it.
#[derive(Debug, Deserialize)]
struct SyncRow {
    id: String,
    unit: SyncUnit,
    median: f64,
    low: f64,
    high: f64,
    runs: usize,
}

/// What a sync measurement counts.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SyncUnit {
    /// Nanoseconds.
    Ns,
    Bytes,
    Count,
    /// A rate per second.
    PerS,
}

#[derive(Debug, Deserialize)]
struct SyncResults {
    results: Vec<SyncRow>,
}

/// The sync workloads' results, or none when the file is absent (the filter left them out).
fn read_sync_results(path: &Path) -> Result<Vec<SyncRow>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let results: SyncResults = read_json(path)?;
    Ok(results.results)
}

/// The sync workloads as a table: median, range over the runs, runs, measurement.
fn sync_table(rows: &[SyncRow]) -> Vec<String> {
    let mut lines = vec![format!(
        "{:>12}  {:>25}  {:>4}  sync workload (median of runs)",
        "median", "range", "runs"
    )];
    for row in rows {
        lines.push(format!(
            "{:>12}  {:>25}  {:>4}  {}",
            sync_value(row.unit, row.median),
            format!(
                "[{} {}]",
                sync_value(row.unit, row.low),
                sync_value(row.unit, row.high)
            ),
            row.runs,
            row.id
        ));
    }
    lines
}

/// A sync measurement in the unit that reads best.
fn sync_value(unit: SyncUnit, value: f64) -> String {
    match unit {
        SyncUnit::Ns => duration(value),
        SyncUnit::Bytes => match value {
            b if b < 10_000.0 => format!("{b:.0} B"),
            b if b < 10.0 * 1024.0 * 1024.0 => format!("{:.1} KiB", b / 1024.0),
            b => format!("{:.1} MiB", b / (1024.0 * 1024.0)),
        },
        SyncUnit::Count => format!("{value:.0}"),
        SyncUnit::PerS => format!("{value:.1}/s"),
    }
}

/// One benchmark's median, as criterion saved it.
#[derive(Debug)]
struct Median {
    id: String,
    median: Estimate,
}

/// The parts of criterion's `estimates.json` read here (times in nanoseconds).
#[derive(Debug, Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Debug, Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: ConfidenceInterval,
}

#[derive(Debug, Deserialize)]
struct ConfidenceInterval {
    lower_bound: f64,
    upper_bound: f64,
}

/// The part of criterion's `benchmark.json` read here: the benchmark's name.
#[derive(Debug, Deserialize)]
struct BenchmarkId {
    full_id: String,
}

/// Finds every `new/` folder under `dir` that criterion wrote after `since` (older ones are
/// from earlier runs, e.g. of benchmarks the filter left out) and reads its median.
fn collect_medians(dir: &Path, since: SystemTime, results: &mut Vec<Median>) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|name| name == "new") {
            let estimates = path.join("estimates.json");
            let written = fs::metadata(&estimates).and_then(|meta| meta.modified());
            if written.is_ok_and(|written| written >= since) {
                let id: BenchmarkId = read_json(&path.join("benchmark.json"))?;
                let estimates: Estimates = read_json(&estimates)?;
                results.push(Median {
                    id: id.full_id,
                    median: estimates.median,
                });
            }
        } else {
            collect_medians(&path, since, results)?;
        }
    }
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// A time in nanoseconds, in the unit that reads best.
fn duration(nanos: f64) -> String {
    match nanos {
        n if n < 1e3 => format!("{n:.1} ns"),
        n if n < 1e6 => format!("{:.2} µs", n / 1e3),
        n if n < 1e9 => format!("{:.2} ms", n / 1e6),
        n => format!("{:.3} s", n / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Writes one benchmark's results the way criterion 0.8 lays them out.
    fn write_result(
        criterion: &Path,
        group: &str,
        function: &str,
        median_ns: f64,
    ) -> std::path::PathBuf {
        let new = criterion.join(group).join(function).join("new");
        fs::create_dir_all(&new).expect("create the result folder");
        let estimate = |point: f64| {
            format!(
                r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{},"upper_bound":{}}},"point_estimate":{point},"standard_error":1.0}}"#,
                point * 0.9,
                point * 1.1
            )
        };
        let estimates = format!(
            r#"{{"mean":{mean},"median":{median},"median_abs_dev":{mad},"slope":null,"std_dev":{mad}}}"#,
            mean = estimate(median_ns * 2.0),
            median = estimate(median_ns),
            mad = estimate(1.0),
        );
        fs::write(new.join("estimates.json"), estimates).expect("write estimates.json");
        let id = format!(
            r#"{{"group_id":"{group}","function_id":"{function}","value_str":null,"throughput":null,"full_id":"{group}/{function}","directory_name":"{group}/{function}","title":"{group}/{function}"}}"#
        );
        fs::write(new.join("benchmark.json"), id).expect("write benchmark.json");
        new.join("estimates.json")
    }

    #[test]
    fn bench_reports_the_median_of_benchmarks_run_now_and_skips_older_results() {
        let criterion = std::env::temp_dir()
            .join(format!("plumbline-xtask-bench-{}", std::process::id()))
            .join("criterion");
        let _ = fs::remove_dir_all(&criterion);
        let since = system_time_now() - Duration::from_secs(60);
        write_result(
            &criterion,
            "unit_document",
            "save_100_findings",
            1_500_000.0,
        );
        let stale = write_result(&criterion, "unit_document", "load_100_findings", 2_000.0);
        fs::File::options()
            .write(true)
            .open(&stale)
            .and_then(|file| file.set_modified(since - Duration::from_secs(3600)))
            .expect("backdate the stale result");

        let mut results = Vec::new();
        collect_medians(&criterion, since, &mut results).expect("the results read");
        let _ = fs::remove_dir_all(criterion.parent().expect("a temp folder"));

        assert_eq!(results.len(), 1, "{results:?}");
        assert_eq!(results[0].id, "unit_document/save_100_findings");
        assert_eq!(duration(results[0].median.point_estimate), "1.50 ms");
        assert_eq!(
            duration(results[0].median.confidence_interval.lower_bound),
            "1.35 ms"
        );
    }

    #[test]
    fn sync_results_are_read_and_printed_in_their_units() {
        let dir = std::env::temp_dir().join(format!("plumbline-xtask-sync-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("create a temp folder");
        let path = dir.join("sync-workloads.json");
        assert!(read_sync_results(&path).expect("absent is fine").is_empty());
        fs::write(
            &path,
            r#"{"results":[
                {"id":"sync/a/time","unit":"ns","median":1.5e9,"low":1.4e9,"high":1.7e9,"runs":5},
                {"id":"sync/b/payload_bytes","unit":"bytes","median":412.0,"low":410.0,"high":415.0,"runs":9},
                {"id":"sync/c/server_peak_memory","unit":"bytes","median":104857600.0,"low":1.0e8,"high":1.1e8,"runs":3},
                {"id":"sync/c/rate","unit":"per_s","median":123.45,"low":120.0,"high":130.0,"runs":3},
                {"id":"sync/d/round_trips","unit":"count","median":1.0,"low":1.0,"high":1.0,"runs":9}
            ]}"#,
        )
        .expect("write the results");
        let rows = read_sync_results(&path).expect("the results read");
        let _ = fs::remove_dir_all(&dir);

        let table = sync_table(&rows);
        assert_eq!(table.len(), 6);
        assert!(
            table[1].ends_with("[1.400 s 1.700 s]     5  sync/a/time"),
            "{}",
            table[1]
        );
        assert!(table[2].trim_start().starts_with("412 B"), "{}", table[2]);
        assert!(
            table[3].trim_start().starts_with("100.0 MiB"),
            "{}",
            table[3]
        );
        assert!(table[4].trim_start().starts_with("123.5/s"), "{}", table[4]);
        assert!(table[5].trim_start().starts_with("1  "), "{}", table[5]);
    }

    #[test]
    fn durations_read_in_the_unit_that_fits() {
        assert_eq!(duration(850.0), "850.0 ns");
        assert_eq!(duration(12_340.0), "12.34 µs");
        assert_eq!(duration(2_500_000_000.0), "2.500 s");
    }
}
