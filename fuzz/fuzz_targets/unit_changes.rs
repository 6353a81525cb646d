//! A device's changes to a unit document, the way the sync handler takes them: the bytes as a
//! sync message (or else as one change chunk), the damaged-chunk check, applied to a copy of a
//! stored unit, then the server's validation of what they did (`validate::unit_changes`).
#![no_main]

use std::sync::LazyLock;

use automerge::{AutoCommit, sync};
use libfuzzer_sys::fuzz_target;
use plumbline_shared::demo::demo_project;
use plumbline_shared::doc::chunk::check_chunks;
use plumbline_shared::doc::unit::{NewFinding, UnitDoc};
use plumbline_shared::event::Origin;
use plumbline_shared::ids::{DeviceId, UserId};
use plumbline_shared::project::Project;
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::role::{Identity, Membership};
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_shared::validate;

/// 2026-11-27 09:00 in Beijing.
const NOW: Timestamp = Timestamp(1_795_741_200_000);

struct Base {
    project: Project,
    doc: AutoCommit,
    identity: Identity,
}

static BASE: LazyLock<Base> = LazyLock::new(|| {
    let project = demo_project(NOW.date_cst()).expect("the demo project");
    let unit = project.units().next().expect("a unit").1.clone();
    let device = DeviceId::new("fuzz-phone").unwrap();
    let user = UserId::new("wangli").unwrap();
    let actor = Actor {
        user: user.clone(),
        role: Role::Inspector,
        device: device.clone(),
    };
    let mut doc = UnitDoc::new(&project.id, &unit.id);
    let finding = NewFinding {
        origin: Origin::Inspection,
        round: None,
        room: "kitchen".parse().unwrap(),
        item: "kitchen.drain".parse().unwrap(),
        category: "plumbing".parse().unwrap(),
        severity: Severity::S3,
        description: "水槽下水慢".into(),
    };
    doc.record_finding(&actor, NOW, finding).expect("a finding");
    let identity = Identity {
        device,
        user,
        display_name: "王丽".into(),
        memberships: vec![Membership {
            project: project.id.clone(),
            role: Role::Inspector,
            contractor: None,
        }],
    };
    Base {
        project,
        doc: doc.into_automerge(),
        identity,
    }
});

// libfuzzer-sys's panic hook aborts at any panic, even one the code under test catches on
// purpose: `check_chunks` turns a panic in automerge's decoder into a refusal. Replaced by a
// silent hook: a panic that is not caught still aborts (libfuzzer-sys catches the unwind and
// aborts) and leaves its input as a crash artifact; replay it through `check_chunks` in a test
// to read the message.
fuzz_target!(init: std::panic::set_hook(Box::new(|_| {})), |data: &[u8]| {
    let base = &*BASE;
    let chunks: Vec<Vec<u8>> = match sync::Message::decode(data) {
        Ok(m) => m.changes.iter().map(<[u8]>::to_vec).collect(),
        Err(_) => vec![data.to_vec()],
    };
    if check_chunks(chunks.iter().map(Vec::as_slice)).is_err() {
        return;
    }
    let mut before = base.doc.clone();
    let before_heads = before.get_heads();
    let mut fork = before.fork();
    for chunk in &chunks {
        if fork.load_incremental(chunk).is_err() {
            return;
        }
    }
    let incoming = fork.get_changes(&before_heads);
    if incoming.is_empty() {
        return;
    }
    let _ = validate::unit_changes(
        &base.identity,
        &base.project.id,
        &UnitDoc::from_trusted(before),
        &UnitDoc::from_trusted(fork),
        &incoming,
        NOW,
    );
});
