//! The authorization matrix: every role against every endpoint of the sync API, over real HTTP.
//!
//! The expectations are written out here by hand from DESIGN.md's table of who does what, not
//! computed from `EventKind::allowed_roles`, so that a wrong rule in the code fails this test.
//! Blob upload and download rules have their own matrix in `blobs.rs`.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use common::{Device, TestServer};
use plumbline_shared::api::{API_VERSION, ContractorAction, ContractorActionReply};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef};
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::doc::unit::{NewFinding, UnitDoc};
use plumbline_shared::event::{
    CallbackChannel, EventKind, FineApprovalStep, Origin, ResponseMode, Satisfaction,
};
use plumbline_shared::ids::{BlobHash, ContractorId, EventId, FindingId, FineId, UnitId};
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::{HOUR_MS, Timestamp};
use plumbline_shared::workflow::Status;
use reqwest::StatusCode;
use serde_json::{Value, json};

use Role::*;

const ALL_ROLES: [Role; 7] = [
    Inspector,
    Manager,
    Coordinator,
    FrontDesk,
    CustomerRep,
    Contractor,
    Admin,
];

fn now() -> Timestamp {
    common::now()
}

fn crack() -> NewFinding {
    NewFinding {
        origin: Origin::Inspection,
        round: None,
        room: "living".parse().unwrap(),
        item: "living.wall_crack".parse().unwrap(),
        category: "wall_ceiling".parse().unwrap(),
        severity: Severity::S2,
        description: "墙面空鼓开裂".into(),
    }
}

/// The events each office role pushes through sync, with the roles that may append each.
fn event_rules(fine: &FineId) -> Vec<(EventKind, &'static [Role])> {
    vec![
        (
            EventKind::AcceptancePassed {
                note: "验收合格".into(),
            },
            &[Inspector, Manager],
        ),
        (
            EventKind::FineApproved {
                fine: fine.clone(),
                step: FineApprovalStep::Leader,
            },
            &[Coordinator],
        ),
        (
            EventKind::FineApproved {
                fine: fine.clone(),
                step: FineApprovalStep::Manager,
            },
            &[Manager],
        ),
        (
            EventKind::EmergencyRepairStarted {
                team: "应急维修班".into(),
                reason: "超时未到场".into(),
            },
            &[Manager, Coordinator],
        ),
        (
            EventKind::Callback {
                channel: CallbackChannel::Phone,
                level: Satisfaction::Satisfied,
                note: String::new(),
            },
            &[FrontDesk, CustomerRep, Manager],
        ),
        (
            EventKind::Closed {
                reason: "完成".into(),
            },
            &[Inspector, Manager],
        ),
    ]
}

/// Who may record a new finding by syncing a unit document.
const RECORDERS: &[Role] = &[Inspector, Manager, FrontDesk, CustomerRep];

/// A demo project with two findings on unit 0: one noticed to 恒筑 (civil), one to 通泰 (MEP).
struct Setup {
    server: TestServer,
    unit: UnitId,
    doc: DocId,
    ours: FindingId,
    theirs: FindingId,
    fine: FineId,
}

async fn setup() -> Setup {
    let server = TestServer::start().await;
    let unit = server.project.units().next().unwrap().1.id.clone();
    let doc = DocId::Unit(unit.clone());
    let mut phone = server.device("setup-inspector", Inspector).await;
    phone.sync().await;
    let mut u = phone.unit(&doc);
    let actor = phone.actor.clone();
    let at = now();
    let ours = u.record_finding(&actor, at, crack()).unwrap();
    let theirs = u.record_finding(&actor, at, crack()).unwrap();
    let fine = FineId::new("fine-1").unwrap();
    phone.put_unit(&doc, u);
    let report = phone.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    let office = common::at_the_office(&actor);
    common::office_edit(&server, &doc, |u| {
        for (finding, company, no) in [
            (&ours, "hengzhu-civil", "ZG-2026-0001"),
            (&theirs, "tongtai-mep", "ZG-2026-0002"),
        ] {
            let notice = EventKind::NoticeIssued {
                notice_no: no.into(),
                contractor: ContractorId::new(company).unwrap(),
                repair_deadline: Timestamp(at.0 + 48 * HOUR_MS),
            };
            u.append_event(&office, at, finding, notice).unwrap();
        }
    })
    .await;
    Setup {
        server,
        unit,
        doc,
        ours,
        theirs,
        fine,
    }
}

async fn get(device: &Device, url: &str) -> StatusCode {
    device
        .http
        .get(url)
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Posts a contractor action; returns the status and the JSON body.
async fn act(device: &Device, action: &ContractorAction) -> (StatusCode, Value) {
    let res = device
        .http
        .post(format!("{}/contractor/actions", device.base))
        .bearer_auth(&device.token)
        .json(action)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

fn on_site(s: &Setup, finding: &FindingId) -> ContractorAction {
    ContractorAction {
        api_version: API_VERSION,
        unit: s.unit.clone(),
        finding: finding.clone(),
        event: EventId::random(),
        at: now(),
        device_time: now(),
        kind: EventKind::ContractorResponded {
            mode: ResponseMode::OnSite,
            note: "已到场".into(),
        },
        evidence: Vec::new(),
    }
}

/// The server's current copy of a finding.
async fn stored_finding(s: &Setup, finding: &FindingId) -> Finding {
    let mut guard = s.server.state.docs.lock(&s.doc).await;
    let loaded = s
        .server
        .state
        .docs
        .get(&mut guard, &s.doc)
        .await
        .unwrap()
        .unwrap();
    UnitDoc::from_trusted(loaded.doc.clone())
        .finding(finding)
        .unwrap()
}

async fn events_of(s: &Setup, finding: &FindingId) -> usize {
    stored_finding(s, finding).await.events.len()
}

#[tokio::test]
async fn every_role_against_every_endpoint() {
    let s = setup().await;
    let units = s.server.project.units().count();
    for role in ALL_ROLES {
        let login = format!("user-{}", format!("{role:?}").to_lowercase());
        let mut device = s.server.device(&login, role).await;

        // Manifest and exchange: what the device receives.
        let report = device.sync().await;
        assert!(report.refused.is_empty(), "{role:?}: {:?}", report.refused);
        let expected_docs = if role == Contractor { 1 } else { units + 1 };
        assert_eq!(device.docs.len(), expected_docs, "{role:?} documents");

        // Case records: contractors see only their company's.
        let cases = s
            .server
            .url(&format!("/cases?project={}", s.server.project.id));
        let res = device
            .http
            .get(&cases)
            .bearer_auth(&device.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{role:?} cases");
        let rows: Vec<Value> = res.json().await.unwrap();
        let expected_rows = if role == Contractor { 1 } else { 2 };
        assert!(
            rows.len() >= expected_rows && (role != Contractor || rows.len() == 1),
            "{role:?} sees {} cases",
            rows.len()
        );

        // Evidence status is office and inspection business.
        let evidence = s
            .server
            .url(&format!("/evidence/status?project={}", s.server.project.id));
        let expected = if role == Contractor { 404 } else { 200 };
        assert_eq!(
            get(&device, &evidence).await,
            expected,
            "{role:?} evidence status"
        );

        // The contractor endpoint: contractors only.
        let (status, body) = act(&device, &on_site(&s, &s.ours)).await;
        if role == Contractor {
            assert_eq!(status, 200, "{body}");
        } else {
            assert_eq!(status, 403, "{role:?}: {body}");
            assert!(
                body["message"].as_str().unwrap().contains("contractor"),
                "{body}"
            );
        }

        if role == Contractor {
            continue;
        }
        // Recording a finding by sync.
        let mut u = device.unit(&s.doc);
        let actor = device.actor.clone();
        u.record_finding(&actor, now(), crack()).unwrap();
        device.put_unit(&s.doc, u);
        let report = device.sync().await;
        assert_eq!(
            report.refused.is_empty(),
            RECORDERS.contains(&role),
            "{role:?} recording a finding: {:?}",
            report.refused
        );
        if !report.refused.is_empty() {
            // Start over from the server's copy for the next check.
            device.docs.remove(&s.doc);
            device.states.remove(&s.doc);
            device.sync().await;
        }
        // Appending each kind of office event by sync.
        for (kind, allowed) in event_rules(&s.fine) {
            let name = kind.name();
            let before = s.server.state.store.doc_heads(&s.doc).await.unwrap();
            let mut u = device.unit(&s.doc);
            u.append_event(&actor, now(), &s.ours, kind).unwrap();
            device.put_unit(&s.doc, u);
            let report = device.sync().await;
            let accepted = report.refused.is_empty();
            assert_eq!(
                accepted,
                allowed.contains(&role),
                "{role:?} appending {name}: {:?}",
                report.refused
            );
            if !accepted {
                assert_eq!(
                    s.server.state.store.doc_heads(&s.doc).await.unwrap(),
                    before,
                    "{role:?} appending {name}: nothing stored"
                );
                device.docs.remove(&s.doc);
                device.states.remove(&s.doc);
                device.sync().await;
            }
        }
    }
}

#[tokio::test]
async fn a_contractor_acts_only_on_its_own_findings_and_only_as_a_contractor() {
    let s = setup().await;
    let foreman = s.server.device("zhougang", Contractor).await;

    // Another company's finding is not there for them, and nothing is written.
    let before = events_of(&s, &s.theirs).await;
    let (status, body) = act(&foreman, &on_site(&s, &s.theirs)).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(events_of(&s, &s.theirs).await, before);

    // A contractor cannot accept its own repair, nor write anything else of the office's.
    for kind in [
        EventKind::AcceptancePassed { note: "ok".into() },
        EventKind::Closed {
            reason: "done".into(),
        },
        EventKind::EvidenceAdded {
            hash: BlobHash::of(b"x"),
        },
    ] {
        let action = ContractorAction {
            kind,
            ..on_site(&s, &s.ours)
        };
        let (status, body) = act(&foreman, &action).await;
        assert_eq!(status, 403, "{body}");
    }

    // On site, then retried with the same event id: stored once.
    let before = events_of(&s, &s.ours).await;
    let action = on_site(&s, &s.ours);
    let (status, body) = act(&foreman, &action).await;
    assert_eq!(status, 200, "{body}");
    let reply: ContractorActionReply = serde_json::from_value(body).unwrap();
    assert_eq!(reply.status, Status::InRepair);
    let (status, _) = act(&foreman, &action).await;
    assert_eq!(status, 200);
    assert_eq!(
        events_of(&s, &s.ours).await,
        before + 1,
        "a retry counts once"
    );

    // Repair done with a photo: the photo must come with it, authored by this device.
    let photo = EvidenceRef {
        hash: BlobHash::of(b"repair photo"),
        kind: EvidenceKind::Photo,
        bytes: 12,
        width: 2048,
        height: 1536,
        captured_at: now(),
        device: foreman.actor.device.clone(),
        author: foreman.actor.user.clone(),
        location: None,
        pin: None,
        thumbnail: None,
    };
    let repair = |evidence: Vec<EvidenceRef>| ContractorAction {
        kind: EventKind::RepairReported {
            note: "已修复".into(),
            evidence: vec![photo.hash.clone()],
        },
        evidence,
        ..on_site(&s, &s.ours)
    };
    let (status, body) = act(&foreman, &repair(Vec::new())).await;
    assert_eq!(
        status, 400,
        "a repair naming a photo it does not send: {body}"
    );
    let forged = EvidenceRef {
        author: "wangli".parse().unwrap(),
        ..photo.clone()
    };
    let (status, body) = act(&foreman, &repair(vec![forged])).await;
    assert_eq!(status, 422, "{body}");
    let before = events_of(&s, &s.ours).await;
    let (status, body) = act(&foreman, &repair(vec![photo.clone()])).await;
    assert_eq!(status, 200, "{body}");
    let reply: ContractorActionReply = serde_json::from_value(body).unwrap();
    assert_eq!(reply.status, Status::RepairReported);
    assert_eq!(
        events_of(&s, &s.ours).await,
        before + 2,
        "evidence added + repair reported"
    );

    // The document holds the photo, and every event carries the server's receipt.
    let finding = stored_finding(&s, &s.ours).await;
    assert!(finding.evidence.contains_key(&photo.hash));
    assert_eq!(
        finding.receipts.len(),
        finding.events.len(),
        "every event has a receipt"
    );
}

#[tokio::test]
async fn contractor_actions_refuse_bad_input_clearly() {
    let s = setup().await;
    let foreman = s.server.device("zhougang", Contractor).await;
    let url = format!("{}/contractor/actions", foreman.base);
    let post = |body: Value| {
        foreman
            .http
            .post(&url)
            .bearer_auth(&foreman.token)
            .json(&body)
            .send()
    };
    // Not JSON of the right shape: 400 with a message in the API's error body.
    let res = post(json!({"unit": s.unit})).await.unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "bad_request", "{body}");
    // An unknown unit.
    let mut action = serde_json::to_value(on_site(&s, &s.ours)).unwrap();
    action["unit"] = json!("no-such-unit");
    let res = post(action).await.unwrap();
    assert_eq!(res.status(), 404);
    // An old app.
    let mut action = serde_json::to_value(on_site(&s, &s.ours)).unwrap();
    action["api_version"] = json!(99);
    let res = post(action).await.unwrap();
    assert_eq!(res.status(), 400);
    // No token.
    let res = foreman
        .http
        .post(&url)
        .json(&on_site(&s, &s.ours))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // An answer dated in 2100, or with a note longer than any note: 422 with the reason,
    // as through sync.
    let mut action = serde_json::to_value(on_site(&s, &s.ours)).unwrap();
    action["at"] = json!(4_102_444_800_000_i64);
    let res = post(action).await.unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("the time of the answer"),
        "{body}"
    );
    let mut action = serde_json::to_value(on_site(&s, &s.ours)).unwrap();
    action["kind"]["note"] = json!("到".repeat(100_000));
    let res = post(action).await.unwrap();
    assert_eq!(res.status(), 422);
    // A member of another project only.
    let other = plumbline_shared::ids::ProjectId::new("other-project").unwrap();
    let outsider = s.server.device_in("outsider", Contractor, &other).await;
    let (status, _) = act(&outsider, &on_site(&s, &s.ours)).await;
    assert_eq!(status, 404);
}
