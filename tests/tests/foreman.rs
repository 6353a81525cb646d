//! The contractor foreman's phone against a real sync server: the company's assigned findings
//! arrive and stay readable offline; "on site now" tapped with no signal is sent later and
//! counts from when it was tapped; "repair done" carries its photos; a refused answer keeps
//! the server's reason; signing out asks before dropping what is still queued.

#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use plumbline_app::account::SignOutError;
use plumbline_app::contractor::ForemanStep;
use plumbline_app::{Engine, NewPhoto};
use plumbline_shared::doc::unit::NewFinding;
use plumbline_shared::event::{EventKind, Origin};
use plumbline_shared::ids::ContractorId;
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::Status;
use plumbline_tests::{TestServer, fake_jpeg};

fn photo(seed: u64) -> NewPhoto {
    NewPhoto {
        jpeg: fake_jpeg(40_000, seed),
        thumbnail: fake_jpeg(2_000, seed + 1),
        thumb_width: 320,
        thumb_height: 240,
        width: 2048,
        height: 1536,
        captured_at: plumbline_tests::anchor(),
        location: None,
        pin: None,
    }
}

async fn enrolled(server: &TestServer, login: &str, role: Role, dir: &tempfile::TempDir) -> Engine {
    let engine = Engine::open(dir.path(), server.clock.clone()).unwrap();
    let code = server.code_for(login, role).await.unwrap();
    engine
        .enroll(&server.base_url(), &code, &format!("{login} phone"))
        .await
        .unwrap();
    engine.sync().await.unwrap();
    engine
}

/// The inspector records a kitchen-drain finding on `unit` and syncs it; the office then
/// issues notice ZG-2026-0801 to 恒筑 (hengzhu-civil) with three days to repair.
async fn notified_drain(
    server: &TestServer,
    inspector: &Engine,
    unit: &plumbline_shared::ids::UnitId,
    description: &str,
) -> plumbline_shared::ids::FindingId {
    let drain = NewFinding {
        origin: Origin::Inspection,
        round: None,
        room: "kitchen".parse().unwrap(),
        item: "kitchen.drain".parse().unwrap(),
        category: "plumbing".parse().unwrap(),
        severity: Severity::S3,
        description: description.into(),
    };
    notified(server, inspector, unit, drain, "ZG-2026-0801").await
}

/// The inspector records `finding` on `unit` and syncs it; the office then issues notice
/// `notice_no` to 恒筑 (hengzhu-civil) with three days to repair (notices carry the server's
/// numbers, so no phone issues them).
async fn notified(
    server: &TestServer,
    inspector: &Engine,
    unit: &plumbline_shared::ids::UnitId,
    finding: NewFinding,
    notice_no: &str,
) -> plumbline_shared::ids::FindingId {
    let (id, actor, at) = inspector
        .edit_unit(unit, |u, actor, at| {
            Ok((u.record_finding(actor, at, finding)?, actor.clone(), at))
        })
        .unwrap();
    let report = inspector.sync().await.unwrap();
    assert!(report.refused.is_empty(), "{report:?}");
    let notice = EventKind::NoticeIssued {
        notice_no: notice_no.into(),
        contractor: ContractorId::new("hengzhu-civil").unwrap(),
        repair_deadline: Timestamp(at.0 + 3 * 86_400_000),
    };
    server
        .office_event(unit, &id, &actor, notice)
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn a_foreman_answers_offline_and_the_answers_count_from_when_they_were_given() {
    let mut server = TestServer::start().await.unwrap();
    let unit = server.project.units().next().unwrap().1.id.clone();

    // An inspector records two findings; the office issues notices to 恒筑 (civil) for both.
    let inspector_dir = tempfile::tempdir().unwrap();
    let inspector = enrolled(&server, "wangli", Role::Inspector, &inspector_dir).await;
    let mut findings = Vec::new();
    for description in ["卫生间地漏渗水", "客厅墙面空鼓"] {
        let leak = NewFinding {
            origin: Origin::Inspection,
            round: None,
            room: "bathroom".parse().unwrap(),
            item: "bathroom.ponding_test".parse().unwrap(),
            category: "waterproofing".parse().unwrap(),
            severity: Severity::S2,
            description: description.into(),
        };
        let notice_no = format!("ZG-2026-07{}", description.len());
        findings.push(notified(&server, &inspector, &unit, leak, &notice_no).await);
    }
    inspector.sync().await.unwrap();

    // The foreman's phone holds no unit documents, only the company's task list.
    let foreman_dir = tempfile::tempdir().unwrap();
    let foreman = enrolled(&server, "zhougang", Role::Contractor, &foreman_dir).await;
    assert!(foreman.units().unwrap().is_empty(), "no unit documents");
    let tasks = foreman.refresh_tasks(&server.project.id).await.unwrap();
    assert_eq!(tasks.cases.len(), 2, "{tasks:?}");
    assert!(
        tasks
            .cases
            .iter()
            .all(|c| c.case.status == Status::Notified)
    );

    // No signal: the list is still there, and "on site now" is recorded at the tap.
    server.stop().await.unwrap();
    let offline = foreman.cached_tasks(&server.project.id).unwrap();
    assert_eq!(offline.cases, tasks.cases);
    assert!(foreman.refresh_tasks(&server.project.id).await.is_err());
    let first = tasks
        .cases
        .iter()
        .find(|c| c.case.finding == findings[0])
        .unwrap();
    let second = tasks
        .cases
        .iter()
        .find(|c| c.case.finding == findings[1])
        .unwrap();
    let tapped = server.clock.now();
    foreman
        .foreman_act(
            first,
            ForemanStep::OnSite {
                note: "已到场".into(),
            },
            Vec::new(),
        )
        .unwrap();
    assert!(foreman.sync().await.is_err(), "offline");
    assert_eq!(
        foreman.outbox().unwrap().actions.len(),
        1,
        "queued, not lost"
    );

    // Signing out now would drop the queued answer: it asks first.
    match foreman.sign_out(false) {
        Err(SignOutError::Unsynced(work)) => assert_eq!(work.records, 1),
        other => panic!("sign-out should ask first: {other:?}"),
    }

    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    server.restart().await.unwrap();
    foreman.sync().await.unwrap();
    assert!(foreman.outbox().unwrap().actions.is_empty());
    let cases = server.cases_of(&unit).await.unwrap();
    let case = &cases
        .iter()
        .find(|c| c.case.finding == findings[0])
        .unwrap()
        .case;
    assert_eq!(case.status, Status::InRepair);

    // The event carries the tap's time, not the sync's.
    inspector.sync().await.unwrap();
    let record = inspector.unit(&unit).unwrap();
    let finding = &record.findings[&findings[0]];
    let responded = finding
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::ContractorResponded { .. }))
        .unwrap();
    assert!(
        (responded.at.0 - tapped.0).abs() < 5_000,
        "recorded at the tap ({}), not at the sync",
        tapped.0
    );
    assert_eq!(
        finding
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::ContractorResponded { .. }))
            .count(),
        1
    );

    // Repair done with two photos: the office sees the report and the photos arrive.
    let first = foreman
        .refresh_tasks(&server.project.id)
        .await
        .unwrap()
        .cases
        .into_iter()
        .find(|c| c.case.finding == findings[0])
        .unwrap();
    foreman
        .foreman_act(
            &first,
            ForemanStep::RepairDone {
                note: "已更换地漏".into(),
            },
            vec![photo(1), photo(2)],
        )
        .unwrap();
    // A dispute of the second finding the company does not accept.
    foreman
        .foreman_act(
            second,
            ForemanStep::Dispute {
                reason: "非我方施工".into(),
            },
            Vec::new(),
        )
        .unwrap();
    foreman.sync().await.unwrap();
    assert!(foreman.outbox().unwrap().is_empty());
    let cases = server.cases_of(&unit).await.unwrap();
    let status = |id| {
        cases
            .iter()
            .find(|c| &c.case.finding == id)
            .unwrap()
            .case
            .status
    };
    assert_eq!(status(&findings[0]), Status::RepairReported);
    assert_eq!(status(&findings[1]), Status::Disputed);
    let evidence = server
        .state
        .store
        .evidence_status(std::slice::from_ref(&server.project.id), Some(&unit))
        .await
        .unwrap();
    assert_eq!(
        (evidence.referenced, evidence.arrived),
        (2, 2),
        "{evidence:?}"
    );

    // An answer the server refuses (a finding that is not the company's, or no longer there)
    // keeps the server's reason on the phone and is not sent again.
    let mut stranger = second.clone();
    stranger.case.finding = plumbline_shared::ids::FindingId::random();
    foreman
        .foreman_act(
            &stranger,
            ForemanStep::OnSite {
                note: String::new(),
            },
            Vec::new(),
        )
        .unwrap();
    foreman.sync().await.unwrap();
    let outbox = foreman.outbox().unwrap();
    assert_eq!(outbox.actions.len(), 1, "{outbox:?}");
    assert!(
        outbox.actions[0]
            .refused
            .as_deref()
            .is_some_and(|r| r.contains("not found")),
        "{outbox:?}"
    );
    foreman.sync().await.unwrap();
    assert_eq!(
        foreman.outbox().unwrap().actions.len(),
        1,
        "not sent again, not dropped"
    );
}

/// The inspector's side of the same case: the repair the foreman reported is checked on site
/// and rejected with a reason and a photo, which reopens the repair; then accepted. Signing the
/// foreman's phone out once everything is sent deletes its data and its account.
#[tokio::test]
async fn a_reported_repair_is_rejected_then_accepted_on_site_and_a_clean_phone_signs_out() {
    let server = TestServer::start().await.unwrap();
    let unit = server.project.units().next().unwrap().1.id.clone();
    let inspector_dir = tempfile::tempdir().unwrap();
    let inspector = enrolled(&server, "wangli", Role::Inspector, &inspector_dir).await;
    let finding = notified_drain(&server, &inspector, &unit, "水槽下水慢").await;
    inspector.sync().await.unwrap();

    let foreman_dir = tempfile::tempdir().unwrap();
    let foreman = enrolled(&server, "zhougang", Role::Contractor, &foreman_dir).await;
    let case = foreman
        .refresh_tasks(&server.project.id)
        .await
        .unwrap()
        .cases
        .remove(0);
    foreman
        .foreman_act(
            &case,
            ForemanStep::OnSite {
                note: String::new(),
            },
            Vec::new(),
        )
        .unwrap();
    foreman
        .foreman_act(
            &case,
            ForemanStep::RepairDone {
                note: "已疏通".into(),
            },
            vec![photo(7)],
        )
        .unwrap();
    foreman.sync().await.unwrap();

    inspector.sync().await.unwrap();
    let status = |engine: &Engine| {
        engine.unit(&unit).unwrap().findings[&finding]
            .state(server.clock.now(), &Default::default())
            .status
    };
    assert_eq!(status(&inspector), Status::RepairReported);
    inspector
        .record_acceptance(&unit, &finding, false, "仍然积水".into(), vec![photo(8)])
        .unwrap();
    inspector.sync().await.unwrap();
    let on_server = |cases: Vec<plumbline_sync_server::store::CaseRecord>| {
        cases
            .into_iter()
            .find(|c| c.case.finding == finding)
            .unwrap()
            .case
    };
    let case_row = on_server(server.cases_of(&unit).await.unwrap());
    assert_eq!(
        case_row.status,
        Status::InRepair,
        "a rejected repair is repaired again"
    );
    assert_eq!(
        case_row.evidence_refs, 2,
        "the repair's photo and the inspector's"
    );

    foreman
        .foreman_act(
            &case,
            ForemanStep::RepairDone {
                note: "重新疏通".into(),
            },
            vec![photo(9)],
        )
        .unwrap();
    foreman.sync().await.unwrap();
    inspector.sync().await.unwrap();
    inspector
        .record_acceptance(&unit, &finding, true, "合格".into(), Vec::new())
        .unwrap();
    inspector.sync().await.unwrap();
    let case_row = on_server(server.cases_of(&unit).await.unwrap());
    assert_eq!(case_row.status, Status::Accepted);

    // Everything is on the server: signing out needs no question and leaves nothing behind.
    assert!(foreman.outbox().unwrap().is_empty());
    foreman.sign_out(false).unwrap();
    assert!(foreman.identity().is_none());
    assert!(
        foreman
            .cached_tasks(&server.project.id)
            .unwrap()
            .cases
            .is_empty()
    );
    assert!(foreman.outbox().unwrap().is_empty());
}

#[tokio::test]
async fn the_foremans_phone_shows_the_reminder_at_its_sync_and_keeps_it_offline() {
    use plumbline_shared::clock::Clock;
    use plumbline_shared::time::HOUR_MS;
    use plumbline_shared::workflow::reminder::ReminderKind;

    let clock = Clock::manual(plumbline_tests::anchor());
    let mut server = TestServer::start_with_clock(clock.clone()).await.unwrap();
    let unit = server.project.units().next().unwrap().1.id.clone();
    let inspector_dir = tempfile::tempdir().unwrap();
    let inspector = enrolled(&server, "wangli", Role::Inspector, &inspector_dir).await;
    let foreman_dir = tempfile::tempdir().unwrap();
    let foreman = enrolled(&server, "zhougang", Role::Contractor, &foreman_dir).await;
    notified_drain(&server, &inspector, &unit, "厨房下水管渗漏").await;
    inspector.sync().await.unwrap();

    // Before the reminder's hour the phone has nothing; at it, the next sync brings it.
    foreman.sync().await.unwrap();
    assert!(foreman.notifications().unwrap().is_empty());
    clock.advance(3 * HOUR_MS);
    foreman.sync().await.unwrap();
    let kept = foreman.notifications().unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].kind, ReminderKind::ResponseDueSoon);
    assert_eq!(kept[0].notice_no.as_deref(), Some("ZG-2026-0801"));
    assert_eq!(kept[0].unit, unit);

    // No signal: the list stays on the phone, and a failed sync keeps it.
    server.stop().await.unwrap();
    assert!(foreman.sync().await.is_err());
    assert_eq!(foreman.notifications().unwrap(), kept);
}

/// The timeline of the department's rule, on a clock the test moves: a notice at 09:15 must be
/// answered by 13:15; the foreman checks in at 14:02 with no signal and the phone syncs at
/// 14:30. The check-in counts from 14:02, 47 minutes late (penalty condition 2). A phone whose
/// clock is 10 minutes fast is not trusted: its check-in counts from when the server received
/// it, and the case says why.
#[tokio::test]
async fn an_offline_check_in_is_judged_by_its_tap_and_an_untrusted_clock_by_the_receipt() {
    use plumbline_shared::clock::Clock;
    use plumbline_shared::time::{HOUR_MS, MINUTE_MS};
    use plumbline_shared::workflow::{AnomalyKind, PenaltyCondition, WorkflowSettings};

    let issued = plumbline_tests::anchor().plus_ms(15 * MINUTE_MS); // 09:15
    let clock = Clock::manual(issued);
    let mut server = TestServer::start_with_clock(clock.clone()).await.unwrap();
    let unit = server.project.units().next().unwrap().1.id.clone();
    let inspector_dir = tempfile::tempdir().unwrap();
    let inspector = enrolled(&server, "wangli", Role::Inspector, &inspector_dir).await;
    let on_time = notified_drain(&server, &inspector, &unit, "水槽下水慢").await;
    let fast = notified_drain(&server, &inspector, &unit, "厨房台面开裂").await;
    inspector.sync().await.unwrap();

    // Two foremen of the same company; the second phone's clock runs 10 minutes fast.
    let dir = tempfile::tempdir().unwrap();
    let foreman = enrolled(&server, "zhougang", Role::Contractor, &dir).await;
    let skewed_clock = Clock::manual(issued.plus_ms(10 * MINUTE_MS));
    let skewed_dir = tempfile::tempdir().unwrap();
    let skewed = Engine::open(skewed_dir.path(), skewed_clock.clone()).unwrap();
    let code = server.code_for("zhangwei", Role::Contractor).await.unwrap();
    skewed
        .enroll(&server.base_url(), &code, "zhangwei phone")
        .await
        .unwrap();
    let tasks = foreman.refresh_tasks(&server.project.id).await.unwrap();
    let case_of = |finding| {
        tasks
            .cases
            .iter()
            .find(|c| c.case.finding == finding)
            .unwrap()
            .clone()
    };

    // 14:02, no signal: both check in.
    server.stop().await.unwrap();
    let tapped = issued.plus_ms(4 * HOUR_MS + 47 * MINUTE_MS);
    clock.set(tapped);
    skewed_clock.set(tapped.plus_ms(10 * MINUTE_MS));
    for (engine, finding) in [(&foreman, on_time.clone()), (&skewed, fast.clone())] {
        engine
            .foreman_act(
                &case_of(finding),
                ForemanStep::OnSite {
                    note: "已到场".into(),
                },
                Vec::new(),
            )
            .unwrap();
        assert!(engine.sync().await.is_err(), "offline");
    }

    // 14:30: the signal is back and both phones sync.
    let synced = issued.plus_ms(5 * HOUR_MS + 15 * MINUTE_MS);
    clock.set(synced);
    skewed_clock.set(synced.plus_ms(10 * MINUTE_MS));
    server.restart().await.unwrap();
    foreman.sync().await.unwrap();
    skewed.sync().await.unwrap();
    inspector.sync().await.unwrap();

    let record = inspector.unit(&unit).unwrap();
    let settings = WorkflowSettings::default();
    let state = record.findings[&on_time].state(synced, &settings);
    let notice = state.notice.as_ref().unwrap();
    let (answered, _) = notice.responded.unwrap();
    assert_eq!(answered, tapped, "counted from the tap, not from the sync");
    assert_eq!(answered.0 - notice.response_deadline.0, 47 * MINUTE_MS);
    assert!(state.holds(PenaltyCondition::NoResponse));
    assert!(state.anomalies.is_empty(), "{:?}", state.anomalies);

    let state = record.findings[&fast].state(synced, &settings);
    let (answered, _) = state.notice.as_ref().unwrap().responded.unwrap();
    assert_eq!(
        answered, synced,
        "an untrusted clock counts from the receipt"
    );
    assert!(
        state
            .anomalies
            .iter()
            .any(|a| a.kind == AnomalyKind::ClockSkew),
        "{:?}",
        state.anomalies
    );
}
