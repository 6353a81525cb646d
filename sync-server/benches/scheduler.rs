//! The clock that acts, at scale: 100,000 open rectification notices in 1,000 units, answered
//! on site, whose repair deadlines fall through the coming week (about ten a minute), stored
//! through the server's own write path on a manual clock.
//!
//! Measured with criterion (`cargo xtask bench -- scheduler/`):
//! - `scheduler/minute`: one minute of the week — the clock moves a minute and
//!   `verdicts::refresh_due` derives again every unit whose deadline passed, recording the
//!   reminders and escalations that fall due: the scheduler's cost per minute of wall time;
//! - `scheduler/nothing_due`: the same call when nothing is due, which every office page and
//!   `GET /api/v1/cases` pays before reading;
//! - `scheduler/dashboard_queues`: the counts of the dashboard's time-dependent queues (4-hour
//!   response missed, repair overdue, notices not returned, emergency repair needed) over the
//!   project's 100,000 cases, as the dashboard queries them.
//!
//! Under `cargo test --all-targets` (no `--bench`), a smoke run on 10 units of 5 findings.
#![allow(clippy::unwrap_used)] // a benchmark panics on failure, like a test

use std::time::{Duration, Instant};

use criterion::Criterion;
use plumbline_shared::clock::Clock;
use plumbline_shared::demo::demo_project;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::NewFinding;
use plumbline_shared::event::{EventKind, Origin, ResponseMode};
use plumbline_shared::ids::{ContractorId, DeviceId, UserId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::time::{DAY_MS, HOUR_MS, MINUTE_MS, Timestamp};
use plumbline_sync_server::config::Config;
use plumbline_sync_server::store::{CaseFilter, Queue};
use plumbline_sync_server::{build_state, setup, unit_write, verdicts};

fn actor(user: &str, role: Role) -> Actor {
    Actor {
        user: UserId::new(user).unwrap(),
        role,
        device: DeviceId::new(format!("{user}-device")).unwrap(),
    }
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (units, per_unit) = if measuring { (1_000, 100) } else { (10, 5) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // 2026-11-27 09:00 in Beijing.
    let start = Timestamp::start_of_day_cst(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
        .plus_ms(9 * HOUR_MS);
    let clock = Clock::manual(start);
    let config = Config::for_data_dir(dir.path(), "127.0.0.1:0".parse().unwrap()).unwrap();
    // No HTTP and no background tasks: the state is driven by hand.
    let state = rt.block_on(build_state(config, clock.clone())).unwrap();
    let mut project = demo_project(start.date_cst()).unwrap();
    // Enough units: more buildings of the demo's shape.
    while project.units().count() < units {
        let mut b = project.buildings[0].clone();
        let n = project.buildings.len() + 1;
        b.id = format!("bench-b{n}").parse().unwrap();
        b.name = format!("{n}栋");
        for (i, u) in b.units.iter_mut().enumerate() {
            u.id = format!("bench-b{n}-{i}").parse().unwrap();
            u.label = format!("{n}-{i:04}");
        }
        project.buildings.push(b);
    }
    rt.block_on(setup::create_project(&state, &project))
        .unwrap();
    let unit_ids: Vec<_> = project
        .units()
        .map(|(_, u)| u.id.clone())
        .take(units)
        .collect();

    // Every notice issued now and answered an hour later; notice i's repair deadline is one day
    // plus i/N of a week from now, so deadlines fall evenly through the week and consecutive
    // ones are in different units.
    let total = units * per_unit;
    // The first deadline: a day out when measuring; in the smoke run, within its first minute.
    let first = if measuring {
        DAY_MS
    } else {
        2 * HOUR_MS + 30_000
    };
    let started = Instant::now();
    let inspector = actor("bench-inspector", Role::Inspector);
    let foreman = actor("bench-foreman", Role::Contractor);
    let company = ContractorId::new("hengzhu-civil").unwrap();
    for (u, unit) in unit_ids.iter().enumerate() {
        let doc = DocId::Unit(unit.clone());
        rt.block_on(unit_write::edit_unit(&state, &doc, None, 0, |d, _, _| {
            for k in 0..per_unit {
                let i = k * units + u;
                let deadline = start.plus_ms(first + (i as i64) * 7 * DAY_MS / total as i64);
                let id = d
                    .record_finding(
                        &inspector,
                        start,
                        NewFinding {
                            origin: Origin::Inspection,
                            round: None,
                            room: "kitchen".parse().unwrap(),
                            item: "kitchen.drain".parse().unwrap(),
                            category: "plumbing".parse().unwrap(),
                            severity: Severity::S3,
                            description: format!("水槽下水慢 #{i}"),
                        },
                    )
                    .unwrap();
                d.append_event(
                    &inspector,
                    start,
                    &id,
                    EventKind::NoticeIssued {
                        notice_no: format!("ZG-2026-{i:06}"),
                        contractor: company.clone(),
                        repair_deadline: deadline,
                    },
                )
                .unwrap();
                d.append_event(
                    &foreman,
                    start.plus_ms(HOUR_MS),
                    &id,
                    EventKind::ContractorResponded {
                        mode: ResponseMode::OnSite,
                        note: String::new(),
                    },
                )
                .unwrap();
            }
            Ok::<_, plumbline_sync_server::unit_write::WriteError>(())
        }))
        .unwrap();
    }
    eprintln!(
        "scheduler: {total} open notices in {units} units stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The answers are in (the reminders so far recorded); the week of deadlines starts.
    clock.set(start.plus_ms(2 * HOUR_MS));
    rt.block_on(verdicts::refresh_due(&state, clock.now()))
        .unwrap();
    clock.set(start.plus_ms(first));

    let mut c = Criterion::default()
        .sample_size(if measuring { 30 } else { 10 })
        .warm_up_time(Duration::from_millis(if measuring { 500 } else { 10 }))
        .measurement_time(Duration::from_secs(if measuring { 10 } else { 1 }))
        .configure_from_args();
    let mut units_derived = 0usize;
    let mut minutes = 0usize;
    c.bench_function("scheduler/minute", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                clock.advance(MINUTE_MS);
                let t = Instant::now();
                units_derived += rt
                    .block_on(verdicts::refresh_due(&state, clock.now()))
                    .unwrap();
                spent += t.elapsed();
                minutes += 1;
            }
            spent
        })
    });
    eprintln!(
        "scheduler: {units_derived} units derived again over {minutes} simulated minutes \
         ({:.1} a minute)",
        units_derived as f64 / minutes.max(1) as f64
    );
    c.bench_function("scheduler/nothing_due", |b| {
        b.iter(|| {
            rt.block_on(verdicts::refresh_due(&state, clock.now()))
                .unwrap()
        })
    });
    let queues = |at: Timestamp| {
        [
            Queue::ResponseOverdue(at),
            Queue::RepairOverdue(at),
            Queue::NoticeNotReturned(at),
            Queue::EmergencyRequired,
        ]
    };
    let mut overdue = 0;
    c.bench_function("scheduler/dashboard_queues", |b| {
        b.iter(|| {
            let at = clock.now();
            overdue = 0;
            for q in queues(at) {
                let filter = CaseFilter {
                    projects: vec![project.id.clone()],
                    queue: Some(q),
                    ..CaseFilter::default()
                };
                let n = rt.block_on(state.store.case_count(&filter)).unwrap();
                if matches!(q, Queue::RepairOverdue(_)) {
                    overdue = n;
                }
            }
        })
    });
    eprintln!("scheduler: {overdue} repairs overdue at the end");
    assert!(
        units_derived > 0 && overdue > 0,
        "the week went by without a deadline"
    );
    c.final_summary();
}
