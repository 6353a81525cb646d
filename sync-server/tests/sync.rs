//! Sync over real HTTP on loopback: enroll, sync, read case records back, converge, and the
//! authorization and bad-input rules.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use automerge::{AutoCommit, ObjId};
use common::{Device, TestServer};
use plumbline_shared::api::{
    API_VERSION, DocMessage, ManifestResponse, SyncRequest, SyncResponse, from_postcard,
    to_postcard,
};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::conflict::FindingField;
use plumbline_shared::doc::unit::{FieldEdit, NewFinding, UnitDoc};
use plumbline_shared::event::{Event, EventKind, FineApprovalStep, Origin};
use plumbline_shared::ids::{BlobHash, EventId, FindingId, FineId, UnitId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_sync_server::store::{CaseFilter, Page};

fn unit_doc(server: &TestServer, n: usize) -> (UnitId, DocId) {
    let unit = server.project.units().nth(n).unwrap().1.id.clone();
    (unit.clone(), DocId::Unit(unit))
}

fn leak() -> NewFinding {
    NewFinding {
        origin: Origin::Inspection,
        round: None,
        room: "bathroom".parse().unwrap(),
        item: "bathroom.ponding_test".parse().unwrap(),
        category: "waterproofing".parse().unwrap(),
        severity: Severity::S1,
        description: "闭水试验渗漏".into(),
    }
}

fn now() -> Timestamp {
    common::now()
}

async fn record(device: &mut Device, doc: &DocId) -> plumbline_shared::ids::FindingId {
    let mut unit = device.unit(doc);
    let actor = device.actor.clone();
    let id = unit.record_finding(&actor, now(), leak()).unwrap();
    device.put_unit(doc, unit);
    id
}

async fn cases_of(
    server: &TestServer,
    unit: &UnitId,
) -> Vec<plumbline_sync_server::store::CaseRecord> {
    let filter = CaseFilter {
        projects: vec![server.project.id.clone()],
        unit: Some(unit.clone()),
        contractor: None,
        ..Default::default()
    };
    server
        .state
        .store
        .cases(
            &filter,
            Page {
                offset: 0,
                limit: 100,
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn an_inspector_enrolls_syncs_offline_work_and_the_office_sees_the_case() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    let first = phone.sync().await;
    assert!(first.refused.is_empty(), "{:?}", first.refused);
    assert_eq!(
        phone.docs.len(),
        145,
        "the project document and 144 unit documents"
    );

    let (unit, doc) = unit_doc(&server, 5);
    let finding = record(&mut phone, &doc).await;
    let local_heads = phone.docs.get_mut(&doc).unwrap().get_heads();
    let report = phone.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    // The acknowledgement covers the device's change: nothing of it is missing on the server.
    let acked = &report.acked[&doc];
    assert!(
        phone
            .docs
            .get_mut(&doc)
            .unwrap()
            .get_changes(acked)
            .is_empty()
    );
    assert!(local_heads.iter().all(|h| server_has(&server, &doc, h)));

    let cases = cases_of(&server, &unit).await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].case.finding, finding);
    assert_eq!(cases[0].case.description, "闭水试验渗漏");
    assert_eq!(cases[0].case.status.as_str(), "open");

    // The server stamped its receipt on the event, and the device got it back.
    let f = phone.unit(&doc).finding(&finding).unwrap();
    assert_eq!(f.receipts.len(), 1);

    // Over HTTP too, with the device's token.
    let res = phone
        .http
        .get(server.url(&format!("/cases?project=licheng&unit={unit}")))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body[0]["finding"], finding.as_str());
}

fn server_has(server: &TestServer, doc: &DocId, head: &automerge::ChangeHash) -> bool {
    let heads = futures::executor::block_on(server.state.store.doc_heads(doc))
        .unwrap()
        .unwrap();
    let stored = futures::executor::block_on(server.state.store.load_doc(doc))
        .unwrap()
        .unwrap();
    let mut am = plumbline_sync_server::doc_cache::assemble(doc, &stored).unwrap();
    !heads.is_empty() && am.get_change_by_hash(head).is_some()
}

#[tokio::test]
async fn a_sync_with_nothing_new_is_one_small_round_trip() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let (trips, sent, received) = (phone.round_trips, phone.bytes_sent, phone.bytes_received);
    let report = phone.sync().await;
    assert!(report.acked.is_empty());
    assert_eq!(phone.round_trips - trips, 1);
    assert!(
        phone.bytes_sent - sent < 64,
        "{} bytes sent",
        phone.bytes_sent - sent
    );
    assert!(phone.bytes_received - received < 32);
}

#[tokio::test]
async fn two_inspectors_edit_the_same_unit_offline_and_converge() {
    let server = TestServer::start().await;
    let mut a = server.device("wangli", Role::Inspector).await;
    let mut b = server.device("liuyang", Role::Inspector).await;
    a.sync().await;
    b.sync().await;
    let (_, doc) = unit_doc(&server, 7);
    let finding = record(&mut a, &doc).await;
    a.sync().await;
    b.sync().await;

    // Offline: both change the severity, and each records another finding.
    for (device, severity) in [(&mut a, Severity::S2), (&mut b, Severity::S3)] {
        let mut unit = device.unit(&doc);
        let actor = device.actor.clone();
        unit.edit_field(&actor, now(), &finding, FieldEdit::Severity(severity))
            .unwrap();
        unit.record_finding(&actor, now(), leak()).unwrap();
        device.put_unit(&doc, unit);
    }
    for report in [a.sync().await, b.sync().await, a.sync().await] {
        assert!(report.refused.is_empty(), "{:?}", report.refused);
    }
    let heads_a = a.docs.get_mut(&doc).unwrap().get_heads();
    let heads_b = b.docs.get_mut(&doc).unwrap().get_heads();
    let server_heads = server.state.store.doc_heads(&doc).await.unwrap();
    let na = a.docs.get_mut(&doc).unwrap().get_changes(&[]).len();
    let nb = b.docs.get_mut(&doc).unwrap().get_changes(&[]).len();
    assert_eq!(
        heads_a, heads_b,
        "server {server_heads:?} a has {na} b has {nb}"
    );
    let ua = a.unit(&doc);
    assert_eq!(ua.findings().unwrap().len(), 3);
    assert_eq!(ua.read().unwrap(), b.unit(&doc).read().unwrap());
    let conflicts = ua.conflicts(&finding).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, FindingField::Severity);
    let mut who: Vec<String> = conflicts[0]
        .values
        .iter()
        .map(|v| v.user.as_ref().unwrap().to_string())
        .collect();
    who.sort();
    assert_eq!(who, ["liuyang", "wangli"]);
}

#[tokio::test]
async fn an_inspector_cannot_approve_a_fine_and_nothing_of_the_batch_is_stored() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let (unit, doc) = unit_doc(&server, 3);
    let finding = record(&mut phone, &doc).await;
    let mut u = phone.unit(&doc);
    let actor = phone.actor.clone();
    u.append_event(
        &actor,
        now(),
        &finding,
        EventKind::FineApproved {
            fine: FineId::new("f1").unwrap(),
            step: FineApprovalStep::Leader,
        },
    )
    .unwrap();
    phone.put_unit(&doc, u);
    let before = server.state.store.doc_heads(&doc).await.unwrap();

    let report = phone.sync().await;
    assert_eq!(report.refused.len(), 1);
    assert!(
        report.refused[0].1.contains("fine_approved"),
        "{}",
        report.refused[0].1
    );
    assert_eq!(
        server.state.store.doc_heads(&doc).await.unwrap(),
        before,
        "nothing of the batch is stored"
    );
    assert!(
        cases_of(&server, &unit).await.is_empty(),
        "not even the finding recorded in the same batch"
    );
}

#[tokio::test]
async fn a_device_cannot_write_events_in_someone_elses_name() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let (_, doc) = unit_doc(&server, 4);
    let finding = record(&mut phone, &doc).await;
    let mut u = phone.unit(&doc);
    let forged = Actor {
        role: Role::Manager,
        ..phone.actor.clone()
    };
    u.append_event(
        &forged,
        now(),
        &finding,
        EventKind::Closed { reason: "x".into() },
    )
    .unwrap();
    phone.put_unit(&doc, u);
    let report = phone.sync().await;
    assert_eq!(
        report.refused.len(),
        1,
        "{report:?} trips {}",
        phone.round_trips
    );
    assert!(
        report.refused[0].1.contains("not by you"),
        "{}",
        report.refused[0].1
    );
}

#[tokio::test]
async fn contractors_get_no_unit_documents_and_cannot_push_them() {
    let server = TestServer::start().await;
    let mut foreman = server.device("zhougang", Role::Contractor).await;
    foreman.sync().await;
    assert_eq!(
        foreman.docs.keys().collect::<Vec<_>>(),
        vec![&DocId::Project(server.project.id.clone())]
    );

    // A forged push of a unit document is refused.
    let (_, doc) = unit_doc(&server, 0);
    let mut am = automerge::AutoCommit::new();
    let body = to_postcard(&SyncRequest {
        api_version: API_VERSION,
        device_time: now(),
        messages: vec![DocMessage {
            doc: doc.clone(),
            message: automerge::sync::SyncDoc::generate_sync_message(
                &am.sync(),
                &mut Default::default(),
            )
            .unwrap()
            .encode(),
        }],
    });
    let res = foreman.post("/sync/exchange", body).await;
    assert_eq!(res.status(), 200);
    let reply: SyncResponse = from_postcard(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(reply.refused.len(), 1);
    assert!(reply.messages.is_empty());
}

#[tokio::test]
async fn access_across_projects_is_refused() {
    let server = TestServer::start().await;
    let other = plumbline_shared::ids::ProjectId::new("other-project").unwrap();
    let mut outsider = server.device_in("outsider", Role::Inspector, &other).await;
    outsider.sync().await;
    assert!(
        outsider
            .docs
            .keys()
            .all(|d| *d == DocId::Project(other.clone())),
        "no documents of a project the user is not in: {:?}",
        outsider.docs.keys().collect::<Vec<_>>()
    );
    let (unit, _) = unit_doc(&server, 0);
    let res = outsider
        .http
        .get(server.url(&format!("/cases?project=licheng&unit={unit}")))
        .bearer_auth(&outsider.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_revoked_device_is_refused_on_its_next_request() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    plumbline_sync_server::account_admin::revoke(&server.state, &phone.actor.device)
        .await
        .unwrap();
    let req = phone.manifest_request(false);
    let res = phone.post("/sync/manifest", to_postcard(&req)).await;
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("revoked"));
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let before = server.state.store.all_docs().await.unwrap();
    let http = reqwest::Client::new();

    // No token.
    let res = http
        .post(server.url("/sync/manifest"))
        .body(vec![1, 2, 3])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Not a sync message at all.
    let res = phone.post("/sync/exchange", vec![0xff; 40]).await;
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["message"],
        "the body is not a valid message of this API version: a number in it is malformed or \
         too large",
        "{body}"
    );

    // A wrong API version.
    let body = to_postcard(&SyncRequest {
        api_version: 99,
        device_time: now(),
        messages: vec![],
    });
    let res = phone.post("/sync/exchange", body).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("update the app"));

    // A message that is not automerge.
    let (_, doc) = unit_doc(&server, 1);
    let body = one_message(&doc, b"hello".to_vec());
    let res = phone.post("/sync/exchange", body).await;
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["message"],
        format!(
            "the sync message for {doc} is not an automerge sync message: it starts with byte \
             0x68, where 0x42 or 0x43 is expected"
        ),
        "{body}"
    );
    // One that starts like automerge's and is cut short.
    let whole = first_message();
    let body = one_message(&doc, whole[..whole.len() / 2].to_vec());
    let res = phone.post("/sync/exchange", body).await;
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().ends_with(
            "is damaged or cut short: it starts like an automerge sync message but does not decode"
        ),
        "{body}"
    );

    // The same document twice.
    let msg = DocMessage {
        doc: doc.clone(),
        message: vec![],
    };
    let body = to_postcard(&SyncRequest {
        api_version: API_VERSION,
        device_time: now(),
        messages: vec![msg.clone(), msg],
    });
    assert_eq!(phone.post("/sync/exchange", body).await.status(), 400);

    // Too many documents in one request.
    let messages = (0..65)
        .map(|i| DocMessage {
            doc: DocId::Unit(UnitId::new(format!("u{i}")).unwrap()),
            message: vec![],
        })
        .collect();
    let body = to_postcard(&SyncRequest {
        api_version: API_VERSION,
        device_time: now(),
        messages,
    });
    assert_eq!(phone.post("/sync/exchange", body).await.status(), 413);

    // A body over the limit.
    let res = phone.post("/sync/exchange", vec![0; 9 * 1024 * 1024]).await;
    assert_eq!(res.status(), 413);

    // An unknown document is refused, not created.
    let ghost = DocId::Unit(UnitId::new("no-such-unit").unwrap());
    let message = first_message();
    let body = one_message(&ghost, message);
    let res = phone.post("/sync/exchange", body).await;
    let reply: SyncResponse = from_postcard(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(reply.refused[0].doc, ghost);

    // JSON works as well as postcard, and a manifest with unknown fields of the wrong type fails.
    let res = http
        .post(server.url("/sync/manifest"))
        .bearer_auth(&phone.token)
        .header("content-type", "application/json")
        .body(r#"{"api_version":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    assert_eq!(
        server.state.store.all_docs().await.unwrap(),
        before,
        "no document was created or removed"
    );
    let req = phone.manifest_request(false);
    assert!(
        matches!(phone.manifest(&req).await, ManifestResponse::InSync { .. }),
        "the device's view is unchanged"
    );
}

#[tokio::test]
async fn compaction_folds_changes_into_a_snapshot_and_sync_goes_on() {
    let server = TestServer::start().await;
    let mut a = server.device("wangli", Role::Inspector).await;
    a.sync().await;
    let (unit, doc) = unit_doc(&server, 7);
    for _ in 0..3 {
        record(&mut a, &doc).await;
        assert!(a.sync().await.refused.is_empty());
    }
    let heads = server.state.store.doc_heads(&doc).await.unwrap();
    let stored = server.state.store.load_doc(&doc).await.unwrap().unwrap();
    assert!(
        stored.changes.len() >= 4,
        "{} changes",
        stored.changes.len()
    );

    // Only documents over the threshold are due.
    let due = server.state.store.docs_to_compact(4).await.unwrap();
    assert_eq!(due, vec![doc.clone()]);
    let compacted = plumbline_sync_server::compaction::compact_due(&server.state, 4)
        .await
        .unwrap();
    assert_eq!(compacted, 1);
    let stored = server.state.store.load_doc(&doc).await.unwrap().unwrap();
    assert!(stored.snapshot.is_some());
    assert!(stored.changes.is_empty());
    assert_eq!(server.state.store.doc_heads(&doc).await.unwrap(), heads);
    let mut rebuilt = plumbline_sync_server::doc_cache::assemble(&doc, &stored).unwrap();
    let mut want = rebuilt.get_heads();
    want.sort();
    let mut have = heads.clone().unwrap();
    have.sort();
    assert_eq!(want, have, "the snapshot holds exactly what was stored");

    // A new device gets everything; the first keeps syncing on top of the snapshot.
    let mut b = server.device("liuyang", Role::Inspector).await;
    b.sync().await;
    assert_eq!(b.unit(&doc).findings().unwrap().len(), 3);
    record(&mut a, &doc).await;
    let report = a.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(cases_of(&server, &unit).await.len(), 4);
    b.sync().await;
    assert_eq!(b.unit(&doc).findings().unwrap().len(), 4);
    let stored = server.state.store.load_doc(&doc).await.unwrap().unwrap();
    assert!(
        !stored.changes.is_empty(),
        "new changes are stored after the snapshot"
    );
}

#[tokio::test]
async fn the_office_sees_when_each_device_was_last_seen() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    let idle = server.device("liuyang", Role::Inspector).await;
    let before = now();
    phone.sync().await;
    let written = server
        .state
        .presence
        .flush(&*server.state.store)
        .await
        .unwrap();
    assert_eq!(written, 1, "only the device that made requests");
    let devices = server.state.store.devices().await.unwrap();
    let seen = |id: &plumbline_shared::ids::DeviceId| {
        devices.iter().find(|d| &d.device == id).unwrap().last_seen
    };
    assert!(seen(&phone.actor.device).is_some_and(|t| t >= before));
    assert_eq!(seen(&idle.actor.device), None);
}

#[tokio::test]
async fn a_change_that_breaks_the_schema_is_refused_and_nothing_is_stored() {
    use automerge::transaction::Transactable;
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let (unit, doc) = unit_doc(&server, 9);
    record(&mut phone, &doc).await;
    // Then, in the same batch, a raw edit that turns the findings map into a number.
    let am = phone.docs.get_mut(&doc).unwrap();
    am.set_actor(plumbline_shared::doc::actor_for(&phone.actor.device));
    am.put(automerge::ROOT, "findings", 42_i64).unwrap();
    am.commit();
    let before = server.state.store.doc_heads(&doc).await.unwrap();
    let report = phone.sync().await;
    assert_eq!(report.refused.len(), 1);
    assert!(
        report.refused[0].1.contains("break the unit document"),
        "{}",
        report.refused[0].1
    );
    assert_eq!(server.state.store.doc_heads(&doc).await.unwrap(), before);
    assert!(cases_of(&server, &unit).await.is_empty());
}

#[tokio::test]
async fn an_expired_or_used_enrollment_code_enrolls_nothing() {
    let server = TestServer::start().await;
    let user = plumbline_shared::ids::UserId::new("wangli").unwrap();
    server.device("wangli", Role::Inspector).await; // creates the user
    let (code, hash) = plumbline_sync_server::accounts::new_enrollment_code();
    server
        .state
        .store
        .create_enrollment_code(hash, &user, Timestamp(now().0 - 1))
        .await
        .unwrap();
    let devices = server.state.store.devices().await.unwrap().len();
    let http = reqwest::Client::new();
    let enroll = |code: String| {
        http.post(server.url("/enroll"))
            .json(&serde_json::json!({"code": code, "device_name": "phone"}))
            .send()
    };
    let res = enroll(code).await.unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    // A good code works once.
    let code = plumbline_sync_server::account_admin::enrollment_code(&server.state, &user)
        .await
        .unwrap();
    assert_eq!(enroll(code.clone()).await.unwrap().status(), 200);
    assert_eq!(enroll(code).await.unwrap().status(), 401);
    assert_eq!(
        server.state.store.devices().await.unwrap().len(),
        devices + 1,
        "only the one good enrollment made a device"
    );
}

#[tokio::test]
async fn the_server_remembers_what_a_device_holds_so_a_reconnect_lists_nothing() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    let mut other = server.device("liuyang", Role::Inspector).await;
    phone.sync().await;
    other.sync().await;
    let (_, doc) = unit_doc(&server, 3);
    record(&mut other, &doc).await;
    assert!(other.sync().await.refused.is_empty());

    // The summary alone is enough: the server names the one document that changed.
    let req = phone.manifest_request(false);
    match phone.manifest(&req).await {
        ManifestResponse::Differs {
            changed,
            new_on_server,
            ..
        } => {
            assert_eq!(changed, vec![doc.clone()]);
            assert!(new_on_server.is_empty());
        }
        other => panic!("expected the changed document, got {other:?}"),
    }
    // The whole reconnect: the manifest, then one exchange that brings the change.
    let (trips, sent, received) = (phone.round_trips, phone.bytes_sent, phone.bytes_received);
    let report = phone.sync().await;
    assert!(report.refused.is_empty());
    assert_eq!(phone.round_trips - trips, 2);
    let bytes = phone.bytes_sent - sent + phone.bytes_received - received;
    assert!(bytes < 10_000, "{bytes} bytes");
    let theirs = other.docs.get_mut(&doc).unwrap().get_heads();
    assert!(phone.holds_exactly(&doc, &theirs));
    // The exchange moved the remembered position with it: the next sync is one round trip.
    let trips = phone.round_trips;
    assert!(phone.sync().await.acked.is_empty());
    assert_eq!(phone.round_trips - trips, 1);

    // A local edit the server has not seen: the summary matches nothing the server knows, so
    // it asks for the entries, and the sync still converges.
    record(&mut phone, &doc).await;
    let req = phone.manifest_request(false);
    assert!(matches!(
        phone.manifest(&req).await,
        ManifestResponse::SendEntries { .. }
    ));
    assert!(phone.sync().await.refused.is_empty());
    let mine = phone.docs.get_mut(&doc).unwrap().get_heads();
    assert!(server_has(&server, &doc, &mine[0]));
}

/// Sends one hand-made sync message for `doc` carrying `changes` and returns the reply.
async fn send_changes(
    phone: &mut Device,
    doc: &DocId,
    changes: &[automerge::Change],
    last_sync: &[automerge::ChangeHash],
) -> SyncResponse {
    let chunks = changes.iter().map(|c| c.raw_bytes().to_vec()).collect();
    send_chunks(phone, doc, chunks, last_sync).await
}

/// Sends one hand-made sync message for `doc` carrying `chunks` as they are.
async fn send_chunks(
    phone: &mut Device,
    doc: &DocId,
    chunks: Vec<Vec<u8>>,
    last_sync: &[automerge::ChangeHash],
) -> SyncResponse {
    use automerge::sync::{BloomFilter, ChunkList, Have, Message, MessageVersion};
    let heads = phone.docs.get_mut(doc).unwrap().get_heads();
    let message = Message {
        heads,
        need: Vec::new(),
        have: vec![Have {
            last_sync: last_sync.to_vec(),
            bloom: BloomFilter::default(),
        }],
        changes: ChunkList::from(chunks),
        flags: None,
        version: MessageVersion::V1,
    };
    let body = to_postcard(&SyncRequest {
        api_version: API_VERSION,
        device_time: now(),
        messages: vec![DocMessage {
            doc: doc.clone(),
            message: message.encode(),
        }],
    });
    let res = phone.post("/sync/exchange", body).await;
    assert_eq!(res.status(), 200);
    from_postcard(&res.bytes().await.unwrap()).unwrap()
}

/// A byte flipped on the way (or by a forger) inside a well-formed message: automerge alone
/// would drop the change with a log line and ask for it again forever.
#[tokio::test]
async fn a_damaged_change_inside_a_good_message_is_refused_by_name_and_the_intact_one_is_stored() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let (_, doc) = unit_doc(&server, 3);
    let stored_before = server.state.store.doc_heads(&doc).await.unwrap();
    let start = phone.docs.get_mut(&doc).unwrap().get_heads();
    record(&mut phone, &doc).await;
    let changes = phone.docs.get_mut(&doc).unwrap().get_changes(&start);
    let good: Vec<Vec<u8>> = changes.iter().map(|c| c.raw_bytes().to_vec()).collect();
    let mut damaged = good.clone();
    let last = damaged.last_mut().unwrap();
    let at = last.len() - 3;
    last[at] ^= 0x01;

    let reply = send_chunks(&mut phone, &doc, damaged, &start).await;
    assert_eq!(reply.refused.len(), 1, "{reply:?}");
    assert_eq!(reply.refused[0].doc, doc);
    let reason = &reply.refused[0].reason;
    assert!(
        reason.contains("damaged")
            && reason.contains(&format!("chunk {} of {}", good.len(), good.len())),
        "{reason}"
    );
    assert_eq!(
        server.state.store.doc_heads(&doc).await.unwrap(),
        stored_before
    );

    let reply = send_chunks(&mut phone, &doc, good, &start).await;
    assert!(reply.refused.is_empty(), "{:?}", reply.refused);
    for head in phone.docs.get_mut(&doc).unwrap().get_heads() {
        assert!(server_has(&server, &doc, &head));
    }
}

/// Chunks that made automerge's own decoder panic or ask for 16 GB (found by the
/// `unit_changes` fuzz target) are refused as damaged, by name, like any other: the request is
/// answered, nothing is stored, and the server goes on.
#[tokio::test]
async fn chunks_that_made_automerge_panic_or_run_out_of_memory_are_refused() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let (_, doc) = unit_doc(&server, 4);
    let stored_before = server.state.store.doc_heads(&doc).await.unwrap();
    let start = phone.docs.get_mut(&doc).unwrap().get_heads();
    for poison in [
        include_bytes!("../../fuzz/seeds/unit_changes/bundle-with-bad-rle").to_vec(),
        include_bytes!("../../fuzz/seeds/unit_changes/bundle-memory-bomb").to_vec(),
    ] {
        let reply = send_chunks(&mut phone, &doc, vec![poison], &start).await;
        assert_eq!(reply.refused.len(), 1, "{reply:?}");
        assert!(reply.refused[0].reason.contains("bundle"), "{reply:?}");
        let heads = server.state.store.doc_heads(&doc).await.unwrap();
        assert_eq!(heads, stored_before);
    }
    record(&mut phone, &doc).await;
    assert!(phone.sync().await.refused.is_empty(), "the server goes on");
}

/// automerge's sender picks what to send from a Bloom filter of what the receiver has; a false
/// positive (about one change in a hundred) leaves out a change the receiver lacks. The server
/// must hold what arrived, ask for what is missing, and store the whole once it is there.
#[tokio::test]
async fn a_change_that_arrives_before_its_dependency_waits_and_is_asked_for() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let (_, doc) = unit_doc(&server, 5);
    let stored_before = server.state.store.doc_heads(&doc).await.unwrap();
    let start = phone.docs.get_mut(&doc).unwrap().get_heads();
    let finding = record(&mut phone, &doc).await;
    let mut unit = phone.unit(&doc);
    let actor = phone.actor.clone();
    unit.edit_field(&actor, now(), &finding, FieldEdit::Severity(Severity::S2))
        .unwrap();
    phone.put_unit(&doc, unit);
    let changes = phone.docs.get_mut(&doc).unwrap().get_changes(&start);
    assert!(changes.len() >= 2, "{} changes", changes.len());
    let (first, later) = changes.split_first().unwrap();

    // The later changes alone: nothing is stored, and the reply asks for the first.
    let reply = send_changes(&mut phone, &doc, later, &start).await;
    assert!(reply.refused.is_empty(), "{:?}", reply.refused);
    assert_eq!(
        server.state.store.doc_heads(&doc).await.unwrap(),
        stored_before
    );
    let asked = automerge::sync::Message::decode(&reply.messages[0].message).unwrap();
    assert!(asked.need.contains(&first.hash()), "{:?}", asked.need);
    // Nothing stored, so the reply carries no summary: the phone is not in sync.
    assert_eq!(reply.summary, None);

    // The first one arrives: the whole batch is validated and stored.
    let reply = send_changes(&mut phone, &doc, std::slice::from_ref(first), &start).await;
    assert!(reply.refused.is_empty(), "{:?}", reply.refused);
    let mine = phone.docs.get_mut(&doc).unwrap().get_heads();
    for head in &mine {
        assert!(server_has(&server, &doc, head));
    }
    // Stored, and once the phone applies the reply (the server's receipts) it holds what the
    // server holds: the reply's summary is the phone's own, so no manifest is needed.
    let summary = reply
        .summary
        .expect("a push that stored something carries the summary");
    phone.receive(reply.messages);
    assert_eq!(phone.manifest_request(false).summary, summary);
    assert_eq!(cases_of(&server, &unit_doc(&server, 5).0).await.len(), 1);
}

#[tokio::test]
async fn a_finding_off_the_checklist_is_refused_and_a_good_one_in_the_same_unit_is_stored() {
    let server = TestServer::start().await;
    let mut device = server.device("wangli", Role::Inspector).await;
    device.sync().await;
    let (unit_id, doc) = unit_doc(&server, 0);
    let mut unit = device.unit(&doc);
    let actor = device.actor.clone();
    let off = NewFinding {
        room: "garage".parse().unwrap(),
        item: "garage.door".parse().unwrap(),
        category: "nonsense".parse().unwrap(),
        ..leak()
    };
    unit.record_finding(&actor, now(), off).unwrap();
    device.put_unit(&doc, unit);
    let report = device.sync().await;
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert!(
        report.refused[0]
            .1
            .contains("`garage.door` is not on the checklist"),
        "{report:?}"
    );
    assert!(cases_of(&server, &unit_id).await.is_empty());

    // An item of another room, and an unknown category, are refused the same way.
    for (room, item, category, says) in [
        (
            "kitchen",
            "bathroom.ponding_test",
            "waterproofing",
            "is in room `bathroom`",
        ),
        (
            "bathroom",
            "bathroom.ponding_test",
            "nonsense",
            "category `nonsense`",
        ),
    ] {
        let mut fresh = server.device("wangli", Role::Inspector).await;
        fresh.sync().await;
        let mut unit = fresh.unit(&doc);
        let actor = fresh.actor.clone();
        let bad = NewFinding {
            room: room.parse().unwrap(),
            item: item.parse().unwrap(),
            category: category.parse().unwrap(),
            ..leak()
        };
        unit.record_finding(&actor, now(), bad).unwrap();
        fresh.put_unit(&doc, unit);
        let report = fresh.sync().await;
        assert!(
            report
                .refused
                .first()
                .is_some_and(|(_, r)| r.contains(says)),
            "{says}: {report:?}"
        );
    }
    let mut good = server.device("wangli", Role::Inspector).await;
    good.sync().await;
    record(&mut good, &doc).await;
    assert!(good.sync().await.refused.is_empty());
    assert_eq!(cases_of(&server, &unit_id).await.len(), 1);
}

/// A change made to a unit document by `actor`, past the document's own checks.
type Forgery<'a> = dyn FnOnce(&mut UnitDoc, &Actor) + 'a;

/// Writes `put` into finding `id` of `unit` as raw automerge, past the document's own checks:
/// what a forged client could send.
fn forge(
    unit: &mut UnitDoc,
    actor: &Actor,
    id: &FindingId,
    put: impl FnOnce(&mut AutoCommit, &ObjId),
) {
    use automerge::{ObjType, ROOT, ReadDoc, Value};
    let am = unit.automerge_mut();
    am.set_actor(plumbline_shared::doc::actor_for(&actor.device));
    let Some((Value::Object(ObjType::Map), findings)) = am.get(ROOT, "findings").unwrap() else {
        panic!("no findings")
    };
    let Some((Value::Object(ObjType::Map), f)) = am.get(&findings, id.as_str()).unwrap() else {
        panic!("no finding {id}")
    };
    put(am, &f);
    am.commit();
}

/// The map of a finding's evidence in a raw unit document.
fn evidence_map(am: &AutoCommit, finding: &ObjId) -> ObjId {
    use automerge::{ObjType, ReadDoc, Value};
    let Some((Value::Object(ObjType::Map), evidence)) = am.get(finding, "evidence").unwrap() else {
        panic!("no evidence map")
    };
    evidence
}

/// Every field that comes through sync meets the bounds the same field meets when the phone
/// or the office writes it, checked by the same code in `shared`.
#[tokio::test]
async fn content_out_of_bounds_is_refused_through_sync_with_its_reason() {
    use automerge::{ObjType, ReadDoc, Value, transaction::Transactable};
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let (_, doc) = unit_doc(&server, 9);
    let finding = record(&mut phone, &doc).await;
    assert!(phone.sync().await.refused.is_empty());
    let stored = server.state.store.doc_heads(&doc).await.unwrap();

    let attempts: Vec<(&str, Box<Forgery<'_>>)> = vec![
        (
            "200000 characters long",
            Box::new(|u: &mut UnitDoc, actor: &Actor| {
                forge(u, actor, &finding, |am, f| {
                    am.put(f, "description", "漏".repeat(200_000)).unwrap();
                })
            }),
        ),
        (
            "the fine of -500000 fen",
            Box::new(|u: &mut UnitDoc, actor: &Actor| {
                forge(u, actor, &finding, |am, f| {
                    let Some((Value::Object(ObjType::List), events)) = am.get(f, "events").unwrap()
                    else {
                        panic!("no events")
                    };
                    let event = Event {
                        id: EventId::random(),
                        kind: EventKind::FineDrafted {
                            fine: "fine-9".parse().unwrap(),
                            contractor: "hengzhu-civil".parse().unwrap(),
                            condition: plumbline_shared::workflow::PenaltyCondition::NoResponse,
                            amount_fen: -500_000,
                        },
                        actor: actor.clone(),
                        at: now(),
                    };
                    let end = am.length(&events);
                    am.insert(&events, end, serde_json::to_string(&event).unwrap())
                        .unwrap();
                })
            }),
        ),
        (
            "not a plausible time",
            Box::new(|u: &mut UnitDoc, actor: &Actor| {
                let year_2100 = Timestamp(4_102_444_800_000);
                u.record_finding(actor, year_2100, leak()).unwrap();
            }),
        ),
        (
            "invisible control character (U+202E)",
            Box::new(|u: &mut UnitDoc, actor: &Actor| {
                forge(u, actor, &finding, |am, f| {
                    am.put(f, "description", "渗漏\u{202E}gnp.exe").unwrap();
                })
            }),
        ),
        (
            "`notice_issued` carries a number the office issues",
            Box::new(|u: &mut UnitDoc, actor: &Actor| {
                let notice = EventKind::NoticeIssued {
                    notice_no: "ZG-1999-9999".into(),
                    contractor: "hengzhu-civil".parse().unwrap(),
                    repair_deadline: now().plus_ms(3 * 86_400_000),
                };
                u.append_event(actor, now(), &finding, notice).unwrap();
            }),
        ),
        (
            "`fine_drafted` carries a number the office issues",
            Box::new(|u: &mut UnitDoc, actor: &Actor| {
                let fine = EventKind::FineDrafted {
                    fine: "FK-2026-0001".parse().unwrap(),
                    contractor: "hengzhu-civil".parse().unwrap(),
                    condition: plumbline_shared::workflow::PenaltyCondition::NoResponse,
                    amount_fen: 500_000,
                };
                u.append_event(actor, now(), &finding, fine).unwrap();
            }),
        ),
        (
            "would hold 121 photos; the app stops at 60",
            Box::new(|u: &mut UnitDoc, actor: &Actor| {
                forge(u, actor, &finding, |am, f| {
                    let evidence = evidence_map(am, f);
                    for i in 0..121u32 {
                        let hash = BlobHash::of(&i.to_le_bytes());
                        let photo = crate::common::photo(actor, now(), hash.clone(), 300_000);
                        am.put(
                            &evidence,
                            hash.as_str(),
                            serde_json::to_string(&photo).unwrap(),
                        )
                        .unwrap();
                    }
                })
            }),
        ),
        (
            "each side must be between 1 and 8192 px",
            Box::new(|u: &mut UnitDoc, actor: &Actor| {
                forge(u, actor, &finding, |am, f| {
                    let evidence = evidence_map(am, f);
                    let hash = BlobHash::of(b"a photo that claims 100000 px");
                    let mut photo = crate::common::photo(actor, now(), hash.clone(), 300_000);
                    photo.width = 100_000;
                    am.put(
                        &evidence,
                        hash.as_str(),
                        serde_json::to_string(&photo).unwrap(),
                    )
                    .unwrap();
                })
            }),
        ),
    ];
    for (says, attempt) in attempts {
        let mut unit = phone.unit(&doc);
        let actor = phone.actor.clone();
        attempt(&mut unit, &actor);
        phone.put_unit(&doc, unit);
        let report = phone.sync().await;
        assert_eq!(report.refused.len(), 1, "{says}: {report:?}");
        assert!(report.refused[0].1.contains(says), "{says}: {report:?}");
        assert_eq!(
            server.state.store.doc_heads(&doc).await.unwrap(),
            stored,
            "{says}"
        );
        // The phone starts again from what the server holds.
        phone = server.device("wangli", Role::Inspector).await;
        phone.sync().await;
    }
}

/// The office's steps (written by the server from the office's device) and a phone's offline
/// work on the same unit meet: each side ends with both, and the phone's edit is not refused.
#[tokio::test]
async fn a_phone_s_offline_edit_and_the_office_s_steps_on_one_unit_meet_on_both_sides() {
    let server = TestServer::start().await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let (_, doc) = unit_doc(&server, 3);
    let finding = record(&mut phone, &doc).await;
    assert!(phone.sync().await.refused.is_empty());
    let actor = phone.actor.clone();
    crate::common::accept_repair(&server, &doc, &actor, &finding, now()).await;
    let mut u = phone.unit(&doc);
    let second = u.record_finding(&actor, now(), leak()).unwrap();
    phone.put_unit(&doc, u);
    let report = phone.sync().await;
    assert!(report.refused.is_empty(), "{report:?}");
    let on_phone = phone.unit(&doc).finding(&finding).unwrap();
    assert!(
        on_phone
            .events
            .iter()
            .any(|e| e.kind.name() == "acceptance_passed"),
        "the phone has the office's steps"
    );
    let mut guard = server.state.docs.lock(&doc).await;
    let stored = server
        .state
        .docs
        .get(&mut guard, &doc)
        .await
        .unwrap()
        .unwrap();
    let on_server = UnitDoc::from_trusted(stored.doc.clone());
    assert!(
        on_server.finding(&second).is_ok(),
        "the server has the phone's finding"
    );
}

/// An exchange request body carrying `message` for `doc` alone.
fn one_message(doc: &DocId, message: Vec<u8>) -> Vec<u8> {
    to_postcard(&SyncRequest {
        api_version: API_VERSION,
        device_time: now(),
        messages: vec![DocMessage {
            doc: doc.clone(),
            message,
        }],
    })
}

/// The first sync message of an empty document: a real automerge message.
fn first_message() -> Vec<u8> {
    let mut am = AutoCommit::new();
    automerge::sync::SyncDoc::generate_sync_message(&am.sync(), &mut Default::default())
        .unwrap()
        .encode()
}
