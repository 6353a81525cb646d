//! A project's own time limits: set on the administration page (or by an administrator's
//! device), checked against the same bounds on both paths, and followed by the project's
//! deadlines and reminders at once.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use plumbline_shared::clock::Clock;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::project::ProjectDoc;
use plumbline_shared::role::Role;
use plumbline_shared::time::{HOUR_MS, MINUTE_MS, Timestamp};
use plumbline_shared::workflow::WorkflowSettings;
use reqwest::StatusCode;

use crate::common::web::{Browser, case_links, cases, csrf_of, issue_notice, staff};
use crate::common::{TestServer, anchor};

/// The settings form with every field at the defaults except `changed`.
fn form<'a>(csrf: &'a str, changed: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut out = vec![
        ("csrf", csrf),
        ("response_hours", "4"),
        ("lead_minutes", "60"),
        ("return_hours", "48"),
        ("callback_hours", "48"),
        ("evidence_hours", "24"),
        ("approval_days", "1"),
    ];
    for (k, v) in changed {
        out.iter_mut().find(|(name, _)| name == k).unwrap().1 = v;
    }
    out
}

#[tokio::test]
async fn an_administrator_shortens_the_project_s_limits_and_its_reminder_and_deadline_follow() {
    let clock = Clock::manual(anchor()); // 09:00 in Beijing
    let server = TestServer::start_with_clock(clock.clone()).await;
    let project = server.project.id.clone();
    let path = format!("/admin/projects/{project}/workflow");
    staff(&server, "guanli", Role::Admin).await;
    staff(&server, "zhaomin", Role::Manager).await;
    let mut admin = Browser::new(&server);
    admin.sign_in("guanli", "good-password-1").await;
    let page = admin.get("/admin/projects").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("时限设置"), "{}", page.body);
    assert!(
        page.body.contains("name=\"lead_minutes\" value=\"60\""),
        "{}",
        page.body
    );
    let token = csrf_of(&page.body);

    // Refused with a sentence, nothing written: a lead as long as the window, a window below
    // its bound, a word for a number.
    for (changed, says) in [
        (("lead_minutes", "240"), "须短于响应时限"),
        (("response_hours", "0"), "“响应时限”须在 1 至 72 小时之间"),
        (("approval_days", "two"), "须填写整数"),
    ] {
        let page = admin.post(&path, &form(&token, &[changed])).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{changed:?}");
        assert!(page.body.contains(says), "{changed:?}: {}", page.body);
    }
    assert_eq!(
        server.state.settings_of(&project),
        WorkflowSettings::default()
    );

    // Two hours to respond, reminded half an hour before.
    let page = admin
        .post(
            &path,
            &form(&token, &[("response_hours", "2"), ("lead_minutes", "30")]),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = admin.get("/admin/projects").await;
    assert!(
        page.body.contains("name=\"lead_minutes\" value=\"30\""),
        "{}",
        page.body
    );
    // The project document holds them, so every phone of the project derives the same.
    let foreman = server.device("zhougang", Role::Contractor).await;
    let mut foreman = foreman;
    foreman.sync().await;
    let doc = foreman.docs.get(&DocId::Project(project.clone())).unwrap();
    let held = ProjectDoc::load(&doc.clone().save())
        .unwrap()
        .project()
        .unwrap()
        .workflow;
    assert_eq!(held.response_window_ms, 2 * HOUR_MS);
    assert_eq!(held.reminder_lead_ms, 30 * MINUTE_MS);

    // 09:15 a notice: due 11:15, reminded 10:45 (not 10:15), overdue after 11:15.
    let _phone = cases(&server, 1).await;
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let list = b.get("/cases").await;
    let link = case_links(&list.body).remove(0);
    clock.advance(15 * MINUTE_MS);
    let issued = clock.now();
    let page = issue_notice(&mut b, &link, &csrf_of(&list.body)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let kinds = |rows: Vec<serde_json::Value>| -> Vec<String> {
        rows.iter()
            .map(|r| r["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    clock.set(issued.plus_ms(HOUR_MS)); // the default lead's instant
    assert!(kinds(foreman.get_json("/notifications").await).is_empty());
    clock.set(issued.plus_ms(90 * MINUTE_MS).plus_ms(-1));
    assert!(kinds(foreman.get_json("/notifications").await).is_empty());
    clock.set(issued.plus_ms(90 * MINUTE_MS));
    assert_eq!(
        kinds(foreman.get_json("/notifications").await),
        ["response_due_soon"]
    );
    let overdue = |body: &str| body.contains("响应超时");
    clock.set(issued.plus_ms(2 * HOUR_MS));
    assert!(!overdue(&b.get(&link).await.body));
    clock.set(issued.plus_ms(2 * HOUR_MS).plus_ms(1));
    assert!(overdue(&b.get(&link).await.body));
}

#[tokio::test]
async fn an_administrator_s_device_may_change_the_limits_only_within_their_bounds() {
    let server = TestServer::start().await;
    let _phone = crate::common::web::cases(&server, 1).await;
    let project = server.project.id.clone();
    let doc_id = DocId::Project(project.clone());
    let mut device = server.device("guanli", Role::Admin).await;
    device.sync().await;
    let write = |device: &mut crate::common::Device, change: fn(&mut WorkflowSettings)| {
        let mut doc = ProjectDoc::load(&device.docs[&doc_id].clone().save()).unwrap();
        let mut p = doc.project().unwrap();
        change(&mut p.workflow);
        doc.update(&p, &device.actor.device, device.clock.now())
            .unwrap();
        device
            .docs
            .insert(doc_id.clone(), doc.automerge_mut().clone());
    };

    write(&mut device, |s| s.response_window_ms = 10 * MINUTE_MS);
    let report = device.sync().await;
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert!(
        report.refused[0].1.contains("workflow settings"),
        "{report:?}"
    );
    assert_eq!(
        server.state.settings_of(&project),
        WorkflowSettings::default()
    );

    // A device that was refused starts again from the server's copy.
    let mut device = server.device("guanli", Role::Admin).await;
    device.sync().await;
    write(&mut device, |s| s.callback_window_ms = 72 * HOUR_MS);
    let before = server.state.store.next_verdict_change().await.unwrap();
    assert_ne!(before, Some(Timestamp(0)));
    let report = device.sync().await;
    assert!(report.refused.is_empty(), "{report:?}");
    assert_eq!(
        server.state.settings_of(&project).callback_window_ms,
        72 * HOUR_MS
    );
    // The project's cases are due for deriving again under the new limits, as after the page.
    assert_eq!(
        server.state.store.next_verdict_change().await.unwrap(),
        Some(Timestamp(0))
    );
}
