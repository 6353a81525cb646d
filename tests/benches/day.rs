//! `day/whole`: one inspector's whole day through the real engine and the real server (see
//! `plumbline_tests::field_day`): 14 units, 230 findings and 310 photos from a 12-megapixel
//! camera with no signal, then a sync at 18:00 over about 1 Mbit/s of uplink that drops five
//! times. It prints the day's figures: capture time per photo, the process's CPU and memory at
//! the end of the day, time to records-complete and to photos-complete, bytes on the wire
//! against photo bytes. `docs/benchmarks.md` keeps them.
//!
//! A benchmark, not a test: the evening alone takes about twenty minutes at 1 Mbit/s. Under
//! `cargo test --all-targets` (no `--bench` argument) it plays a day of one unit, two findings
//! and three photos on a fast link instead, which keeps it working.

use std::io::Write as _;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use plumbline_tests::field_day::{DayPlan, run_day};

const WHOLE_DAY: &str = "day/whole";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let measuring = args.iter().any(|a| a == "--bench");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|f| WHOLE_DAY.contains(f.as_str())) {
        return Ok(());
    }
    let plan = if measuring || !filters.is_empty() {
        DayPlan::whole_day()
    } else {
        eprintln!("day: a smoke run of one unit (measure with `cargo xtask bench -- day/`)");
        DayPlan {
            units: 1,
            findings: 2,
            photos: 3,
            camera: (2_400, 1_800),
            cuts: 1,
            ..DayPlan::scaled()
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?;
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let day = runtime.block_on(run_day(plan.clone(), dir.path()))?;
    ensure!(
        day.server_findings == plan.findings && day.evidence_arrived == plan.photos as u64,
        "the day did not arrive whole:\n{day}"
    );
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{WHOLE_DAY} ({:.0} s in all)",
        started.elapsed().as_secs_f64()
    )?;
    writeln!(out, "{day}")?;
    Ok(())
}
