//! Floor plans on the device, against a real sync server on loopback: after a sync the plan
//! images of the device's projects are on it (so the editor works with no signal); a plan whose
//! image cannot be downloaded yet never fails the sync and arrives at a later one; a finding
//! saved with a pin carries it on every photo's evidence in the server's stored document.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use std::io::Cursor;

use plumbline_app::{Engine, NewPhoto};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::evidence::PlanPin;
use plumbline_shared::doc::unit::{NewFinding, UnitDoc};
use plumbline_shared::event::Origin;
use plumbline_shared::floor_plan::FloorPlan;
use plumbline_shared::ids::{BlobHash, FloorPlanId};
use plumbline_shared::inspection_plan::FloorRange;
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_sync_server::floor_plan_images::{NewPlan, add_plan};
use plumbline_sync_server::project_write::edit_project;
use plumbline_tests::{TestServer, fake_jpeg};

/// A real PNG of `width` × `height` pixels.
fn png(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let img = image::GrayImage::from_fn(width, height, |x, y| {
        image::Luma([shade.wrapping_add(u8::try_from((x + y) % 128).unwrap())])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn photo(seed: u64, pin: Option<PlanPin>) -> NewPhoto {
    NewPhoto {
        jpeg: fake_jpeg(80_000, seed),
        thumbnail: fake_jpeg(2_000, seed + 1),
        thumb_width: 320,
        thumb_height: 240,
        width: 2048,
        height: 1536,
        captured_at: plumbline_tests::anchor(),
        location: None,
        pin,
    }
}

#[tokio::test]
async fn plans_reach_the_device_and_a_pinned_finding_reaches_the_server() {
    let server = TestServer::start().await.unwrap();
    let building = server.project.buildings[0].clone();
    let image = png(400, 300, 10);
    let plan = add_plan(
        &server.state,
        &server.project.id,
        NewPlan {
            building: building.id.clone(),
            floors: FloorRange { first: 2, last: 5 },
            name: "标准层 2–5F".into(),
            image: image.clone().into(),
        },
    )
    .await
    .unwrap();
    assert_eq!((plan.width, plan.height), (400, 300));

    // Enrolled and synced once: the plan image is on the device, checked by its hash.
    let dir = tempfile::tempdir().unwrap();
    let phone = Engine::open(dir.path(), server.clock.clone()).unwrap();
    let code = server.code_for("wangli", Role::Inspector).await.unwrap();
    phone
        .enroll(&server.base_url(), &code, "wangli phone")
        .await
        .unwrap();
    phone.sync().await.unwrap();
    let path = phone
        .plan_image(&plan.image)
        .expect("the plan is on the phone");
    assert_eq!(std::fs::read(&path).unwrap(), image);
    let unit = building
        .units
        .iter()
        .find(|u| u.floor == 3)
        .unwrap()
        .id
        .clone();
    let projects = phone.projects().unwrap();
    assert_eq!(projects[0].plan_for(&unit), Some(&plan));
    // Not the person's work: nothing waits to be sent.
    assert!(phone.outbox().unwrap().is_empty());

    // A plan whose image is not on the server yet: the sync still succeeds, and the image
    // arrives at the sync after it is there.
    let late = png(200, 100, 99);
    let late_plan = FloorPlan {
        id: FloorPlanId::new("late").unwrap(),
        building: building.id.clone(),
        floors: FloorRange { first: 6, last: 6 },
        name: "6F".into(),
        image: BlobHash::of(&late),
        width: 200,
        height: 100,
        retired: false,
    };
    edit_project(&server.state, &server.project.id, |p| {
        p.put_floor_plan(late_plan.clone())
    })
    .await
    .unwrap();
    phone.sync().await.unwrap();
    assert!(phone.plan_image(&late_plan.image).is_none());
    server
        .state
        .uploads
        .store_whole(
            &*server.state.store,
            &*server.state.blobs,
            late.clone().into(),
            Timestamp(1),
        )
        .await
        .unwrap();
    phone.sync().await.unwrap();
    assert_eq!(
        std::fs::read(phone.plan_image(&late_plan.image).unwrap()).unwrap(),
        late
    );

    // A finding saved with a pin: every photo's evidence carries it, on the server too.
    let pin = PlanPin {
        plan: plan.image.clone(),
        x: 0.25,
        y: 0.75,
    };
    let finding = phone
        .record_defect(
            &unit,
            NewFinding {
                origin: Origin::Inspection,
                round: None,
                room: "bathroom".parse().unwrap(),
                item: "bathroom.ponding_test".parse().unwrap(),
                category: "waterproofing".parse().unwrap(),
                severity: Severity::S1,
                description: "闭水试验渗漏".into(),
            },
            vec![photo(1, Some(pin.clone())), photo(3, Some(pin.clone()))],
        )
        .unwrap();
    let report = phone.sync().await.unwrap();
    assert_eq!(report.photos_sent, 2);
    let doc_id = DocId::Unit(unit.clone());
    let mut guard = server.state.docs.lock(&doc_id).await;
    let loaded = server
        .state
        .docs
        .get(&mut guard, &doc_id)
        .await
        .unwrap()
        .unwrap();
    let record = UnitDoc::from_trusted(loaded.doc.clone()).read().unwrap();
    let evidence = &record.findings[&finding].evidence;
    assert_eq!(evidence.len(), 2);
    for e in evidence.values() {
        assert_eq!(e.pin.as_ref(), Some(&pin), "{e:?}");
    }
    drop(guard);

    // Signing out takes the plans with it: the next person's sync fetches theirs.
    phone.sign_out(false).unwrap();
    assert!(phone.plan_image(&plan.image).is_none());
}
