//! The owner's signed joint inspection (业主陪验) through the real server: a phone signs the
//! unit's list, the office sees it on the case page and prints the 验房确认单, a later edit
//! shows as "changed since signed" without touching what was signed, a forged or rewritten
//! walk is refused, and the dispute pack carries the signed bytes and the signature.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use std::io::{Cursor, Read};

use automerge::transaction::Transactable;

use plumbline_shared::clock::Clock;
use plumbline_shared::doc::finding::OwnerContact;
use plumbline_shared::doc::unit::{FieldEdit, NewFinding};
use plumbline_shared::doc::walk::{SignedWalk, WALK_KEY_PREFIX, WalkSnapshot};
use plumbline_shared::event::Origin;
use plumbline_shared::ids::{FindingId, WalkId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use reqwest::StatusCode;

use crate::common::web::{
    Browser, case_links, cases, cases_doc, read_pdf, sign_walk as sign, signature_png,
    signature_ref, staff,
};
use crate::common::{self, TestServer, anchor, at_the_office, office_edit};

const PASSWORD: &str = "good-password-1";

async fn office(server: &TestServer) -> Browser {
    staff(server, "zhaomin", Role::Manager).await;
    let mut b = Browser::new(server);
    b.sign_in("zhaomin", PASSWORD).await;
    b
}

#[tokio::test]
async fn a_signed_walk_reaches_the_office_prints_and_shows_a_later_edit_as_changed_since_signed() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let mut phone = cases(&server, 2).await;
    let doc = cases_doc(&server);
    let walk = sign(&server, &mut phone, &doc).await;
    assert_eq!(walk.snapshot.findings.len(), 2);

    let mut b = office(&server).await;
    let link = case_links(&b.get("/cases").await.body).remove(0);
    let page = b.get(&link).await.body;
    assert!(page.contains("业主陪验"), "{page}");
    assert!(page.contains("与签字时一致"), "{page}");
    assert!(page.contains("张* · 138****5678"), "{page}");
    let sheet_link = format!(
        "/units/{}/walks/{}",
        server.project.units().next().unwrap().1.id,
        walk.id
    );
    assert!(page.contains(&sheet_link), "{page}");

    let sheet = b.get(&sheet_link).await;
    assert_eq!(sheet.status, StatusCode::OK);
    let sheet = sheet.body;
    assert!(sheet.contains("验房确认单"), "{sheet}");
    assert!(sheet.contains(&walk.snapshot_hash), "the hash is printed");
    assert!(sheet.contains(&format!("/photos/{}", walk.signature.hash)));
    assert!(sheet.contains("卫生间闭水试验渗漏到楼下") && sheet.contains("客厅墙面空鼓"));
    assert!(sheet.contains("与签字时一致"));
    // The signature image is the office's to see, as a PNG.
    let img = b
        .download(&format!("/photos/{}", walk.signature.hash))
        .await;
    assert_eq!(img.status(), StatusCode::OK);
    assert_eq!(img.headers()["content-type"], "image/png");

    // The office corrects a description: the signed list stays, the sheet says it changed.
    let changed: FindingId = walk.snapshot.findings[0].id.clone();
    let manager = at_the_office(&Actor {
        role: Role::Manager,
        user: "zhaomin".parse().unwrap(),
        device: phone.actor.device.clone(),
    });
    let at = server.clock.now();
    office_edit(&server, &doc, |u| {
        u.edit_field(
            &manager,
            at,
            &changed,
            FieldEdit::Description("改过的描述".into()),
        )
        .unwrap();
    })
    .await;
    let sheet = b.get(&sheet_link).await.body;
    assert!(sheet.contains("签字后已有变动"), "{sheet}");
    assert!(sheet.contains(&walk.snapshot_hash), "still the signed hash");
    assert!(
        !sheet.contains("改过的描述"),
        "the sheet shows what was signed, not the edit"
    );
    let stored = common::server_unit(&server, &doc).await;
    assert_eq!(
        stored.walks().unwrap()[&walk.id],
        walk,
        "what was signed is unchanged"
    );

    // A defect the owner later says was missing is a new complaint on the unit; the signed
    // list does not grow.
    office_edit(&server, &doc, |u| {
        u.record_complaint(
            &manager,
            at,
            NewFinding {
                origin: Origin::OwnerCall,
                round: None,
                room: "kitchen".parse().unwrap(),
                item: "kitchen.drain".parse().unwrap(),
                category: "plumbing".parse().unwrap(),
                severity: Severity::S3,
                description: "业主称验房时漏记：厨房下水慢".into(),
            },
            OwnerContact::new("张伟", "13812345678").unwrap(),
        )
        .unwrap();
    })
    .await;
    let stored = common::server_unit(&server, &doc).await;
    assert_eq!(stored.findings().unwrap().len(), 3);
    assert_eq!(stored.walks().unwrap()[&walk.id].snapshot.findings.len(), 2);
    let sheet = b.get(&sheet_link).await.body;
    assert!(!sheet.contains("漏记"), "{sheet}");

    // English too.
    b.get("/lang/en").await;
    let en = b.get(&sheet_link).await.body;
    assert!(en.contains("Inspection confirmation"), "{en}");
    assert!(en.contains("Changed since signed"), "{en}");
}

#[tokio::test]
async fn the_confirmation_prints_as_a_pdf_whose_text_holds_the_signed_list_and_hash() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let mut phone = cases(&server, 2).await;
    let doc = cases_doc(&server);
    let walk = sign(&server, &mut phone, &doc).await;
    let mut b = office(&server).await;
    let unit = server.project.units().next().unwrap().1.id.clone();
    let sheet = format!("/units/{unit}/walks/{}", walk.id);
    assert!(b.get(&sheet).await.body.contains(&format!("{sheet}/pdf")));
    let res = b.download(&format!("{sheet}/pdf")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap().to_vec();
    assert!(pdf.starts_with(b"%PDF-"));
    let (text, page) = read_pdf(&pdf, "walk-sheet");
    for fact in [
        "验房确认单",
        "卫生间闭水试验渗漏到楼下",
        "客厅墙面空鼓",
        "张* · 138****5678",
        walk.snapshot_hash.as_str(),
        "与签字时一致",
    ] {
        assert!(text.contains(fact), "the PDF says {fact:?}:\n{text}");
    }

    // Its page, rendered: A4 at 50 dpi is 414 × 585 px, and the signature put ink on it.
    assert_eq!(page.dimensions(), (414, 585));
    let dark = page.pixels().filter(|p| p.0[0] < 100).count();
    assert!(
        dark > 500,
        "text and signature are drawn ({dark} dark pixels)"
    );

    // A contractor's foreman gets nothing.
    staff(&server, "zhougang", Role::Contractor).await;
    let mut c = Browser::new(&server);
    c.sign_in("zhougang", PASSWORD).await;
    assert_eq!(
        c.get(&format!("{sheet}/pdf")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_forged_or_rewritten_walk_is_refused_by_name() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let mut phone = cases(&server, 1).await;
    let doc = cases_doc(&server);
    let walk = sign(&server, &mut phone, &doc).await;

    // Rewriting the signed walk (a different list under the same key) is refused, and the
    // stored walk stays what was signed.
    let mut forged = walk.clone();
    forged.snapshot.findings.clear();
    forged.snapshot_hash = forged.snapshot.hash();
    let mut u = phone.unit(&doc);
    u.automerge_mut()
        .put(
            automerge::ROOT,
            format!("{WALK_KEY_PREFIX}{}", walk.id),
            serde_json::to_string(&forged).unwrap(),
        )
        .unwrap();
    u.automerge_mut().commit();
    phone.put_unit(&doc, u);
    let report = phone.sync().await;
    assert_eq!(report.refused.len(), 1, "{:?}", report.refused);
    assert!(
        report.refused[0].1.contains("signed walk")
            && report.refused[0].1.contains("never changed"),
        "{:?}",
        report.refused
    );
    let stored = common::server_unit(&server, &doc).await;
    assert_eq!(stored.walks().unwrap()[&walk.id], walk);

    // A new walk whose hash does not match its list is refused on another phone.
    let mut other = server.device("lihua", Role::Inspector).await;
    other.sync().await;
    let png = signature_png();
    let at = server.clock.now();
    let mut u = other.unit(&doc);
    let record = u.read().unwrap();
    let snapshot = WalkSnapshot::new(
        &record.unit,
        record.findings.values(),
        &OwnerContact::new("李娜", "13900001111").unwrap(),
        at,
    );
    let mut bad = SignedWalk::new(
        snapshot,
        signature_ref(&other.actor, &png, at),
        other.actor.clone(),
    );
    bad.id = WalkId::random();
    bad.snapshot_hash = "0".repeat(64);
    u.automerge_mut()
        .set_actor(plumbline_shared::doc::actor_for(&other.actor.device));
    u.automerge_mut()
        .put(
            automerge::ROOT,
            format!("{WALK_KEY_PREFIX}{}", bad.id),
            serde_json::to_string(&bad).unwrap(),
        )
        .unwrap();
    u.automerge_mut().commit();
    other.put_unit(&doc, u);
    let report = other.sync().await;
    assert_eq!(report.refused.len(), 1, "{:?}", report.refused);
    assert!(
        report.refused[0].1.contains("altered"),
        "{:?}",
        report.refused
    );

    // A walk that holds together but shows a description the finding never had (a softer
    // wording for the owner to sign) is refused, and so is one reusing an earlier signature.
    let mut third = server.device("zhaoyun", Role::Inspector).await;
    third.sync().await;
    let record = third.unit(&doc).read().unwrap();
    let mut snapshot = WalkSnapshot::new(
        &record.unit,
        record.findings.values(),
        &OwnerContact::new("李娜", "13900001111").unwrap(),
        at,
    );
    snapshot.findings[0].description = "轻微水渍".into();
    let softened = SignedWalk::new(
        snapshot,
        signature_ref(&third.actor, &png_of(7), at),
        third.actor.clone(),
    );
    let mut u = third.unit(&doc);
    u.sign_walk(&third.actor, &softened).unwrap();
    third.put_unit(&doc, u);
    let report = third.sync().await;
    assert_eq!(report.refused.len(), 1, "{:?}", report.refused);
    assert!(
        report.refused[0].1.contains("never had"),
        "{:?}",
        report.refused
    );

    let mut fourth = server.device("qianli", Role::Inspector).await;
    fourth.sync().await;
    let record = fourth.unit(&doc).read().unwrap();
    let snapshot = WalkSnapshot::new(
        &record.unit,
        record.findings.values(),
        &OwnerContact::new("张伟", "13812345678").unwrap(),
        at,
    );
    let mut again = signature_ref(&fourth.actor, &png, at);
    again.hash = walk.signature.hash.clone();
    let reused = SignedWalk::new(snapshot, again, fourth.actor.clone());
    let mut u = fourth.unit(&doc);
    u.sign_walk(&fourth.actor, &reused).unwrap();
    fourth.put_unit(&doc, u);
    let report = fourth.sync().await;
    assert_eq!(report.refused.len(), 1, "{:?}", report.refused);
    assert!(
        report.refused[0].1.contains("reuses"),
        "{:?}",
        report.refused
    );
}

/// A PNG that differs for each `seed`.
fn png_of(seed: u8) -> Vec<u8> {
    let img = image::GrayImage::from_pixel(60, 24, image::Luma([seed]));
    let mut png = Vec::new();
    img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

#[tokio::test]
async fn the_dispute_pack_holds_the_signed_bytes_the_signature_and_the_sheet() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let mut phone = cases(&server, 1).await;
    let doc = cases_doc(&server);
    let walk = sign(&server, &mut phone, &doc).await;
    let mut b = office(&server).await;
    let link = case_links(&b.get("/cases").await.body).remove(0);
    let res = b.download(&format!("{link}/pack")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let zip = res.bytes().await.unwrap().to_vec();
    let mut archive = zip::ZipArchive::new(Cursor::new(&zip)).unwrap();
    let mut read = |name: &str| {
        let mut bytes = Vec::new();
        archive
            .by_name(name)
            .unwrap_or_else(|_| panic!("{name} in the pack"))
            .read_to_end(&mut bytes)
            .unwrap();
        bytes
    };
    let dir = format!("walks/{}", walk.id);
    let snapshot = read(&format!("{dir}/snapshot.json"));
    assert_eq!(
        blake3::hash(&snapshot).to_hex().to_string(),
        walk.snapshot_hash,
        "b3sum of the signed bytes is the walk's hash"
    );
    assert_eq!(read(&format!("{dir}/signature.png")), signature_png());
    let sheet = String::from_utf8(read(&format!("{dir}/sheet.html"))).unwrap();
    assert!(sheet.contains(&walk.snapshot_hash));
    let manifest = String::from_utf8(read("MANIFEST.b3")).unwrap();
    assert!(
        manifest.contains(&format!("{dir}/snapshot.json")),
        "{manifest}"
    );
    assert!(manifest.contains(&walk.snapshot_hash), "{manifest}");
}
