//! `cargo xtask demo`: the one run command.
//!
//! It prints what the demo project holds (in Chinese and English; handover dates relative to
//! today, since the demo is dated from it), then builds and starts the sync server's `demo`
//! command on `plumbline-data/` in the workspace root: on the first run that creates the
//! project, prints an account for every role and an enrollment code, and serves; on later runs
//! it serves what the folder holds. Ctrl-C stops the server. `--print-only` stops after the
//! summary (for a machine where a server is not wanted), and extra arguments after `--` go to
//! the server (`cargo xtask demo -- --listen 0.0.0.0:8080`).

use std::io::Write;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use plumbline_shared::project::{Project, Unit};
use plumbline_shared::template::ChecklistTemplate;

use crate::cmd;

/// The demo's data folder, relative to the workspace root (ignored by git).
const DATA_DIR: &str = "plumbline-data";

/// Prints the demo project's summary, then runs the demo server until it is stopped.
pub fn run(print_only: bool, server_args: &[String]) -> Result<()> {
    let today = chrono::Local::now().date_naive();
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
    cmd::run(&mut server)
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
    fn countdown_says_how_far_handover_is_in_both_languages() {
        let today = NaiveDate::from_ymd_opt(2025, 11, 27).expect("a valid date");
        let in_days = |n| today + chrono::Days::new(n);
        assert_eq!(countdown(in_days(0), today), "今天 today");
        assert_eq!(countdown(in_days(45), today), "还有 45 天 in 45 days");
        assert_eq!(countdown(today, in_days(3)), "已过 3 天 3 days ago");
    }
}
