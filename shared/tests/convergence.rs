//! Property tests: replicas that apply random operations with random sync points and
//! duplicated deliveries all end with the same heads, the same hydrated document, the same
//! conflicts and the same derived case states.
#![allow(clippy::unwrap_used)] // test helpers panic on bad fixtures, by design

use automerge::sync::{self, SyncDoc};
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef};
use plumbline_shared::doc::unit::{FieldEdit, NewFinding, UnitDoc};
use plumbline_shared::event::{CallbackChannel, EventKind, Origin, ResponseMode, Satisfaction};
use plumbline_shared::ids::{
    BlobHash, ContractorId, DeviceId, FindingId, FineId, ProjectId, UnitId, UserId,
};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::time::{HOUR_MS, Timestamp};
use plumbline_shared::workflow::{CaseState, PenaltyCondition, WorkflowSettings};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Record {
        replica: usize,
        severity: usize,
    },
    Edit {
        replica: usize,
        finding: usize,
        field: usize,
        value: usize,
    },
    Event {
        replica: usize,
        finding: usize,
        kind: usize,
    },
    Evidence {
        replica: usize,
        finding: usize,
        photo: u8,
    },
    Sync {
        from: usize,
        to: usize,
        protocol: bool,
        duplicate: bool,
    },
}

fn op(replicas: usize) -> impl Strategy<Value = Op> {
    let r = 0..replicas;
    prop_oneof![
        (r.clone(), 0..4usize).prop_map(|(replica, severity)| Op::Record { replica, severity }),
        (r.clone(), any::<usize>(), 0..3usize, 0..4usize).prop_map(
            |(replica, finding, field, value)| Op::Edit {
                replica,
                finding,
                field,
                value
            }
        ),
        (r.clone(), any::<usize>(), 0..10usize).prop_map(|(replica, finding, kind)| Op::Event {
            replica,
            finding,
            kind
        }),
        (r.clone(), any::<usize>(), 0..4u8).prop_map(|(replica, finding, photo)| Op::Evidence {
            replica,
            finding,
            photo
        }),
        (r.clone(), r, any::<bool>(), any::<bool>()).prop_map(|(from, to, protocol, duplicate)| {
            Op::Sync {
                from,
                to,
                protocol,
                duplicate,
            }
        }),
    ]
}

fn actor(replica: usize) -> Actor {
    let role = if replica == 2 {
        Role::Manager
    } else {
        Role::Inspector
    };
    Actor {
        user: UserId::new(format!("user-{replica}")).unwrap(),
        role,
        device: DeviceId::new(format!("device-{replica}")).unwrap(),
    }
}

fn event_kind(kind: usize, at: i64) -> EventKind {
    let civil = ContractorId::new("civil").unwrap();
    match kind {
        0 => EventKind::NoticeIssued {
            notice_no: format!("ZG-{at}"),
            contractor: civil,
            repair_deadline: Timestamp(at + 48 * HOUR_MS),
        },
        1 => EventKind::ContractorResponded {
            mode: ResponseMode::OnSite,
            note: String::new(),
        },
        2 => EventKind::RepairReported {
            note: "done".into(),
            evidence: vec![],
        },
        3 => EventKind::AcceptancePassed {
            note: String::new(),
        },
        4 => EventKind::AcceptanceFailed {
            reason: "渗水".into(),
        },
        5 => EventKind::Callback {
            channel: CallbackChannel::Phone,
            level: Satisfaction::Dissatisfied,
            note: String::new(),
        },
        6 => EventKind::FineDrafted {
            fine: FineId::new(format!("fine-{at}")).unwrap(),
            contractor: civil,
            condition: PenaltyCondition::RepairLateOrFailed,
            amount_fen: 500_000,
        },
        7 => EventKind::Disputed {
            reason: "不是我们的".into(),
        },
        8 => EventKind::Closed {
            reason: "ok".into(),
        },
        _ => EventKind::NoticeReturned {
            reply: "已回复".into(),
        },
    }
}

fn pick(doc: &UnitDoc, n: usize) -> Option<FindingId> {
    let ids = doc.finding_ids().unwrap();
    (!ids.is_empty()).then(|| ids[n % ids.len()].clone())
}

fn sync_with_protocol(a: &mut UnitDoc, b: &mut UnitDoc) {
    let (mut sa, mut sb) = (sync::State::new(), sync::State::new());
    for _ in 0..20 {
        let m1 = a.automerge_mut().sync().generate_sync_message(&mut sa);
        if let Some(m) = &m1 {
            let wire = sync::Message::decode(&m.clone().encode()).unwrap();
            b.automerge_mut()
                .sync()
                .receive_sync_message(&mut sb, wire)
                .unwrap();
        }
        let m2 = b.automerge_mut().sync().generate_sync_message(&mut sb);
        if let Some(m) = &m2 {
            a.automerge_mut()
                .sync()
                .receive_sync_message(&mut sa, m.clone())
                .unwrap();
        }
        if m1.is_none() && m2.is_none() {
            return;
        }
    }
    panic!("sync did not settle in 20 rounds");
}

fn deliver(replicas: &mut [UnitDoc], from: usize, to: usize, protocol: bool, duplicate: bool) {
    if from == to {
        return;
    }
    let (a, b) = if from < to {
        let (l, r) = replicas.split_at_mut(to);
        (&mut l[from], &mut r[0])
    } else {
        let (l, r) = replicas.split_at_mut(from);
        (&mut r[0], &mut l[to])
    };
    if protocol {
        sync_with_protocol(a, b);
    } else {
        let have = b.automerge_mut().get_heads();
        let changes: Vec<automerge::Change> =
            a.automerge_mut().get_changes(&have).into_iter().collect();
        b.automerge_mut().apply_changes(changes.clone()).unwrap();
        if duplicate {
            b.automerge_mut().apply_changes(changes).unwrap();
        }
    }
}

fn run(ops: Vec<Op>, n: usize) {
    let project = ProjectId::new("p").unwrap();
    let unit = UnitId::new("u").unwrap();
    let mut replicas: Vec<UnitDoc> = (0..n).map(|_| UnitDoc::new(&project, &unit)).collect();
    let base = 1_800_000_000_000_i64;
    for (i, op) in ops.into_iter().enumerate() {
        let at = Timestamp(base + i as i64 * HOUR_MS);
        match op {
            Op::Record { replica, severity } => {
                let new = NewFinding {
                    origin: Origin::Inspection,
                    round: None,
                    room: "kitchen".parse().unwrap(),
                    item: "kitchen.drain".parse().unwrap(),
                    category: "plumbing".parse().unwrap(),
                    severity: Severity::ALL[severity],
                    description: format!("finding {i}"),
                };
                replicas[replica]
                    .record_finding(&actor(replica), at, new)
                    .unwrap();
            }
            Op::Edit {
                replica,
                finding,
                field,
                value,
            } => {
                if let Some(id) = pick(&replicas[replica], finding) {
                    let edit = match field {
                        0 => FieldEdit::Severity(Severity::ALL[value]),
                        1 => FieldEdit::Category(
                            ["plumbing", "leakage", "floor", "general"][value]
                                .parse()
                                .unwrap(),
                        ),
                        _ => FieldEdit::Description(format!("edited by {replica} at {i}")),
                    };
                    replicas[replica]
                        .edit_field(&actor(replica), at, &id, edit)
                        .unwrap();
                }
            }
            Op::Event {
                replica,
                finding,
                kind,
            } => {
                if let Some(id) = pick(&replicas[replica], finding) {
                    let k = event_kind(kind, at.millis());
                    replicas[replica]
                        .append_event(&actor(replica), at, &id, k)
                        .unwrap();
                }
            }
            Op::Evidence {
                replica,
                finding,
                photo,
            } => {
                if let Some(id) = pick(&replicas[replica], finding) {
                    let me = actor(replica);
                    let evidence = EvidenceRef {
                        hash: BlobHash::of(&[photo]),
                        kind: EvidenceKind::Photo,
                        bytes: 1000 + u64::from(photo),
                        width: 2048,
                        height: 1536,
                        captured_at: at,
                        device: me.device.clone(),
                        author: me.user.clone(),
                        location: None,
                        pin: None,
                        thumbnail: None,
                    };
                    replicas[replica]
                        .attach_evidence(&me, at, &id, evidence)
                        .unwrap();
                }
            }
            Op::Sync {
                from,
                to,
                protocol,
                duplicate,
            } => deliver(&mut replicas, from, to, protocol, duplicate),
        }
    }

    // Everyone talks to everyone until nothing is left to exchange.
    for from in 0..n {
        for to in 0..n {
            deliver(&mut replicas, from, to, from % 2 == 0, true);
        }
    }
    for from in 0..n {
        for to in 0..n {
            deliver(&mut replicas, from, to, false, false);
        }
    }

    let now = Timestamp(base + 10_000 * HOUR_MS);
    let settings = WorkflowSettings::default();
    let summary = |doc: &mut UnitDoc| {
        let heads = doc.automerge_mut().get_heads();
        let record = doc.read().unwrap();
        let states: Vec<(FindingId, CaseState, usize)> = record
            .findings
            .values()
            .map(|f| {
                (
                    f.id.clone(),
                    f.state(now, &settings),
                    doc.conflicts(&f.id).unwrap().len(),
                )
            })
            .collect();
        (heads, record, states)
    };
    let first = summary(&mut replicas[0]);
    for (i, r) in replicas.iter_mut().enumerate().skip(1) {
        let other = summary(r);
        prop_assert_eq_helper(&first.0, &other.0, i, "heads");
        assert!(first.1 == other.1, "replica {i}: hydrated documents differ");
        assert!(first.2 == other.2, "replica {i}: derived states differ");
    }
    // The document also survives a save and a validating load.
    let bytes = replicas[0].save();
    UnitDoc::load(&bytes).unwrap();
}

fn prop_assert_eq_helper<T: PartialEq + std::fmt::Debug>(a: &T, b: &T, i: usize, what: &str) {
    assert_eq!(a, b, "replica {i}: {what} differ");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn two_replicas_converge(ops in prop::collection::vec(op(2), 1..40)) {
        run(ops, 2);
    }

    #[test]
    fn three_replicas_converge(ops in prop::collection::vec(op(3), 1..60)) {
        run(ops, 3);
    }
}
