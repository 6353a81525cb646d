//! A unit document at the scale of a bad unit: 100 findings, each with 10 events and 2
//! evidence references. Measures save, load (with schema validation), and deriving every
//! case state, and prints the saved size.
//!
//! Run with `cargo xtask bench` (or `cargo bench -p plumbline-shared`); criterion prints the
//! median of each measurement.

use criterion::{Criterion, criterion_group, criterion_main};
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef};
use plumbline_shared::doc::unit::{NewFinding, UnitDoc};
use plumbline_shared::event::{CallbackChannel, EventKind, Origin, ResponseMode, Satisfaction};
use plumbline_shared::ids::{BlobHash, ContractorId, DeviceId, ProjectId, UnitId, UserId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::time::{HOUR_MS, Timestamp};
use plumbline_shared::workflow::WorkflowSettings;

const FINDINGS: usize = 100;

fn build() -> UnitDoc {
    let inspector = Actor {
        user: UserId::new("wang-li").expect("valid id"),
        role: Role::Inspector,
        device: DeviceId::new("phone-1").expect("valid id"),
    };
    let foreman = Actor {
        user: UserId::new("foreman-zhao").expect("valid id"),
        role: Role::Contractor,
        device: DeviceId::new("phone-2").expect("valid id"),
    };
    let office = Actor {
        user: UserId::new("front-desk-chen").expect("valid id"),
        role: Role::FrontDesk,
        device: DeviceId::new("server-1").expect("valid id"),
    };
    let civil = ContractorId::new("civil").expect("valid id");
    let mut doc = UnitDoc::new(
        &ProjectId::new("licheng").expect("valid id"),
        &UnitId::new("licheng-b1-1201").expect("valid id"),
    );
    let t0 = 1_800_000_000_000_i64;
    for i in 0..FINDINGS {
        let at = |h: i64| Timestamp(t0 + (i as i64) * 1000 + h * HOUR_MS);
        let id = doc
            .record_finding(
                &inspector,
                at(0),
                NewFinding {
                    origin: Origin::Inspection,
                    round: None,
                    room: "bathroom".parse().expect("valid id"),
                    item: "bathroom.wall_tiles".parse().expect("valid id"),
                    category: "wall_ceiling".parse().expect("valid id"),
                    severity: Severity::S3,
                    description: format!("卫生间墙砖空鼓，第{i}处，约 30cm×20cm"),
                },
            )
            .expect("record");
        for p in 0..2u8 {
            let evidence = EvidenceRef {
                hash: BlobHash::of(&[i as u8, (i >> 8) as u8, p]),
                kind: EvidenceKind::Photo,
                bytes: 800_000 + u64::from(p),
                width: 2048,
                height: 1536,
                captured_at: at(0),
                device: inspector.device.clone(),
                author: inspector.user.clone(),
                location: None,
                pin: None,
                thumbnail: None,
            };
            doc.attach_evidence(&inspector, at(0), &id, evidence)
                .expect("attach");
        }
        let rest = [
            (
                &inspector,
                1,
                EventKind::NoticeIssued {
                    notice_no: format!("ZG-2027-{i:04}"),
                    contractor: civil.clone(),
                    repair_deadline: at(72),
                },
            ),
            (
                &foreman,
                2,
                EventKind::ContractorResponded {
                    mode: ResponseMode::OnSite,
                    note: "到场".into(),
                },
            ),
            (
                &foreman,
                30,
                EventKind::RepairReported {
                    note: "已返工".into(),
                    evidence: vec![],
                },
            ),
            (
                &inspector,
                40,
                EventKind::AcceptancePassed {
                    note: "合格".into(),
                },
            ),
            (
                &office,
                41,
                EventKind::NoticeReturned {
                    reply: "已整改完毕".into(),
                },
            ),
            (
                &office,
                50,
                EventKind::Callback {
                    channel: CallbackChannel::Phone,
                    level: Satisfaction::Satisfied,
                    note: String::new(),
                },
            ),
            (
                &inspector,
                51,
                EventKind::Closed {
                    reason: "完成".into(),
                },
            ),
        ];
        for (who, h, kind) in rest {
            doc.append_event(who, at(h), &id, kind).expect("append");
        }
    }
    doc
}

fn unit_document(c: &mut Criterion) {
    let mut doc = build();
    let bytes = doc.save();
    let findings = doc.findings().expect("findings");
    let events: usize = findings.values().map(|f| f.events.len()).sum();
    eprintln!(
        "unit document: {} findings, {events} events, saved size {} bytes ({:.1} KiB)",
        findings.len(),
        bytes.len(),
        bytes.len() as f64 / 1024.0
    );

    c.bench_function("save", |b| b.iter(|| doc.save()));
    c.bench_function("load_and_validate", |b| {
        b.iter(|| UnitDoc::load(&bytes).expect("load"))
    });
    c.bench_function("load_raw_automerge", |b| {
        b.iter(|| automerge::AutoCommit::load(&bytes).expect("load"))
    });
    c.bench_function("automerge_hydrate_whole_doc", |b| {
        b.iter(|| {
            automerge::ReadDoc::hydrate(doc.automerge(), automerge::ROOT, None).expect("hydrate")
        })
    });
    c.bench_function("autosurgeon_read_whole_doc", |b| {
        b.iter(|| doc.read().expect("read"))
    });
    let now = Timestamp(1_900_000_000_000);
    let settings = WorkflowSettings::default();
    c.bench_function("hydrate_and_derive_all_states", |b| {
        b.iter(|| {
            let findings = doc.findings().expect("findings");
            findings
                .values()
                .map(|f| f.state(now, &settings))
                .filter(|s| s.counts())
                .count()
        })
    });
    c.bench_function("derive_all_states_only", |b| {
        b.iter(|| {
            findings
                .values()
                .map(|f| f.state(now, &settings))
                .filter(|s| s.counts())
                .count()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = unit_document
}
criterion_main!(benches);
