//! The unit document: operations, concurrent edits, conflicts and schema checks.
#![allow(clippy::unwrap_used)] // test helpers panic on bad fixtures, by design

use automerge::{AutoCommit, ROOT, transaction::Transactable};
use plumbline_shared::doc::DocError;
use plumbline_shared::doc::conflict::FindingField;
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef, Location};
use plumbline_shared::doc::round::{Outcome, RoundKind};
use plumbline_shared::doc::unit::{FieldEdit, NewFinding, UnitDoc};
use plumbline_shared::event::{EditedField, Event, EventKind, Origin, Receipt};
use plumbline_shared::ids::{BlobHash, DeviceId, EventId, ProjectId, UnitId, UserId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::{Status, WorkflowSettings};

fn inspector(n: u32) -> Actor {
    Actor {
        user: UserId::new(format!("inspector-{n}")).unwrap(),
        role: Role::Inspector,
        device: DeviceId::new(format!("phone-{n}")).unwrap(),
    }
}

fn new_doc() -> UnitDoc {
    UnitDoc::new(
        &ProjectId::new("licheng").unwrap(),
        &UnitId::new("licheng-b1-1201").unwrap(),
    )
}

fn leak() -> NewFinding {
    NewFinding {
        origin: Origin::Inspection,
        round: None,
        room: "bathroom".parse().unwrap(),
        item: "bathroom.ponding_test".parse().unwrap(),
        category: "waterproofing".parse().unwrap(),
        severity: Severity::S1,
        description: "闭水试验楼下渗水".into(),
    }
}

fn photo(bytes: &[u8], device: &Actor) -> EvidenceRef {
    EvidenceRef {
        hash: BlobHash::of(bytes),
        kind: EvidenceKind::Photo,
        bytes: 812_345,
        width: 2048,
        height: 1536,
        captured_at: Timestamp(1_000),
        device: device.device.clone(),
        author: device.user.clone(),
        location: Some(Location {
            lat: 30.27,
            lon: 120.15,
            accuracy_m: 8.0,
        }),
        pin: None,
        thumbnail: None,
    }
}

fn merge(a: &mut UnitDoc, b: &mut UnitDoc) {
    a.automerge_mut().merge(b.automerge_mut()).unwrap();
    b.automerge_mut().merge(a.automerge_mut()).unwrap();
}

#[test]
fn two_replicas_creating_the_same_unit_document_make_the_same_first_change() {
    let mut a = new_doc();
    let mut b = new_doc();
    assert_eq!(a.automerge_mut().get_heads(), b.automerge_mut().get_heads());

    let fa = a
        .record_finding(&inspector(1), Timestamp(10), leak())
        .unwrap();
    let fb = b
        .record_finding(&inspector(2), Timestamp(11), leak())
        .unwrap();
    merge(&mut a, &mut b);
    let findings = a.findings().unwrap();
    assert!(
        findings.contains_key(&fa) && findings.contains_key(&fb),
        "neither side's map hides the other's"
    );
    assert_eq!(a.read().unwrap(), b.read().unwrap());
}

#[test]
fn a_recorded_finding_reads_back_with_its_recorded_event() {
    let mut doc = new_doc();
    let me = inspector(1);
    let id = doc.record_finding(&me, Timestamp(1_000), leak()).unwrap();
    let f = doc.finding(&id).unwrap();
    assert_eq!(f.description, "闭水试验楼下渗水");
    assert_eq!(f.severity, Severity::S1);
    assert_eq!(f.created_by, me);
    assert_eq!(f.events.len(), 1);
    assert_eq!(
        f.events[0].kind,
        EventKind::Recorded {
            origin: Origin::Inspection
        }
    );
    assert_eq!(
        f.state(Timestamp(2_000), &WorkflowSettings::default())
            .status,
        Status::Open
    );
    assert_eq!(doc.read().unwrap().editors.get(&me.device), Some(&me.user));

    let saved = doc.save();
    let loaded = UnitDoc::load(&saved).unwrap();
    assert_eq!(loaded.finding(&id).unwrap(), f);
}

#[test]
fn rounds_number_themselves_and_record_results() {
    let mut doc = new_doc();
    let me = inspector(1);
    let r1 = doc
        .start_round(&me, Timestamp(1), RoundKind::PreHandover)
        .unwrap();
    let r2 = doc
        .start_round(&me, Timestamp(2), RoundKind::PreHandover)
        .unwrap();
    assert_eq!(doc.round(&r2).unwrap().number, 2);
    let item = "kitchen.drain".parse().unwrap();
    doc.record_result(&me, Timestamp(3), &r1, &item, Outcome::Pass, None)
        .unwrap();
    assert_eq!(
        doc.round(&r1).unwrap().results[&item].outcome,
        Outcome::Pass
    );

    let err = doc
        .record_result(&me, Timestamp(4), &r1, &item, Outcome::Defect, None)
        .unwrap_err();
    assert!(err.to_string().contains("needs the finding"), "{err}");
}

#[test]
fn evidence_attaches_once_per_hash() {
    let mut doc = new_doc();
    let me = inspector(1);
    let id = doc.record_finding(&me, Timestamp(1), leak()).unwrap();
    let first = doc
        .attach_evidence(&me, Timestamp(2), &id, photo(b"jpeg", &me))
        .unwrap();
    let again = doc
        .attach_evidence(&me, Timestamp(3), &id, photo(b"jpeg", &me))
        .unwrap();
    assert!(first.is_some());
    assert_eq!(again, None);
    let f = doc.finding(&id).unwrap();
    assert_eq!(f.evidence.len(), 1);
    assert_eq!(f.events.len(), 2);
}

#[test]
fn an_event_appended_twice_with_one_id_is_stored_once() {
    let mut doc = new_doc();
    let me = inspector(1);
    let id = doc.record_finding(&me, Timestamp(1), leak()).unwrap();
    let event = Event {
        id: EventId::new("office-retry-1").unwrap(),
        kind: EventKind::Closed {
            reason: "完成".into(),
        },
        actor: me.clone(),
        at: Timestamp(5),
    };
    doc.append(&id, event.clone()).unwrap();
    doc.append(&id, event).unwrap();
    assert_eq!(doc.finding(&id).unwrap().events.len(), 2);
}

#[test]
fn receipts_are_written_once() {
    let mut doc = new_doc();
    let me = inspector(1);
    let id = doc.record_finding(&me, Timestamp(1), leak()).unwrap();
    let event = doc.finding(&id).unwrap().events[0].id.clone();
    let server = Actor {
        user: UserId::new("server").unwrap(),
        role: Role::Admin,
        device: DeviceId::new("server-1").unwrap(),
    };
    let r = Receipt {
        received_at: Timestamp(100),
        skew_ms: 20,
    };
    assert!(doc.record_receipt(&server, &id, &event, r).unwrap());
    assert!(
        !doc.record_receipt(
            &server,
            &id,
            &event,
            Receipt {
                received_at: Timestamp(200),
                skew_ms: 0
            }
        )
        .unwrap()
    );
    assert_eq!(doc.finding(&id).unwrap().receipts[&event], r);
}

#[test]
fn concurrent_edits_of_one_field_keep_both_values_and_say_by_whom() {
    let mut a = new_doc();
    let id = a
        .record_finding(&inspector(1), Timestamp(1), leak())
        .unwrap();
    let mut b = UnitDoc::load(&a.save()).unwrap();

    a.edit_field(
        &inspector(1),
        Timestamp(2),
        &id,
        FieldEdit::Severity(Severity::S2),
    )
    .unwrap();
    b.edit_field(
        &inspector(2),
        Timestamp(3),
        &id,
        FieldEdit::Severity(Severity::S3),
    )
    .unwrap();
    b.edit_field(
        &inspector(2),
        Timestamp(3),
        &id,
        FieldEdit::Description("楼下天花渗水".into()),
    )
    .unwrap();
    merge(&mut a, &mut b);

    let conflicts = a.conflicts(&id).unwrap();
    assert_eq!(
        conflicts,
        b.conflicts(&id).unwrap(),
        "both replicas report the same conflict"
    );
    assert_eq!(
        conflicts.len(),
        1,
        "only severity was changed on both sides: {conflicts:?}"
    );
    let c = &conflicts[0];
    assert_eq!(c.field, FindingField::Severity);
    let mut values: Vec<(&str, &str)> = c
        .values
        .iter()
        .map(|v| (v.value.as_str(), v.user.as_ref().unwrap().as_str()))
        .collect();
    values.sort();
    assert_eq!(values, vec![("S2", "inspector-1"), ("S3", "inspector-2")]);
    assert_eq!(c.values.iter().filter(|v| v.shown).count(), 1);
    assert!(c.values[0].shown, "the value screens show comes first");
    let shown = a.finding(&id).unwrap().severity.as_str().to_owned();
    assert_eq!(c.values[0].value, shown);
    assert_eq!(a.finding(&id).unwrap().description, "楼下天花渗水");

    // Editing the field again resolves the conflict.
    a.edit_field(
        &inspector(1),
        Timestamp(4),
        &id,
        FieldEdit::Severity(Severity::S2),
    )
    .unwrap();
    assert!(a.conflicts(&id).unwrap().is_empty());
}

#[test]
fn oversized_input_is_refused_and_changes_nothing() {
    let mut doc = new_doc();
    let me = inspector(1);
    let id = doc.record_finding(&me, Timestamp(1), leak()).unwrap();
    let before = doc.automerge_mut().get_heads();

    let long = "漏".repeat(2_001);
    let err = doc
        .edit_field(&me, Timestamp(2), &id, FieldEdit::Description(long.clone()))
        .unwrap_err();
    assert!(err.to_string().contains("2001 characters"), "{err}");
    let err = doc
        .record_finding(
            &me,
            Timestamp(2),
            NewFinding {
                description: long,
                ..leak()
            },
        )
        .unwrap_err();
    assert!(matches!(err, DocError::Invalid(_)));
    let err = doc
        .append_event(
            &me,
            Timestamp(2),
            &id,
            EventKind::Closed {
                reason: "x".repeat(1_001),
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("closed"), "{err}");
    let mut bad_photo = photo(b"x", &me);
    bad_photo.width = 0;
    assert!(
        doc.attach_evidence(&me, Timestamp(2), &id, bad_photo)
            .is_err()
    );
    let missing = "nope".parse().unwrap();
    assert!(matches!(
        doc.edit_field(
            &me,
            Timestamp(2),
            &missing,
            FieldEdit::Severity(Severity::S4)
        ),
        Err(DocError::NoSuchFinding(_))
    ));

    assert_eq!(doc.automerge_mut().get_heads(), before);
}

#[test]
fn documents_that_do_not_fit_the_schema_are_refused_with_a_clear_error() {
    assert!(matches!(
        UnitDoc::load(b"not automerge"),
        Err(DocError::Automerge(_))
    ));

    let mut other = AutoCommit::new();
    other.put(ROOT, "schema", "someone-else/notes").unwrap();
    let err = UnitDoc::load(&other.save()).unwrap_err();
    assert!(err.to_string().contains("\"plumbline/unit\""), "{err}");

    let mut newer = new_doc();
    newer
        .automerge_mut()
        .put(ROOT, "schema_version", 9_i64)
        .unwrap();
    let err = UnitDoc::load(&newer.save()).unwrap_err();
    assert!(err.to_string().contains("update the app"), "{err}");

    let mut broken = new_doc();
    let id = broken
        .record_finding(&inspector(1), Timestamp(1), leak())
        .unwrap();
    let findings = match automerge::ReadDoc::get(broken.automerge(), ROOT, "findings").unwrap() {
        Some((_, obj)) => obj,
        None => unreachable!(),
    };
    let finding = automerge::ReadDoc::get(broken.automerge(), &findings, id.as_str())
        .unwrap()
        .unwrap()
        .1;
    broken
        .automerge_mut()
        .put(&finding, "severity", "S9")
        .unwrap();
    let err = UnitDoc::load(&broken.save()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&format!("finding `{id}`")), "{msg}");
}

#[test]
fn an_edit_is_on_the_timeline_with_the_old_and_new_value_and_a_repeat_records_nothing() {
    let mut doc = new_doc();
    let id = doc
        .record_finding(&inspector(1), Timestamp(1), leak())
        .unwrap();
    let was = doc.finding(&id).unwrap().severity;
    doc.edit_field(
        &inspector(2),
        Timestamp(5),
        &id,
        FieldEdit::Severity(Severity::S4),
    )
    .unwrap();
    let heads = doc.automerge_mut().get_heads();
    doc.edit_field(
        &inspector(2),
        Timestamp(6),
        &id,
        FieldEdit::Severity(Severity::S4),
    )
    .unwrap();
    assert_eq!(
        doc.automerge_mut().get_heads(),
        heads,
        "a repeat writes nothing"
    );

    let f = doc.finding(&id).unwrap();
    assert_eq!(f.severity, Severity::S4);
    let edits: Vec<&Event> = f
        .events
        .iter()
        .filter(|e| e.kind.name() == "field_edited")
        .collect();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].actor, inspector(2));
    assert_eq!(edits[0].at, Timestamp(5));
    assert_eq!(
        edits[0].kind,
        EventKind::FieldEdited {
            field: EditedField::Severity,
            from: was.as_str().to_owned(),
            to: "S4".to_owned(),
        }
    );
}
