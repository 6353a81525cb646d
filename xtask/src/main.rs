//! `cargo xtask`: the project's commands, so that the README names exactly one way to run and
//! one way to test Plumbline.
//!
//! - `cargo xtask test` ([`test`]): installs the system packages the build needs (see
//!   [`prerequisites`]), then checks formatting, runs clippy with warnings denied, and runs every
//!   test in the workspace, `#[ignore]`d ones included. It stops at the first failing step.
//! - `cargo xtask demo` ([`demo`]): prints the demo project, then starts the demo sync server.
//! - `cargo xtask bench` ([`bench`]): runs every benchmark (criterion, the sync workloads, the
//!   capture pipeline) and prints their medians.
//!
//! The `xtask` alias lives in `.cargo/config.toml`. Logs go to stderr through `tracing`
//! (`RUST_LOG` filters them); a failing child command's exit status becomes this command's.

mod bench;
mod cmd;
mod demo;
mod fuzz;
// Only its test runs: it keeps the crates free of circles between their modules.
#[cfg(test)]
mod module_graph;
mod prerequisites;
mod test;
mod test_tools;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Plumbline's project commands.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install system prerequisites, then check formatting, lint and run every test.
    Test {
        /// Arguments for the test binaries after `--`, e.g. a test-name filter:
        /// `cargo xtask test -- two_inspectors`.
        #[arg(last = true)]
        test_args: Vec<String>,
    },
    /// Build the programs the tests run that Debian does not package (the S3-compatible
    /// store) into `<target dir>/test-tools`, and install the JavaScript client's packages
    /// (`npm ci` in `tests/js-client`); `test` does this itself.
    TestTools,
    /// Print what the demo project holds, then start the demo sync server.
    Demo {
        /// Only print the summary; do not start the server.
        #[arg(long)]
        print_only: bool,
        /// Arguments for the server after `--`, e.g. `--listen 0.0.0.0:8080`.
        #[arg(last = true)]
        server_args: Vec<String>,
    },
    /// Build the libFuzzer targets in `fuzz/` and run each for a while (see `docs/security.md`).
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Targets to run (all when none): sync_request, unit_changes, blob_completion,
        /// csv_import, image_header, capture_decoder.
        targets: Vec<String>,
    },
    /// Run every benchmark (criterion, sync workloads, capture) and print the medians.
    Bench {
        /// Arguments for the benchmarks after `--`, e.g. a name filter (`sync/`).
        #[arg(last = true)]
        bench_args: Vec<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_target(false)
        .without_time()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();

    let result = match Cli::parse().command {
        Command::Test { test_args } => test::run(&test_args),
        Command::TestTools => prerequisites::ensure().and_then(|()| test_tools::ensure()),
        Command::Demo {
            print_only,
            server_args,
        } => demo::run(print_only, &server_args),
        Command::Bench { bench_args } => bench::run(&bench_args),
        Command::Fuzz { seconds, targets } => fuzz::run(seconds, &targets).map(drop),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            // Pass a failing child's status through (cargo test exits with 101, for example).
            let code = err
                .chain()
                .find_map(|cause| cause.downcast_ref::<cmd::ChildFailed>())
                .map_or(1, |failed| failed.code);
            ExitCode::from(u8::try_from(code).ok().filter(|&c| c != 0).unwrap_or(1))
        }
    }
}
