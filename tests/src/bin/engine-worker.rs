//! A device engine in a process of its own, for the crash tests: it works until it is killed.
//!
//! `engine-worker capture DIR UNIT` records findings with a photo each, forever, and prints
//! `saved finding <id>` and `saved photo <hash>` after the engine returned from each command,
//! that is after the engine reported it saved. `engine-worker sync DIR` syncs in a loop and
//! prints `synced` after each. The test kills it (SIGKILL) at a random moment and checks that
//! everything printed is there after a restart.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use plumbline_app::{Engine, NewPhoto};
use plumbline_shared::clock::Clock;
use plumbline_shared::doc::unit::NewFinding;
use plumbline_shared::event::Origin;
use plumbline_shared::ids::UnitId;
use plumbline_shared::severity::Severity;
use plumbline_tests::fake_jpeg;

/// The worker's clock: from the scenarios' anchor, at real speed, as the test's server.
fn clock() -> Clock {
    Clock::flowing_from(plumbline_tests::anchor())
}

fn say(line: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, dir) = match args.as_slice() {
        [mode, dir, ..] => (mode.as_str(), PathBuf::from(dir)),
        _ => bail!("usage: engine-worker capture DIR UNIT | engine-worker sync DIR"),
    };
    let engine = Engine::open(&dir, clock()).context("opening the engine")?;
    match mode {
        "capture" => {
            let unit = UnitId::new(args.get(2).context("capture needs a unit")?.as_str())?;
            let seed0 = std::process::id() as u64 * 1_000_003;
            for n in 0u64.. {
                let finding = engine.edit_unit(&unit, |u, actor, at| {
                    u.record_finding(
                        actor,
                        at,
                        NewFinding {
                            origin: Origin::Inspection,
                            round: None,
                            room: "kitchen".parse().expect("a valid room id"),
                            item: "kitchen.drain".parse().expect("a valid item id"),
                            category: "plumbing".parse().expect("a valid category id"),
                            severity: Severity::S3,
                            description: format!("下水管渗漏 #{n}"),
                        },
                    )
                })?;
                say(&format!("saved finding {finding}"))?;
                let photo = NewPhoto {
                    jpeg: fake_jpeg(200_000, seed0 + n),
                    thumbnail: fake_jpeg(3_000, seed0 + n + 7),
                    thumb_width: 320,
                    thumb_height: 240,
                    width: 2048,
                    height: 1536,
                    captured_at: engine.now(),
                    location: None,
                    pin: None,
                };
                let hash = engine.attach_photo(&unit, &finding, photo)?;
                say(&format!("saved photo {hash}"))?;
            }
        }
        "sync" => loop {
            match engine.sync().await {
                Ok(_) => say("synced")?,
                Err(e) => say(&format!("failed {e}"))?,
            }
        },
        other => bail!("unknown mode `{other}`"),
    }
    Ok(())
}
