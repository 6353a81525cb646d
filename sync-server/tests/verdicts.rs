//! Verdicts true at the instant they are read: a notice's four-hour window is judged at
//! deadline − 1 ms, at the deadline and at deadline + 1 ms through the case API, the case list's
//! queues, the case page, the dashboard, the export, the contractor scorecard (and the list
//! behind its figure) and the phone's own derivation, with
//! nothing written in between — only the clock moves.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use plumbline_shared::clock::Clock;
use plumbline_shared::doc::DocId;
use plumbline_shared::role::Role;
use plumbline_shared::time::{HOUR_MS, Timestamp};
use reqwest::StatusCode;

use crate::common::web::{Browser, cases, csrf_of, figure, first_case_link, issue_notice, staff};
use crate::common::{Device, TestServer, anchor};
use plumbline_shared::workflow::WorkflowSettings;

/// The one case's row as `GET /api/v1/cases` gives it to `device`.
async fn api_row(server: &TestServer, device: &Device) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = device
        .get_json(&format!("/cases?project={}", server.project.id))
        .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().unwrap()
}

/// The exact value of the report figure `key` on a report page.
fn figure_value(html: &str, key: &str) -> String {
    let at = html
        .find(&format!("id=\"fig-{key}\""))
        .unwrap_or_else(|| panic!("no figure {key} in {html}"));
    let rest = &html[at..];
    let value = &rest[rest.find("data-value=\"").unwrap() + "data-value=\"".len()..];
    value[..value.find('"').unwrap()].to_owned()
}

/// How many cases a list page shows.
async fn listed(b: &mut Browser, path: &str) -> usize {
    let page = b.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}");
    page.body.matches("<tr class=").count()
}

#[tokio::test]
async fn a_silent_contractor_is_overdue_one_millisecond_after_the_window_everywhere() {
    let clock = Clock::manual(anchor());
    let server = TestServer::start_with_clock(clock.clone()).await;
    staff(&server, "zhaomin", Role::Manager).await;
    let mut phone = cases(&server, 1).await;
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let list = b.get("/cases").await;
    let link = first_case_link(&list.body);
    let token = csrf_of(&list.body);

    // The notice goes out at 09:15; its four hours end at 13:15.
    clock.advance(15 * 60_000);
    let issued: Timestamp = clock.now();
    let page = issue_notice(&mut b, &link, &token).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let deadline = issued.plus_ms(4 * HOUR_MS);
    let unit = DocId::Unit(server.project.units().next().unwrap().1.id.clone());
    let heads = server.state.store.doc_heads(&unit).await.unwrap();

    for (at, overdue) in [
        (deadline.plus_ms(-1), false),
        (deadline, false),
        (deadline.plus_ms(1), true),
    ] {
        clock.set(at);
        let row = api_row(&server, &phone).await;
        assert_eq!(row["response_overdue"], overdue, "API at {at}: {row}");
        assert_eq!(row["emergency_required"], overdue, "API at {at}: {row}");
        let penalties = row["penalties"].as_array().unwrap().clone();
        assert_eq!(
            penalties.contains(&serde_json::json!(2)),
            overdue,
            "API at {at}: {row}"
        );
        let n = usize::from(overdue);
        assert_eq!(
            listed(&mut b, "/cases?queue=response_overdue").await,
            n,
            "{at}"
        );
        assert_eq!(listed(&mut b, "/cases?queue=emergency").await, n, "{at}");
        let detail = b.get(&link).await;
        assert_eq!(
            detail.body.contains("class=\"overdue\""),
            overdue,
            "the case page at {at}"
        );
        // The dashboard's figures and the export count the same.
        let dashboard = b.get("/dashboard").await.body;
        for label in ["4小时响应超时", "需启动应急维修"] {
            assert_eq!(figure(&dashboard, label).0, n as u64, "{label} at {at}");
        }
        let csv = b.get("/cases/export.csv?queue=response_overdue").await.body;
        assert_eq!(csv.lines().count(), 1 + n, "the export at {at}: {csv}");
        // The contractor's scorecard: the response promise missed, or still pending; the list
        // behind the figure holds the same count.
        let cards = b.get("/reports/scorecards").await;
        assert_eq!(cards.status, StatusCode::OK, "{}", cards.body);
        for (figure, count) in [("response_missed", n), ("response_pending", 1 - n)] {
            let key = format!("score.hengzhu-civil.{figure}");
            assert_eq!(
                figure_value(&cards.body, &key),
                count.to_string(),
                "the scorecard's {figure} at {at}"
            );
            let list = b.get(&format!("/reports/cases?figure={key}")).await;
            assert_eq!(list.status, StatusCode::OK, "{}", list.body);
            assert_eq!(
                list.body.matches("<td><a href=\"/cases/").count(),
                count,
                "the list behind {figure} at {at}"
            );
        }
        // The phone, deriving from its own copy at its own clock, agrees.
        phone.sync().await;
        let record = phone.unit(&unit).read().unwrap();
        let state = record
            .findings
            .values()
            .next()
            .unwrap()
            .state(at, &WorkflowSettings::default());
        assert_eq!(state.response_overdue, overdue, "the phone at {at}");
        assert_eq!(state.emergency_required, overdue, "the phone at {at}");
    }
    // Nothing was written to make it so: the same documents, only the clock moved.
    assert_eq!(server.state.store.doc_heads(&unit).await.unwrap(), heads);
}

#[tokio::test]
async fn rows_projected_before_a_deadline_are_derived_again_only_once_it_passed() {
    let clock = Clock::manual(anchor());
    let server = TestServer::start_with_clock(clock.clone()).await;
    staff(&server, "zhaomin", Role::Manager).await;
    let _phone = cases(&server, 1).await;
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let list = b.get("/cases").await;
    let link = first_case_link(&list.body);
    let token = csrf_of(&list.body);
    issue_notice(&mut b, &link, &token).await;
    // First the reminder an hour before the window closes, then the window itself.
    let issued = clock.now();
    let next = server.state.store.next_verdict_change().await.unwrap();
    assert_eq!(next, Some(issued.plus_ms(3 * HOUR_MS)));
    let refresh = |at| plumbline_sync_server::verdicts::refresh_due(&server.state, at);
    assert_eq!(refresh(issued.plus_ms(3 * HOUR_MS - 1)).await.unwrap(), 0);
    assert_eq!(refresh(issued.plus_ms(3 * HOUR_MS)).await.unwrap(), 1);
    let next = server.state.store.next_verdict_change().await.unwrap();
    assert_eq!(next, Some(issued.plus_ms(4 * HOUR_MS + 1)));
    assert_eq!(refresh(issued.plus_ms(4 * HOUR_MS)).await.unwrap(), 0);
    assert_eq!(refresh(issued.plus_ms(4 * HOUR_MS + 1)).await.unwrap(), 1);
    // Derived again: the next change is the repair deadline, three days on.
    let after = server
        .state
        .store
        .next_verdict_change()
        .await
        .unwrap()
        .unwrap();
    assert!(after > clock.now().plus_ms(2 * 24 * HOUR_MS), "{after}");
}
