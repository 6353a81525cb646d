//! A lost phone's last work: when it last finished a whole sync, what arrived from it after,
//! the photos it never uploaded and the inspections planned for its person since — the units
//! to inspect again, on a page the manager reads.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use plumbline_shared::clock::Clock;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::BlobHash;
use plumbline_shared::role::Role;
use plumbline_shared::time::HOUR_MS;
use reqwest::StatusCode;

use crate::common::web::{Browser, csrf_of, finding, staff};
use crate::common::{self, TestServer, anchor};

const PASSWORD: &str = "good-password-1";

async fn signed_in(server: &TestServer, login: &str, role: Role) -> Browser {
    staff(server, login, role).await;
    let mut b = Browser::new(server);
    let page = b.sign_in(login, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    b
}

/// Writes down the presence the server noted (it does so every 30 s by itself).
async fn written(server: &TestServer) {
    server
        .state
        .presence
        .flush(&*server.state.store)
        .await
        .unwrap();
}

/// The text of the element with `id` in `html` (its first text node).
fn cell<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    &rest[start..start + end]
}

#[tokio::test]
async fn a_lost_phone_s_page_shows_its_last_whole_sync_and_the_units_to_inspect_again() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    // The second sync finds nothing new: a whole sync, at 09:00.
    phone.sync().await;
    written(&server).await;

    // 11:00: a finding with a photo on one unit; the sync sends the finding, then the phone is
    // lost before the photo goes and before any later sync finishes.
    server.clock.advance(2 * HOUR_MS);
    let (building, unit) = server.project.units().nth(5).unwrap();
    let doc = DocId::Unit(unit.id.clone());
    let mut u = phone.unit(&doc);
    let actor = phone.actor.clone();
    let at = server.clock.now();
    let f = u
        .record_finding(
            &actor,
            at,
            finding(plumbline_shared::severity::Severity::S2, "入户门框变形"),
        )
        .unwrap();
    let bytes = common::jpeg(20_000, 5);
    let photo = common::photo(&actor, at, BlobHash::of(&bytes), bytes.len() as u64);
    u.attach_evidence(&actor, at, &f, photo).unwrap();
    phone.put_unit(&doc, u);
    assert!(phone.sync().await.refused.is_empty());
    written(&server).await;

    // Its person was planned on the building's 3rd floor today.
    let mut zhao = signed_in(&server, "zhaomin", Role::Manager).await;
    let token = csrf_of(&zhao.get("/readiness").await.body);
    let page = zhao
        .post(
            "/readiness/assignments",
            &[
                ("csrf", token.as_str()),
                ("inspector", "wangli"),
                ("building", building.id.as_str()),
                ("first_floor", "3"),
                ("last_floor", "3"),
                ("from", "2026-11-27"),
                ("to", "2026-11-27"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    // The manager's list: the last whole sync was 09:00, whatever came after.
    server.clock.advance(HOUR_MS);
    let device = phone.actor.device.clone();
    let list = zhao.get("/devices").await.body;
    assert!(list.contains("id=\"nav-devices\""));
    let row = &list[list.find(&format!("id=\"device-{device}\"")).unwrap()..];
    assert!(row.contains("2026-11-27 09:00"), "{row}");

    let page = zhao.get(&format!("/devices/{device}")).await.body;
    assert_eq!(cell(&page, "last-synced"), "2026-11-27 09:00");
    let row = &page[page.find(&format!("id=\"unit-{}\"", unit.id)).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("2026-11-27 11:00"),
        "changes after the whole sync: {row}"
    );
    assert!(row.contains("class=\"photos-missing\">1<"), "{row}");
    let reinspect = &page[page.find("id=\"reinspect\"").unwrap()..];
    let reinspect = &reinspect[..reinspect.find("</ul>").unwrap()];
    assert!(reinspect.contains(&unit.label), "{reinspect}");
    let planned: Vec<_> = server
        .project
        .units()
        .filter(|(b, u)| b.id == building.id && u.floor == 3)
        .map(|(_, u)| u.label.clone())
        .collect();
    assert!(!planned.is_empty());
    for label in &planned {
        assert!(reinspect.contains(label.as_str()), "{label}: {reinspect}");
    }

    // The photo arrives after all (the phone was found): the unit is no longer to re-inspect
    // for it.
    common::upload(&phone, &bytes).await;
    let page = zhao.get(&format!("/devices/{device}")).await.body;
    let row = &page[page.find(&format!("id=\"unit-{}\"", unit.id)).unwrap()..];
    assert!(row.contains("class=\"photos-missing\">0<"));

    // Not a page for inspectors or foremen.
    for (login, role) in [("liuyang", Role::Inspector), ("zhougang", Role::Contractor)] {
        let mut other = signed_in(&server, login, role).await;
        assert_eq!(
            other.get(&format!("/devices/{device}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(other.get("/devices").await.status, StatusCode::NOT_FOUND);
    }
}
