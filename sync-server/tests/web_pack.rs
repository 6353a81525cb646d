//! The dispute pack: one download with the case's record, pages and photo originals, and a
//! manifest that `verify-pack` checks, naming what was altered.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use std::io::{Cursor, Read};
use std::process::Command;

use plumbline_shared::clock::Clock;
use plumbline_shared::ids::BlobHash;
use plumbline_shared::role::Role;
use plumbline_sync_server::dispute_pack::{PackProblem, verify};
use reqwest::StatusCode;

use crate::common::web::{Browser, case_links, cases, cases_doc, csrf_of, staff};
use crate::common::{self, TestServer, anchor};

const PASSWORD: &str = "good-password-1";

/// Runs `plumbline-sync-server verify-pack` on `zip`; its exit status and what it printed.
fn verify_pack(zip: &[u8]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pack.zip");
    std::fs::write(&file, zip).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline-sync-server"))
        .arg("verify-pack")
        .arg(&file)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn a_case_s_pack_holds_its_record_pages_and_photos_and_verify_pack_names_an_altered_photo() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    staff(&server, "zhaomin", Role::Manager).await;
    let mut phone = cases(&server, 1).await;
    let doc = cases_doc(&server);
    let photo = common::jpeg(30_000, 13);
    let hash = BlobHash::of(&photo);
    let mut u = phone.unit(&doc);
    let finding = u.findings().unwrap().into_iter().next().unwrap().0;
    let actor = phone.actor.clone();
    let at = server.clock.now();
    u.attach_evidence(
        &actor,
        at,
        &finding,
        common::photo(&actor, at, hash.clone(), photo.len() as u64),
    )
    .unwrap();
    phone.put_unit(&doc, u);
    assert!(phone.sync().await.refused.is_empty());
    common::upload(&phone, &photo).await;

    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", PASSWORD).await;
    let link = case_links(&b.get("/cases").await.body).remove(0);
    let token = csrf_of(&b.get(&link).await.body);
    let page = b
        .post(
            &format!("{link}/notice"),
            &[
                ("csrf", token.as_str()),
                ("contractor", "hengzhu-civil"),
                ("days", "3"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(b.get(&link).await.body.contains(&format!("{link}/pack")));

    let res = b.download(&format!("{link}/pack")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let logged = res.headers()["x-plumbline-manifest-b3"]
        .to_str()
        .unwrap()
        .to_owned();
    let zip = res.bytes().await.unwrap().to_vec();

    // Everything is there, as the office sees it.
    let mut archive = zip::ZipArchive::new(Cursor::new(&zip)).unwrap();
    let read = |archive: &mut zip::ZipArchive<Cursor<&Vec<u8>>>, name: &str| {
        let mut bytes = Vec::new();
        archive
            .by_name(name)
            .unwrap_or_else(|_| panic!("no {name} in the pack"))
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    };
    let photo_path = format!("photos/{hash}.jpg");
    assert_eq!(read(&mut archive, &photo_path), photo);
    let case = String::from_utf8(read(&mut archive, "case.json")).unwrap();
    assert!(
        case.contains(finding.as_str()) && case.contains("received_at"),
        "{case}"
    );
    let page = String::from_utf8(read(&mut archive, "case.html")).unwrap();
    assert!(page.contains("id=\"timeline\"") && page.contains("下发整改通知单"));
    assert!(
        !page.contains(&token),
        "the person's form token stays out of the pack"
    );
    let notice = String::from_utf8(read(&mut archive, "notice.html")).unwrap();
    assert!(notice.contains("ZG-2026-0001"), "{notice}");
    assert!(
        String::from_utf8(read(&mut archive, "README.txt"))
            .unwrap()
            .contains("b3sum")
    );

    // Untouched, it verifies, and its manifest is the one the server logged.
    let report = verify(Cursor::new(&zip)).unwrap();
    assert!(report.problems.is_empty(), "{report:?}");
    assert_eq!(report.manifest_b3, logged);
    let (ok, said) = verify_pack(&zip);
    assert!(
        ok && said.contains("OK") && said.contains(&logged),
        "{said}"
    );

    // One byte of the photo altered: the verification names that photo, and only it.
    let mut altered = zip.clone();
    let at = altered
        .windows(64)
        .position(|w| w == &photo[1000..1064])
        .expect("the photo is stored as it is");
    altered[at + 10] ^= 0x01;
    let report = verify(Cursor::new(&altered)).unwrap();
    assert_eq!(
        report.problems,
        vec![PackProblem::Altered(photo_path.clone())]
    );
    let (ok, said) = verify_pack(&altered);
    assert!(!ok, "{said}");
    assert!(said.contains(&format!("ALTERED   {photo_path}")), "{said}");

    // A contractor's foreman gets no pack.
    staff(&server, "hz-foreman", Role::Contractor).await;
    let mut foreman = Browser::new(&server);
    foreman.sign_in("hz-foreman", PASSWORD).await;
    let res = foreman.download(&format!("{link}/pack")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
