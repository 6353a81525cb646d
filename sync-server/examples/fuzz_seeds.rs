//! Writes the seed inputs of the fuzz targets that take sync traffic (`fuzz/seeds/`): a phone's
//! real changes to a fresh unit document, as raw change chunks, as an automerge sync message,
//! and wrapped in a sync request in postcard and in JSON. The fuzz targets start from the same
//! fresh document (`UnitDoc::new` is the same on every device), so these changes apply there
//! and reach the server's validation.
//!
//! `cargo run -p plumbline-sync-server --example fuzz_seeds -- fuzz/seeds`

use std::path::PathBuf;

use anyhow::Context;
use automerge::sync::{self, SyncDoc};
use plumbline_shared::api::{API_VERSION, DocMessage, SyncRequest, to_postcard};
use plumbline_shared::demo::demo_project;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::{FieldEdit, NewFinding, UnitDoc};
use plumbline_shared::event::Origin;
use plumbline_shared::ids::{DeviceId, UserId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;

/// 2026-11-27 09:00 in Beijing, as in the fuzz targets.
const NOW: Timestamp = Timestamp(1_795_741_200_000);

fn main() -> anyhow::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .context("usage: fuzz_seeds <seeds folder>")?,
    );
    let project = demo_project(NOW.date_cst())?;
    let unit = project
        .units()
        .next()
        .context("the demo has units")?
        .1
        .clone();
    let base = UnitDoc::new(&project.id, &unit.id);
    let mut server = base.clone().into_automerge();
    let before = server.get_heads();
    let actor = Actor {
        user: UserId::new("wangli")?,
        role: Role::Inspector,
        device: DeviceId::new("fuzz-phone")?,
    };
    let mut phone = base;
    let finding = NewFinding {
        origin: Origin::Inspection,
        round: None,
        room: "kitchen".parse()?,
        item: "kitchen.drain".parse()?,
        category: "plumbing".parse()?,
        severity: Severity::S3,
        description: "水槽下水慢".into(),
    };
    let id = phone.record_finding(&actor, NOW, finding)?;
    phone.edit_field(&actor, NOW, &id, FieldEdit::Severity(Severity::S2))?;
    let mut phone = phone.into_automerge();

    let changes = phone.get_changes(&before);
    let mut written = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        written.push((
            "unit_changes",
            format!("change-{i}"),
            change.raw_bytes().to_vec(),
        ));
    }
    // The phone's side of a sync with a server that holds the fresh document: the first
    // message that carries changes.
    let (mut ours, mut theirs) = (sync::State::new(), sync::State::new());
    let mut message = None;
    for _ in 0..8 {
        if let Some(m) = phone.sync().generate_sync_message(&mut ours) {
            if !m.changes.is_empty() {
                message = Some(m);
                break;
            }
            server.sync().receive_sync_message(&mut theirs, m)?;
        }
        if let Some(m) = server.sync().generate_sync_message(&mut theirs) {
            phone.sync().receive_sync_message(&mut ours, m)?;
        }
    }
    let message = message
        .context("the phone never sent its changes")?
        .encode();
    written.push(("unit_changes", "sync-message".into(), message.clone()));
    let request = SyncRequest {
        api_version: API_VERSION,
        device_time: NOW,
        messages: vec![DocMessage {
            doc: DocId::Unit(unit.id.clone()),
            message,
        }],
    };
    written.push(("sync_request", "postcard".into(), to_postcard(&request)));
    written.push(("sync_request", "json".into(), serde_json::to_vec(&request)?));

    for (target, name, bytes) in written {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(&name), bytes)?;
    }
    Ok(())
}
