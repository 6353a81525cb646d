//! The reports on a large project: 1,000 units and 20,000 findings, scripted through their
//! whole lives (notices, answers, repairs, acceptances, fines, emergency repairs, callbacks) by
//! the same generator the report tests use (`tests/common/report_project.rs`) and stored
//! through the server's own write path, so the projection rows are the real ones.
//!
//! Measured with criterion (its medians are what `cargo xtask bench` prints and
//! `docs/benchmarks.md` records):
//! - `reports/rows`: loading the project's rows from SQLite (`Store::report_rows`);
//! - `reports/compute`: every report of the month from those rows, in memory;
//! - `reports/version`: the projection version a page checks its kept rows against;
//! - `reports/settled_at`: the part of a report computed at every read, from a settled one
//!   (`reports::Settled::at`: the backlog and the scorecards, at the instant);
//! - `reports/page_<name>`: each report page over loopback HTTP, signed in as a manager, as a
//!   person waits for it, with the rows and the settled report kept since the last write
//!   (`report_cache`);
//! - `reports/page_monthly_after_write`: the monthly page right after one unit's rows were
//!   written again (each iteration projects a unit anew, then reads the page): the rows read
//!   and the month settled again, as the first reader after a sync meets it;
//! - `reports/figure_cases`: the list behind the month's intake figure (first page);
//! - `reports/suggestions_xlsx`: the product suggestion table as an Excel file.
//!
//! Under `cargo test --all-targets` (no `--bench`), a smoke run on a small project instead.
#![allow(clippy::unwrap_used)] // a benchmark panics on failure, like a test

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/report_project.rs"]
mod report_project;

use std::collections::BTreeSet;

use common::TestServer;
use common::web::Browser;
use criterion::Criterion;
use plumbline_shared::clock::Clock;
use plumbline_shared::ids::UserId;
use plumbline_shared::role::Role;
use plumbline_sync_server::account_admin;
use plumbline_sync_server::reports::{self, Month, ReportInput, ReportParams, Threshold};
use plumbline_sync_server::store::Membership;
use report_project::{Params, generate, write};

const PASSWORD: &str = "good-password-1";

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    // 5 buildings × 25 floors × 8 units = 1,000 units, 20,000 findings.
    let (shape, findings) = if measuring {
        ((5, 25, 8), 20_000)
    } else {
        ((1, 3, 2), 60)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let (server, g) = rt.block_on(async {
        // Drawn against the test anchor, on a server whose clock stands there.
        let p = Params::new("bench", shape, findings, 0xBE7C_4000, common::anchor());
        let server = TestServer::start_with_clock(Clock::manual(p.now)).await;
        let mut g = generate(&p);
        write(&server.state, &mut g).await.unwrap();
        (server, g)
    });
    eprintln!(
        "reports: {} units, {} findings generated and stored in {:.1} s",
        g.units.len(),
        g.cases.len(),
        started.elapsed().as_secs_f64()
    );
    let project = g.project.clone();
    let month = Month::parse(&g.month.to_string()).unwrap();
    let params = ReportParams {
        month,
        threshold: Threshold::default(),
    };
    let browser = rt.block_on(async {
        let user = UserId::new("bench-manager").unwrap();
        let m = Membership {
            project: project.id.clone(),
            role: Role::Manager,
            contractor: None,
        };
        account_admin::add_user(&server.state, &user, "bench-manager", Some(PASSWORD), m)
            .await
            .unwrap();
        let mut b = Browser::new(&server);
        b.sign_in("bench-manager", PASSWORD).await;
        b
    });
    let rows = rt
        .block_on(server.state.store.report_rows(&project.id))
        .unwrap();
    let inspected: BTreeSet<_> = rt
        .block_on(server.state.store.unit_inspections(&project.id))
        .unwrap()
        .into_iter()
        .filter(|(_, p)| p.rounds > 0)
        .map(|(u, _)| u)
        .collect();
    let now = server.clock.now();
    let query = format!("project={}&month={month}&min_units=3", project.id);

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(5))
        .configure_from_args();
    c.bench_function("reports/rows", |b| {
        b.iter(|| {
            rt.block_on(server.state.store.report_rows(&project.id))
                .unwrap()
        })
    });
    let one_unit = [g.units[0].id.clone()];
    c.bench_function("reports/rows_of_one_unit", |b| {
        b.iter(|| {
            rt.block_on(
                server
                    .state
                    .store
                    .report_rows_of_units(&project.id, &one_unit),
            )
            .unwrap()
        })
    });
    c.bench_function("reports/unit_versions", |b| {
        b.iter(|| {
            rt.block_on(server.state.store.projection_unit_versions(&project.id))
                .unwrap()
        })
    });
    c.bench_function("reports/unit_inspections", |b| {
        b.iter(|| {
            rt.block_on(server.state.store.unit_inspections(&project.id))
                .unwrap()
        })
    });
    c.bench_function("reports/version", |b| {
        b.iter(|| {
            rt.block_on(server.state.store.projection_version(&project.id))
                .unwrap()
        })
    });
    let input = ReportInput {
        project: &project,
        rows: &rows,
        inspected: &inspected,
        now,
    };
    let settled = reports::settle(&input, &params);
    c.bench_function("reports/settled_at", |b| b.iter(|| settled.at(&input)));
    c.bench_function("reports/compute", |b| {
        b.iter(|| {
            let input = ReportInput {
                project: &project,
                rows: &rows,
                inspected: &inspected,
                now,
            };
            reports::compute(&input, &params)
        })
    });
    // Each request as a browser sends it: the session cookie, the whole body read.
    let cookie = browser.cookie_header();
    let get = |path: String| {
        let url = format!("{}{path}", browser.base);
        let (http, cookie, rt) = (browser.http.clone(), cookie.clone(), &rt);
        move || {
            rt.block_on(async {
                let res = http
                    .get(&url)
                    .header(reqwest::header::COOKIE, &cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), reqwest::StatusCode::OK, "{url}");
                res.bytes().await.unwrap().len()
            })
        }
    };
    for name in ["monthly", "suggestions", "scorecards", "satisfaction"] {
        let mut fetch = get(format!("/reports/{name}?{query}"));
        c.bench_function(&format!("reports/page_{name}"), |b| b.iter(&mut fetch));
    }
    let fetch = get(format!("/reports/monthly?{query}"));
    let unit = plumbline_shared::doc::DocId::Unit(g.units[0].id.clone());
    // The write alone, so that the page's share of the next benchmark shows.
    c.bench_function("reports/reproject", |b| {
        b.iter(|| {
            rt.block_on(plumbline_sync_server::unit_write::reproject(
                &server.state,
                &unit,
                now,
            ))
            .unwrap()
        })
    });
    // The kept report brought up to date after the write, without the page around it.
    c.bench_function("reports/kept_after_write", |b| {
        b.iter(|| {
            rt.block_on(async {
                plumbline_sync_server::unit_write::reproject(&server.state, &unit, now)
                    .await
                    .unwrap();
                server
                    .state
                    .reports
                    .report(&*server.state.store, project.clone(), &params, now)
                    .await
                    .unwrap()
            })
        })
    });
    c.bench_function("reports/page_monthly_after_write", |b| {
        b.iter(|| {
            rt.block_on(plumbline_sync_server::unit_write::reproject(
                &server.state,
                &unit,
                now,
            ))
            .unwrap();
            fetch()
        })
    });
    let mut fetch = get(format!("/reports/cases?{query}&figure=intake"));
    c.bench_function("reports/figure_cases", |b| b.iter(&mut fetch));
    let mut fetch = get(format!("/reports/suggestions.xlsx?{query}"));
    c.bench_function("reports/suggestions_xlsx", |b| b.iter(&mut fetch));
    c.final_summary();
}
