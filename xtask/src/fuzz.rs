//! `cargo xtask fuzz`: builds the libFuzzer targets in `fuzz/` with coverage instrumentation and
//! runs each for a given time, over its corpus and the seeds committed beside it.
//!
//! No `cargo fuzz` to install: the build is cargo with the sanitizer-coverage flags cargo-fuzz
//! passes (without a sanitizer, which needs a nightly compiler; our code forbids `unsafe`, so
//! what fuzzing finds is panics, hangs and runaway memory, which libFuzzer reports without one).
//! `--target` keeps the flags off build scripts and proc macros. The build has a target folder
//! of its own (`<target>/fuzz`), and each target's corpus grows there from run to run.
//!
//! A target that crashes, hangs past `-timeout` or exceeds `-rss_limit_mb` fails the command;
//! libFuzzer writes the input to `<target>/fuzz/artifacts/<name>/` and prints how to replay it
//! (run the target binary with the file as its argument).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd;

/// Every target, in the order they run.
pub const TARGETS: [&str; 6] = [
    "sync_request",
    "unit_changes",
    "blob_completion",
    "csv_import",
    "image_header",
    "capture_decoder",
];

/// The flags cargo-fuzz gives rustc for libFuzzer's coverage feedback.
const COVERAGE_FLAGS: &str = "-Cpasses=sancov-module \
     -Cllvm-args=-sanitizer-coverage-level=4 \
     -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
     -Cllvm-args=-sanitizer-coverage-pc-table \
     -Cllvm-args=-sanitizer-coverage-trace-compares \
     --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

/// What one target's run did.
#[derive(Debug)]
pub struct Outcome {
    /// Executions, as libFuzzer counted them.
    pub runs: u64,
    /// Inputs in its corpus afterwards.
    pub corpus: usize,
}

/// Builds the targets, then runs each of `targets` (all when empty) for `seconds`.
pub fn run(seconds: u64, targets: &[String]) -> Result<Vec<Outcome>> {
    let chosen: Vec<&'static str> = if targets.is_empty() {
        TARGETS.to_vec()
    } else {
        let mut chosen = Vec::new();
        for t in targets {
            match TARGETS.iter().find(|k| **k == t.as_str()) {
                Some(k) => chosen.push(*k),
                None => bail!(
                    "no fuzz target `{t}`; the targets are {}",
                    TARGETS.join(", ")
                ),
            }
        }
        chosen
    };
    let dir = fuzz_dir();
    build(&dir)?;
    let mut outcomes = Vec::new();
    for target in chosen {
        let outcome = run_one(&dir, target, seconds)?;
        tracing::info!(
            "fuzz {target}: {} runs in {seconds} s, corpus {} inputs, no crash",
            outcome.runs,
            outcome.corpus
        );
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// `<cargo target dir>/fuzz`: the build and the growing corpora.
fn fuzz_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cmd::workspace_root().join("target"));
    base.join("fuzz")
}

fn host_triple() -> Result<String> {
    let out = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("-vV")
        .output()
        .context("running `rustc -vV`")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` names no host")
}

fn build(dir: &Path) -> Result<()> {
    cmd::run(
        cmd::cargo()
            .args(["build", "--profile", "fuzz", "--locked", "--bins"])
            .args(["--package", "plumbline-fuzz"])
            .args(["--target", &host_triple()?])
            .env("CARGO_TARGET_DIR", dir.join("build"))
            .env("RUSTFLAGS", COVERAGE_FLAGS),
    )
    .context("building the fuzz targets")
}

fn run_one(dir: &Path, target: &'static str, seconds: u64) -> Result<Outcome> {
    let root = cmd::workspace_root();
    let binary = dir
        .join("build")
        .join(host_triple()?)
        .join("fuzz")
        .join(target);
    let corpus = dir.join("corpus").join(target);
    let artifacts = dir.join("artifacts").join(target);
    let seeds = root.join("fuzz/seeds").join(target);
    for d in [&corpus, &artifacts] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let mut command = Command::new(&binary);
    command
        .arg(format!("-max_total_time={seconds}"))
        .arg("-timeout=10")
        .arg("-rss_limit_mb=2048")
        .arg("-max_len=65536")
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg(&corpus);
    if seeds.is_dir() {
        command.arg(&seeds);
    }
    let line = format!("{} ({target})", binary.display());
    tracing::info!("$ {line} for {seconds} s");
    let out = command
        .output()
        .with_context(|| format!("could not start `{line}`"))?;
    let log = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "fuzz target `{target}` failed ({}); the input is in {}:\n{}",
            out.status,
            artifacts.display(),
            tail.join("\n")
        );
    }
    let runs = log
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let corpus_len = std::fs::read_dir(&corpus).map(|d| d.count()).unwrap_or(0);
    Ok(Outcome {
        runs,
        corpus: corpus_len,
    })
}
