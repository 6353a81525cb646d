//! Work-group robots: a project's reminders reach its 企业微信 robot once each, as the
//! platform's text message; a failing robot is retried after a wait and the failure is shown to
//! the administrator; a bad address is refused with a sentence and changes nothing.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use plumbline_shared::clock::Clock;
use plumbline_shared::role::Role;
use plumbline_shared::time::HOUR_MS;
use plumbline_sync_server::webhook::{self, Pass};
use reqwest::StatusCode;

use crate::common::robot::Robot;
use crate::common::web::{Browser, cases, csrf_of, first_case_link, issue_notice, staff};
use crate::common::{TestServer, anchor};

#[tokio::test]
async fn reminders_reach_the_work_group_once_and_failures_are_retried_and_shown() {
    let robot = Robot::default();
    let url = robot.start().await;
    let clock = Clock::manual(anchor());
    // The background sender is off: the test sends at the instants it chooses.
    let server =
        TestServer::start_configured(clock.clone(), |c| c.notify.webhook_every_secs = 0).await;
    let robots = webhook::client(&server.state.config.notify).unwrap();
    staff(&server, "guanli", Role::Admin).await;
    staff(&server, "zhaomin", Role::Manager).await;
    let _phone = cases(&server, 1).await;

    // The administrator sets the robot; a bad address is refused and changes nothing.
    let mut admin = Browser::new(&server);
    admin.sign_in("guanli", "good-password-1").await;
    let page = admin.get("/admin/webhooks").await;
    assert_eq!(page.status, StatusCode::OK);
    let token = csrf_of(&page.body);
    let form = format!("/admin/projects/{}/webhook", server.project.id);
    for bad in ["ftp://robot.example/send", "not an address", "http://"] {
        let page = admin
            .post(&form, &[("csrf", &token), ("kind", "wecom"), ("url", bad)])
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(page.body.contains("机器人地址须是完整的"), "{}", page.body);
    }
    assert_eq!(
        server
            .state
            .store
            .webhook(&server.project.id)
            .await
            .unwrap(),
        None
    );
    let page = admin
        .post(&form, &[("csrf", &token), ("kind", "wecom"), ("url", &url)])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    // A notice at 09:00; at 12:00 its reminder is recorded and queued for the robot.
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let list = b.get("/cases").await;
    let link = first_case_link(&list.body);
    let page = issue_notice(&mut b, &link, &csrf_of(&list.body)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let issued = clock.now();
    clock.set(issued.plus_ms(3 * HOUR_MS));
    let _ = b.get("/inbox").await; // any read derives due cases again

    // The robot is busy the first time: the failure is recorded and shown, not retried at once.
    *robot.fail.lock().unwrap() = 1;
    let now = clock.now();
    let pass = webhook::deliver_due(&server.state, &robots, now)
        .await
        .unwrap();
    assert_eq!(
        pass,
        Pass {
            delivered: 0,
            failed: 1
        }
    );
    let again = webhook::deliver_due(&server.state, &robots, now)
        .await
        .unwrap();
    assert_eq!(again, Pass::default());
    let page = admin.get("/admin/webhooks").await;
    assert!(page.body.contains("第 1 次失败"), "{}", page.body);
    assert!(page.body.contains("500"), "{}", page.body);

    // Thirty seconds later it goes through, once.
    clock.advance(30_000);
    let pass = webhook::deliver_due(&server.state, &robots, clock.now())
        .await
        .unwrap();
    assert_eq!(
        pass,
        Pass {
            delivered: 1,
            failed: 0
        }
    );
    assert_eq!(
        webhook::deliver_due(&server.state, &robots, clock.now())
            .await
            .unwrap(),
        Pass::default()
    );
    let page = admin.get("/admin/webhooks").await;
    assert!(page.body.contains("已送达"), "{}", page.body);

    // At 13:00:00.001, the escalation and the S1 proposal: two more messages, once each.
    clock.set(issued.plus_ms(4 * HOUR_MS + 1));
    let _ = b.get("/inbox").await;
    let pass = webhook::deliver_due(&server.state, &robots, clock.now())
        .await
        .unwrap();
    assert_eq!(
        pass,
        Pass {
            delivered: 2,
            failed: 0
        }
    );
    let _ = b.get("/inbox").await;
    assert_eq!(
        webhook::deliver_due(&server.state, &robots, clock.now())
            .await
            .unwrap(),
        Pass::default()
    );

    let got = robot.got.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        4,
        "one failed attempt, then three messages: {got:?}"
    );
    for body in &got {
        assert_eq!(body["msgtype"], "text");
    }
    let texts: Vec<&str> = got[1..]
        .iter()
        .map(|b| b["text"]["content"].as_str().unwrap())
        .collect();
    assert!(texts[0].starts_with("【4小时响应即将到期】"), "{texts:?}");
    assert!(texts[0].contains("卫生间闭水试验渗漏到楼下"), "{texts:?}");
    assert!(texts[0].contains("提醒 zhaomin（经理）"), "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("【响应超时】") && t.contains("升级至"))
    );
    assert!(texts.iter().any(|t| t.starts_with("【建议启动应急维修】")));

    // Removed: nothing more is queued for it.
    let page = admin
        .post(&form, &[("csrf", &token), ("kind", "wecom"), ("url", "")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        server
            .state
            .store
            .webhook(&server.project.id)
            .await
            .unwrap(),
        None
    );
}
