//! The clock that acts: a notice's reminders and escalations come at their instants, once,
//! to the people the rules name, on the case's timeline, in the office inbox and on the phone;
//! a disputed notice's clock stops and nothing fires for it.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use plumbline_shared::clock::Clock;
use plumbline_shared::doc::DocId;
use plumbline_shared::role::Role;
use plumbline_shared::time::{HOUR_MS, MINUTE_MS};
use plumbline_sync_server::build_state;
use plumbline_sync_server::config::Config;
use plumbline_sync_server::store::Page;
use plumbline_sync_server::{unit_write, verdicts};
use reqwest::StatusCode;

use crate::common::web::{Browser, case_links, cases, csrf_of, issue_notice, staff};
use crate::common::{Device, TestServer, anchor};

/// The kinds of the phone's notifications, oldest first.
async fn phone_kinds(device: &Device) -> Vec<String> {
    let rows: Vec<serde_json::Value> = device.get_json("/notifications").await;
    let mut kinds: Vec<String> = rows
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.reverse();
    kinds
}

#[tokio::test]
async fn a_silent_contractor_is_reminded_then_escalated_once_and_a_dispute_stops_the_clock() {
    let clock = Clock::manual(anchor()); // 09:00 in Beijing
    let server = TestServer::start_with_clock(clock.clone()).await;
    staff(&server, "zhaomin", Role::Manager).await;
    staff(&server, "liqiang", Role::Coordinator).await;
    let foreman = server.device("zhougang", Role::Contractor).await;
    let _phone = cases(&server, 2).await; // an S1 leak and an S3 hollow wall
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let list = b.get("/cases").await;
    let links = case_links(&list.body);
    assert_eq!(links.len(), 2, "{}", list.body);
    let token = csrf_of(&list.body);

    // 09:15: both notices go out; their four hours end at 13:15.
    clock.advance(15 * MINUTE_MS);
    let issued = clock.now();
    for link in &links {
        let page = issue_notice(&mut b, link, &token).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let (leak, wall) = {
        let first = b.get(&links[0]).await.body;
        // The page's title names the case (other findings of the unit appear further down).
        if first.contains(" · 卫生间闭水试验渗漏到楼下</h1>") {
            (links[0].clone(), links[1].clone())
        } else {
            (links[1].clone(), links[0].clone())
        }
    };

    // 11:20: the wall's contractor disputes; its clock stops.
    clock.set(issued.plus_ms(2 * HOUR_MS + 5 * MINUTE_MS));
    let page = b
        .post(
            &format!("{wall}/step"),
            &[
                ("csrf", token.as_str()),
                ("step", "disputed"),
                ("text", "不属于我方施工范围"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    // 12:14:59.999: nothing yet.
    let reminder_at = issued.plus_ms(3 * HOUR_MS);
    clock.set(reminder_at.plus_ms(-1));
    assert!(phone_kinds(&foreman).await.is_empty());

    // 12:15: the foreman (on the phone) and the notice's issuer are reminded, about the leak only.
    clock.set(reminder_at);
    assert_eq!(phone_kinds(&foreman).await, ["response_due_soon"]);
    let inbox = b.get("/inbox").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert_eq!(
        inbox
            .body
            .matches("data-kind=\"response_due_soon\"")
            .count(),
        1
    );
    assert!(
        inbox.body.contains("id=\"unread-count\">1<"),
        "{}",
        inbox.body
    );

    // 13:15 exactly: still in time. 13:15:00.001: 响应超时, escalated to the manager and the
    // coordinator, and emergency repair proposed at once for the S1 leak.
    let deadline = issued.plus_ms(4 * HOUR_MS);
    clock.set(deadline);
    let inbox = b.get("/inbox").await;
    assert_eq!(
        inbox.body.matches("data-kind=\"response_overdue\"").count(),
        0
    );
    clock.set(deadline.plus_ms(1));
    let inbox = b.get("/inbox").await;
    assert_eq!(
        inbox.body.matches("data-kind=\"response_overdue\"").count(),
        1
    );
    assert_eq!(
        inbox
            .body
            .matches("data-kind=\"emergency_proposed\"")
            .count(),
        1
    );
    let coordinator = plumbline_shared::ids::UserId::new("liqiang").unwrap();
    let theirs = server
        .state
        .store
        .notifications(
            &coordinator,
            None,
            false,
            Page {
                offset: 0,
                limit: 50,
            },
        )
        .await
        .unwrap();
    let kinds: Vec<&str> = theirs.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["emergency_proposed", "response_overdue"]);
    // The foreman is not escalated to; the phone still has its one reminder.
    assert_eq!(phone_kinds(&foreman).await, ["response_due_soon"]);
    // The leak is in the emergency queue; the disputed wall in no overdue queue.
    let queue = b.get("/cases?queue=emergency").await.body;
    assert_eq!(queue.matches("<tr class=").count(), 1);

    // On the leak's timeline, with names and roles.
    let page = b.get(&leak).await.body;
    assert!(
        page.contains("提醒 zhaomin（经理）、zhougang（施工单位）")
            || page.contains("提醒 zhougang（施工单位）、zhaomin（经理）"),
        "{page}"
    );
    assert!(
        page.contains("升级至 liqiang（总协调员）、zhaomin（经理）")
            || page.contains("升级至 zhaomin（经理）、liqiang（总协调员）"),
        "{page}"
    );
    assert!(page.contains("响应超时"), "{page}");
    // Nothing at all for the disputed notice, even hours later.
    clock.set(deadline.plus_ms(5 * HOUR_MS));
    let _ = b.get("/inbox").await;
    let finding_of = |link: &str| link.rsplit('/').next().unwrap().parse().unwrap();
    assert!(
        server
            .state
            .store
            .case_notifications(&finding_of(&wall))
            .await
            .unwrap()
            .is_empty()
    );

    // Exactly once: the same reminders computed again — here, by a second server on the same
    // database, as after a restart or on another replica — record nothing new.
    let before = server
        .state
        .store
        .case_notifications(&finding_of(&leak))
        .await
        .unwrap();
    let config = Config::for_data_dir(
        &server.state.config.data_dir,
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let replica = build_state(config, clock.clone()).await.unwrap();
    let unit = DocId::Unit(server.project.units().next().unwrap().1.id.clone());
    unit_write::reproject(&replica, &unit, clock.now())
        .await
        .unwrap();
    unit_write::reproject(&server.state, &unit, clock.now())
        .await
        .unwrap();
    verdicts::refresh_due(&replica, clock.now()).await.unwrap();
    let after = server
        .state
        .store
        .case_notifications(&finding_of(&leak))
        .await
        .unwrap();
    assert_eq!(before, after);
    // reminder: the foreman and the issuer; escalation and proposal: manager and coordinator.
    assert_eq!(after.len(), 6, "{after:?}");

    // Read: the bell goes out.
    let inbox = b.get("/inbox").await;
    let token = csrf_of(&inbox.body);
    let page = b
        .post("/inbox/read", &[("csrf", token.as_str()), ("id", "all")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let inbox = b.get("/inbox").await;
    assert!(
        !inbox.body.contains("id=\"unread-count\""),
        "{}",
        inbox.body
    );
    let inbox = b.get("/inbox?kind=nonsense").await;
    assert_eq!(inbox.status, StatusCode::BAD_REQUEST);
}
