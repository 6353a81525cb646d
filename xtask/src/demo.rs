//! `cargo xtask demo`: the one run command.
//!
//! It prints what the demo project holds (in Chinese and English; handover dates relative to
//! today, since the demo is dated from it), then builds and starts the sync server's `demo`
//! command on `plumbline-data/` in the workspace root: on the first run that creates the
//! project, prints an account for every role and an enrollment code, and serves; on later runs
//! it serves what the folder holds. Ctrl-C stops the server. `--print-only` stops after the
//! summary (for a machine where a server is not wanted), and extra arguments after `--` go to
//! the server (`cargo xtask demo -- --listen 0.0.0.0:8080`).
//!
//! Where there is a display, the inspector app (the desktop build of `app/`) opens too, with
//! its data in `plumbline-data/device/` and the server's address filled in on its enroll
//! screen; closing the window leaves the server running.

use std::io::Write;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use plumbline_shared::project::{Project, Unit};
use plumbline_shared::template::ChecklistTemplate;

use crate::{cmd, prerequisites};

/// The demo's data folder, relative to the workspace root (ignored by git).
const DATA_DIR: &str = "plumbline-data";

/// Prints the demo project's summary, then runs the demo server until it is stopped.
pub fn run(print_only: bool, server_args: &[String]) -> Result<()> {
    // The demo is dated from today in Beijing, by the one clock.
    let today = plumbline_shared::clock::Clock::system().now().date_cst();
    let project =
        plumbline_shared::demo::demo_project(today).context("could not build the demo project")?;
    let template = plumbline_shared::template::residential();
    write_summary(&mut std::io::stdout().lock(), &project, &template, today)
        .context("could not write the demo summary to stdout")?;
    if print_only {
        return Ok(());
    }
    let mut server = cmd::cargo();
    server
        .args([
            "run",
            "--locked",
            "--package",
            "plumbline-sync-server",
            "--",
        ])
        .args(["demo", "--data", DATA_DIR])
        .args(server_args);
    if !has_display() {
        tracing::info!("no display ($DISPLAY / $WAYLAND_DISPLAY): starting the server only");
        return cmd::run(&mut server);
    }
    // With a display, the inspector app opens beside the server: its WebKit build needs the
    // system packages, and it is built before the server starts so the two builds do not
    // fight over the target folder.
    prerequisites::ensure()?;
    cmd::run(
        cmd::cargo()
            .args(["build", "--locked", "--package", "plumbline-app"])
            .args(["--features", "desktop", "--bin", "plumbline-app"]),
    )?;
    std::fs::create_dir_all(format!("{DATA_DIR}/camera-roll"))
        .context("could not create the demo camera-roll folder")?;
    let mut server = server.spawn().context("could not start the demo server")?;
    let url = server_url(server_args);
    wait_until_listening(&url, &mut server)?;
    tracing::info!(
        "opening the inspector app; enroll it with {url} and 王丽's code printed above \
         (a phone enrolled in an earlier run opens straight to its projects)"
    );
    let app = cmd::run(
        cmd::cargo()
            .args(APP_RUN)
            .args([
                "--",
                "--data",
                &format!("{DATA_DIR}/device"),
                "--server",
                &url,
            ])
            .arg("--photos")
            .arg(format!("{DATA_DIR}/camera-roll")),
    );
    if let Err(e) = app {
        tracing::warn!("the app stopped: {e:#}");
    }
    tracing::info!("the app is closed; the server keeps running until Ctrl-C");
    let status = server.wait().context("waiting for the demo server")?;
    if !status.success() {
        anyhow::bail!("the demo server exited with {status}");
    }
    Ok(())
}

/// `cargo run` of the desktop app (built just before).
const APP_RUN: &[&str] = &[
    "run",
    "--locked",
    "--package",
    "plumbline-app",
    "--features",
    "desktop",
    "--bin",
    "plumbline-app",
];

/// Whether a window can be opened here.
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()))
}

/// The server's address for the app, from `--listen` when given (`0.0.0.0` is reached on
/// loopback).
fn server_url(server_args: &[String]) -> String {
    let listen = server_args
        .iter()
        .position(|a| a == "--listen")
        .and_then(|i| server_args.get(i + 1))
        .map_or("127.0.0.1:8080", String::as_str);
    format!("http://{}", listen.replace("0.0.0.0", "127.0.0.1"))
}

/// Waits until the server accepts connections (it may be compiling first).
fn wait_until_listening(url: &str, server: &mut std::process::Child) -> Result<()> {
    let addr = url.trim_start_matches("http://");
    let started = std::time::Instant::now();
    loop {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        if let Some(status) = server.try_wait()? {
            anyhow::bail!("the demo server exited with {status} before it listened");
        }
        if started.elapsed() > std::time::Duration::from_secs(1800) {
            anyhow::bail!("the demo server did not listen on {addr} within 30 minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// Writes what the project and template hold, one fact per line, Chinese first.
fn write_summary(
    out: &mut impl Write,
    project: &Project,
    template: &ChecklistTemplate,
    today: NaiveDate,
) -> Result<()> {
    let unit_count = project.units().count();
    writeln!(
        out,
        "楼盘 Project: {} {} ({})",
        project.name_zh, project.name_en, project.id
    )?;
    writeln!(out, "今天 Today: {today}")?;
    if let Some((first, last)) = handover_span(project.units().map(|(_, unit)| unit)) {
        writeln!(
            out,
            "交付 Handover: {}, {}",
            span(first, last),
            countdown(first, today)
        )?;
    }

    writeln!(
        out,
        "\n楼栋 Buildings: {} 栋 buildings, {unit_count} 户 units",
        project.buildings.len()
    )?;
    for building in &project.buildings {
        write!(
            out,
            "  {}: {} 层 floors, {} 户 units",
            building.name,
            building.floors,
            building.units.len()
        )?;
        match handover_span(building.units.iter()) {
            Some((first, last)) => writeln!(
                out,
                ", 交付 handover {}, {}",
                span(first, last),
                countdown(first, today)
            )?,
            None => writeln!(out)?,
        }
    }

    writeln!(out, "\n施工单位 Contractors: {}", project.contractors.len())?;
    for contractor in &project.contractors {
        let trades: Vec<&str> = contractor
            .trades
            .iter()
            .map(|trade| trade.label_zh())
            .collect();
        writeln!(
            out,
            "  {} ({}): {} · 电话 phone {}",
            contractor.name,
            contractor.id,
            trades.join("、"),
            contractor.phone
        )?;
    }

    writeln!(
        out,
        "\n验收模板 Checklist template: {} {} ({} v{})",
        template.name_zh, template.name_en, template.id, template.version
    )?;
    writeln!(
        out,
        "  {} 房间 rooms, {} 检查项 check items, {} 类别 categories",
        template.rooms.len(),
        template.item_count(),
        template.categories.len()
    )?;
    Ok(())
}

/// The earliest and latest handover date among `units`.
fn handover_span<'a>(units: impl Iterator<Item = &'a Unit>) -> Option<(NaiveDate, NaiveDate)> {
    units.fold(None, |span, unit| match span {
        None => Some((unit.handover, unit.handover)),
        Some((first, last)) => Some((first.min(unit.handover), last.max(unit.handover))),
    })
}

fn span(first: NaiveDate, last: NaiveDate) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first} – {last}")
    }
}

/// How far `date` is from `today`, in both languages.
fn countdown(date: NaiveDate, today: NaiveDate) -> String {
    let days = (date - today).num_days();
    match days {
        0 => "今天 today".to_owned(),
        1.. => format!("还有 {days} 天 in {days} days"),
        _ => format!("已过 {} 天 {} days ago", -days, -days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_summary_names_every_building_and_contractor() {
        let today = NaiveDate::from_ymd_opt(2025, 11, 27).expect("a valid date");
        let project = plumbline_shared::demo::demo_project(today).expect("the demo project builds");
        let template = plumbline_shared::template::residential();
        let mut out = Vec::new();
        write_summary(&mut out, &project, &template, today).expect("writing to a Vec succeeds");
        let text = String::from_utf8(out).expect("the summary is UTF-8");

        assert!(text.contains(&project.name_zh), "{text}");
        for building in &project.buildings {
            assert!(text.contains(&format!("  {}: ", building.name)), "{text}");
        }
        for contractor in &project.contractors {
            assert!(text.contains(&contractor.name), "{text}");
        }
        assert!(
            text.contains(&format!("{} 检查项", template.item_count())),
            "{text}"
        );
    }

    #[test]
    fn the_app_is_pointed_at_the_servers_listening_address() {
        assert_eq!(server_url(&[]), "http://127.0.0.1:8080");
        let args = ["--listen".to_owned(), "0.0.0.0:9000".to_owned()];
        assert_eq!(
            server_url(&args),
            "http://127.0.0.1:9000",
            "0.0.0.0 is reached on loopback"
        );
        let args = ["--listen".to_owned(), "192.168.1.5:8080".to_owned()];
        assert_eq!(server_url(&args), "http://192.168.1.5:8080");
    }

    #[test]
    fn countdown_says_how_far_handover_is_in_both_languages() {
        let today = NaiveDate::from_ymd_opt(2025, 11, 27).expect("a valid date");
        let in_days = |n| today + chrono::Days::new(n);
        assert_eq!(countdown(in_days(0), today), "今天 today");
        assert_eq!(countdown(in_days(45), today), "还有 45 天 in 45 days");
        assert_eq!(countdown(today, in_days(3)), "已过 3 天 3 days ago");
    }
}
