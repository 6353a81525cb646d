//! `cargo xtask test`: the one test command, for people and for CI alike.
//!
//! The steps run in order and stop at the first failure; a summary of each step's time follows
//! either way. There are deliberately no flags to skip a step: CI and a contributor run the
//! same path, so "it passed for me" means the same thing for both.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::{cmd, fuzz, prerequisites, test_tools};

/// Seconds each fuzz target runs in the test command.
const FUZZ_SECONDS: u64 = 6;

/// Runs every step; `test_args` go to the test binaries (a name filter, `--nocapture`, …).
pub fn run(test_args: &[String]) -> Result<()> {
    let tools = std::sync::Mutex::new(None::<test_tools::Building>);
    let steps: [(&str, &dyn Fn() -> Result<()>); 9] = [
        ("system prerequisites", &prerequisites::ensure),
        // Garage and the like build beside the lints and the desktop build (see `test_tools`).
        ("test tools: build started in the background", &|| {
            *tools.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = Some(test_tools::start()?);
            Ok(())
        }),
        ("formatting: cargo fmt --check", &|| {
            cmd::run(cmd::cargo().args(["fmt", "--all", "--", "--check"]))
                .context("formatting differs: run `cargo fmt --all` and commit the result")
        }),
        // One pass over the whole workspace with the desktop shell's feature on, so that the
        // window's code is linted too without checking the app and Dioxus a second time (the
        // workspace's build and tests below still never link WebKit).
        ("lints: cargo clippy, warnings denied", &|| {
            cmd::run(
                cmd::cargo()
                    .args(["clippy", "--workspace", "--all-targets", "--locked"])
                    .args(["--features", "plumbline-app/desktop"])
                    .args(["--", "-D", "warnings"]),
            )
        }),
        // The end-to-end test in `tests/` starts this binary in a window under Xvfb.
        ("build: the desktop app (--features desktop)", &|| {
            cmd::run(
                cmd::cargo()
                    .args([
                        "build",
                        "--package",
                        "plumbline-app",
                        "--features",
                        "desktop",
                    ])
                    .args(["--bin", "plumbline-app", "--locked"]),
            )
        }),
        ("test tools: built from crates.io once", &|| {
            let building = tools
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?
                .take();
            building.map_or(Ok(()), test_tools::Building::finish)
        }),
        // `--include-ignored`: an #[ignore]d test still runs, so nothing is skipped silently.
        // `--all-targets` runs the benchmarks once each as tests too, which keeps them working.
        ("tests: cargo test --all-targets", &|| {
            cmd::run(
                cmd::cargo()
                    .args(["test", "--workspace", "--all-targets", "--locked"])
                    // A fuzz target built as a test is libFuzzer's own `main`, which fuzzes
                    // until stopped: the targets run in their own step below.
                    .args(["--exclude", "plumbline-fuzz", "--"])
                    .arg("--include-ignored")
                    .args(test_args),
            )
        }),
        // `--all-targets` leaves doc tests out; they get their own run. With `--include-ignored`
        // rustdoc still compiles `ignore`d examples: mark one that must not run `no_run`, and
        // one that is not Rust `text`.
        ("doc tests: cargo test --doc", &|| {
            cmd::run(
                cmd::cargo()
                    .args(["test", "--workspace", "--doc", "--locked"])
                    .args(["--exclude", "plumbline-fuzz", "--"])
                    .arg("--include-ignored")
                    .args(test_args),
            )
        }),
        // Each target for a short time: enough to catch a regression on the seeds and what the
        // corpus has grown to; long runs are `cargo xtask fuzz --seconds N`.
        ("fuzzing: every target for a short time", &|| {
            fuzz::run(FUZZ_SECONDS, &[]).map(drop)
        }),
    ];

    let mut finished: Vec<(&str, Duration, bool)> = Vec::new();
    let mut outcome = Ok(());
    for (index, (name, step)) in steps.iter().enumerate() {
        tracing::info!("==> [{}/{}] {name}", index + 1, steps.len());
        let started = Instant::now();
        let result = step();
        finished.push((name, started.elapsed(), result.is_ok()));
        if let Err(err) = result {
            outcome = Err(err.context(format!("step `{name}` failed")));
            break;
        }
    }

    tracing::info!("summary:");
    for (name, elapsed, ok) in &finished {
        let verdict = if *ok { "ok" } else { "FAILED" };
        tracing::info!("  {:>7.1}s  {verdict:<7}  {name}", elapsed.as_secs_f64());
    }
    for (name, _) in steps.iter().skip(finished.len()) {
        tracing::info!("  {:>8}  {:<7}  {name}", "-", "not run");
    }
    outcome
}
