//! The device engine against a real sync server on loopback: offline work reaches the case
//! records, two engines converge, photos upload in resumable chunks, and a cut connection, a
//! server that goes down and a revoked device each end the way a user would expect.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use plumbline_app::local_records::UploadState;
use plumbline_app::{Engine, EngineError, EngineEvent, NewPhoto};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::conflict::FindingField;
use plumbline_shared::doc::unit::{FieldEdit, NewFinding};
use plumbline_shared::event::{Origin, Receipt};
use plumbline_shared::ids::{BlobHash, FindingId, UnitId};
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_tests::proxy::CuttingProxy;
use plumbline_tests::{TestServer, fake_jpeg};

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

fn photo(len: usize, seed: u64) -> NewPhoto {
    NewPhoto {
        jpeg: fake_jpeg(len, seed),
        thumbnail: fake_jpeg(2_000, seed + 1),
        thumb_width: 320,
        thumb_height: 240,
        width: 2048,
        height: 1536,
        captured_at: plumbline_tests::anchor(),
        location: None,
        pin: None,
    }
}

/// An engine in its own folder, enrolled as `login` and synced once.
async fn engine(server: &TestServer, base: &str, login: &str, dir: &tempfile::TempDir) -> Engine {
    let engine = Engine::open(dir.path(), server.clock.clone()).unwrap();
    let code = server.code_for(login, Role::Inspector).await.unwrap();
    engine
        .enroll(base, &code, &format!("{login} phone"))
        .await
        .unwrap();
    engine.sync().await.unwrap();
    engine
}

fn unit(server: &TestServer, n: usize) -> UnitId {
    server.project.units().nth(n).unwrap().1.id.clone()
}

fn record(engine: &Engine, unit: &UnitId) -> FindingId {
    engine
        .edit_unit(unit, |u, actor, at| u.record_finding(actor, at, leak()))
        .unwrap()
}

#[tokio::test]
async fn offline_work_reaches_the_case_records_after_a_sync() {
    let server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &server.base_url(), "wangli", &dir).await;
    assert_eq!(phone.units().unwrap().len(), 144);
    assert!(phone.outbox().unwrap().is_empty());

    let u = unit(&server, 3);
    let mut events = phone.subscribe();
    let finding = record(&phone, &u);
    assert!(matches!(
        events.recv().await.unwrap(),
        EngineEvent::Saved { .. }
    ));
    let hash = phone.attach_photo(&u, &finding, photo(300_000, 1)).unwrap();

    // Unsynced work is shown as such.
    let outbox = phone.outbox().unwrap();
    assert_eq!(outbox.records.len(), 1);
    assert_eq!(outbox.records[0].doc, DocId::Unit(u.clone()));
    assert_eq!(
        outbox.records[0].changes, 2,
        "the finding and the photo reference"
    );
    assert_eq!(outbox.photos.len(), 1);
    assert_eq!(outbox.photos[0].state, UploadState::Queued);
    assert!(server.cases_of(&u).await.unwrap().is_empty());

    let report = phone.sync().await.unwrap();
    assert_eq!(report.photos_sent, 1);
    assert!(report.refused.is_empty());
    assert!(
        phone.outbox().unwrap().is_empty(),
        "{:?}",
        phone.outbox().unwrap()
    );

    let cases = server.cases_of(&u).await.unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].case.finding, finding);
    assert!(server.state.store.blob_exists(&hash).await.unwrap());
    // The server's receipt came back to the device.
    let record = phone.unit(&u).unwrap();
    assert_eq!(
        record.findings[&finding].receipts.len(),
        record.findings[&finding].events.len()
    );

    // Reopening the engine finds everything as it was.
    drop(phone);
    let again = Engine::open(dir.path(), server.clock.clone()).unwrap();
    assert!(again.outbox().unwrap().is_empty());
    assert_eq!(again.unit(&u).unwrap().findings.len(), 1);
    assert!(again.photo_path(&hash).is_some());
    assert!(again.thumbnail_path(&hash).is_some());
}

#[tokio::test]
async fn two_engines_edit_one_unit_offline_converge_and_show_the_conflict() {
    let server = TestServer::start().await.unwrap();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = engine(&server, &server.base_url(), "wangli", &da).await;
    let b = engine(&server, &server.base_url(), "liuyang", &db).await;
    let u = unit(&server, 5);
    let shared = record(&a, &u);
    a.sync().await.unwrap();
    b.sync().await.unwrap();
    assert!(b.unit(&u).unwrap().findings.contains_key(&shared));

    // Offline on both: each records a finding and both change the same field.
    let fa = record(&a, &u);
    let fb = record(&b, &u);
    a.edit_unit(&u, |d, actor, at| {
        d.edit_field(actor, at, &shared, FieldEdit::Severity(Severity::S2))
    })
    .unwrap();
    b.edit_unit(&u, |d, actor, at| {
        d.edit_field(actor, at, &shared, FieldEdit::Severity(Severity::S3))
    })
    .unwrap();
    for _ in 0..2 {
        a.sync().await.unwrap();
        b.sync().await.unwrap();
    }
    let (ra, rb) = (a.unit(&u).unwrap(), b.unit(&u).unwrap());
    assert_eq!(ra, rb, "both engines hold the same unit");
    assert!(ra.findings.contains_key(&fa) && ra.findings.contains_key(&fb));
    let conflicts = a.edit_unit(&u, |d, _, _| d.conflicts(&shared)).unwrap();
    assert!(
        conflicts
            .iter()
            .any(|c| c.field == FindingField::Severity && c.values.len() == 2),
        "{conflicts:?}"
    );
    assert_eq!(server.cases_of(&u).await.unwrap().len(), 3);
    assert!(a.outbox().unwrap().is_empty() && b.outbox().unwrap().is_empty());
}

#[tokio::test]
async fn a_cut_upload_resumes_without_resending_finished_chunks() {
    let server = TestServer::start().await.unwrap();
    // Cut once 1.6 MiB went up: past the first 1 MiB chunk, inside the second.
    let proxy = CuttingProxy::start(server.addr, 1_700_000).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &proxy.base_url(), "wangli", &dir).await;
    let u = unit(&server, 8);
    let finding = record(&phone, &u);
    let size = 3 * 1024 * 1024 + 12_345;
    let p = photo(size, 9);
    let thumb = BlobHash::of(&p.thumbnail);
    let hash = phone.attach_photo(&u, &finding, p).unwrap();

    let err = phone.sync().await.unwrap_err();
    assert!(
        matches!(err, EngineError::Server(ref e) if e.is_transient()),
        "{err}"
    );
    assert!(proxy.has_cut());
    // The record went before the photo, and the thumbnail too: the office already sees the
    // finding and what the photo shows.
    assert_eq!(server.cases_of(&u).await.unwrap().len(), 1);
    assert!(server.state.store.blob_exists(&thumb).await.unwrap());
    assert!(!server.state.store.blob_exists(&hash).await.unwrap());
    let outbox = phone.outbox().unwrap();
    assert!(outbox.records.is_empty(), "{outbox:?}");
    assert_eq!(outbox.photos.len(), 1);
    assert_eq!(outbox.photos[0].state, UploadState::Uploading);
    assert!(outbox.photos[0].percent >= 25, "{outbox:?}");
    assert!(
        matches!(phone.sync_status().last_error, Some(ref e) if e.contains("cannot be reached"))
    );

    proxy.heal();
    let report = phone.sync().await.unwrap();
    assert_eq!(report.photos_sent, 1);
    assert!(server.state.store.blob_exists(&hash).await.unwrap());
    // What is left after the first (finished) chunk, plus requests and headers.
    let rest = size as u64 - 1024 * 1024;
    assert!(
        (rest..rest + 64 * 1024).contains(&proxy.bytes_up()),
        "only the unfinished chunks went up again: {} bytes for the last {rest} of the photo",
        proxy.bytes_up()
    );
    assert!(phone.outbox().unwrap().is_empty());
}

#[tokio::test]
async fn a_server_down_and_back_up_loses_nothing() {
    let mut server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &server.base_url(), "wangli", &dir).await;
    let u = unit(&server, 10);
    server.stop().await.unwrap();

    let finding = record(&phone, &u);
    phone.attach_photo(&u, &finding, photo(50_000, 3)).unwrap();
    let mut events = phone.subscribe();
    let err = phone.sync().await.unwrap_err();
    assert!(
        matches!(err, EngineError::Server(ref e) if e.is_transient()),
        "{err}"
    );
    let mut failed = false;
    while let Ok(e) = events.try_recv() {
        failed |= matches!(e, EngineEvent::SyncFailed { .. });
    }
    assert!(failed, "the UI is told the sync failed");
    let outbox = phone.outbox().unwrap();
    assert_eq!((outbox.records.len(), outbox.photos.len()), (1, 1));

    server.restart().await.unwrap();
    phone.sync().await.unwrap();
    assert!(phone.outbox().unwrap().is_empty());
    assert_eq!(server.cases_of(&u).await.unwrap().len(), 1);
    // Syncing again changes nothing: no duplicates.
    phone.sync().await.unwrap();
    assert_eq!(server.cases_of(&u).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_revoked_device_is_told_and_keeps_its_work() {
    let server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &server.base_url(), "wangli", &dir).await;
    let u = unit(&server, 12);
    let finding = record(&phone, &u);
    let device = phone.identity().unwrap().device;
    plumbline_sync_server::account_admin::revoke(&server.state, &device)
        .await
        .unwrap();

    let mut events = phone.subscribe();
    let err = phone.sync().await.unwrap_err();
    assert!(
        !matches!(err, EngineError::Server(ref e) if e.is_transient()),
        "{err}"
    );
    assert!(phone.sync_status().signed_out);
    let mut told = false;
    while let Ok(e) = events.try_recv() {
        told |= matches!(e, EngineEvent::SignedOut { ref reason } if reason.contains("revoked"));
    }
    assert!(told);
    // Nothing local is lost; enrolling again sends it.
    assert!(phone.unit(&u).unwrap().findings.contains_key(&finding));
    assert_eq!(phone.outbox().unwrap().records.len(), 1);
    let code = server.code_for("wangli", Role::Inspector).await.unwrap();
    phone
        .enroll(&server.base_url(), &code, "wangli phone")
        .await
        .unwrap();
    // The new enrollment is a new device, and the server accepts only a device's own changes:
    // work recorded under the revoked device is refused (a revoked device is one the office
    // no longer trusts). It is set aside on the phone with the reason, for the office to
    // look at, and the unit syncs on from what the server holds.
    let report = phone.sync().await.unwrap();
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert_eq!(report.set_aside, vec![DocId::Unit(u.clone())]);
    let outbox = phone.outbox().unwrap();
    assert!(outbox.records.is_empty(), "{outbox:?}");
    let aside = &outbox.set_aside[0];
    assert!(aside.reason.contains("not by this device"), "{outbox:?}");
    assert_eq!(aside.work[0].finding.as_ref(), Some(&finding));
    assert!(!phone.unit(&u).unwrap().findings.contains_key(&finding));
    assert_eq!(server.cases_of(&u).await.unwrap().len(), 0);
}

/// A change the server refuses must not block its unit: before, the device kept it, and every
/// later push of the unit carried it and was refused with the old reason.
#[tokio::test]
async fn a_refused_change_is_set_aside_and_the_next_finding_of_the_unit_reaches_the_office() {
    let server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &server.base_url(), "wangli", &dir).await;
    let u = unit(&server, 7);
    let first = record(&phone, &u);
    phone.sync().await.unwrap();
    assert_eq!(server.cases_of(&u).await.unwrap().len(), 1);

    // A forged change: the device records a finding and writes the server's receipt for it
    // itself.
    let forged = phone
        .edit_unit(&u, |doc, actor, at| {
            let forged = doc.record_finding(
                actor,
                at,
                NewFinding {
                    description: "自带伪造回执的记录".into(),
                    ..leak()
                },
            )?;
            let event = doc.finding(&forged)?.events[0].id.clone();
            let receipt = Receipt {
                received_at: at,
                skew_ms: 0,
            };
            assert!(doc.record_receipt(actor, &forged, &event, receipt)?);
            Ok(forged)
        })
        .unwrap();
    let report = phone.sync().await.unwrap();
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert!(
        report.refused[0]
            .1
            .contains("receipts are written by the server only")
    );
    let outbox = phone.outbox().unwrap();
    assert!(outbox.records.is_empty(), "nothing blocked: {outbox:?}");
    assert_eq!(outbox.set_aside.len(), 1);
    let aside = &outbox.set_aside[0];
    assert_eq!(aside.work.len(), 1, "{aside:?}");
    assert_eq!(aside.work[0].finding.as_ref(), Some(&forged));
    assert_eq!(aside.work[0].description, "自带伪造回执的记录");

    // Kept and exportable: the file names the reason and holds each change, whole and signed
    // by this device.
    let path = phone.export_set_aside(aside.id).unwrap();
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(file["reason"].as_str().unwrap().contains("receipts"));
    let changes = file["changes"].as_array().unwrap();
    assert_eq!(changes.len(), aside.changes);
    let device = phone.identity().unwrap().device;
    for change in changes {
        let bytes = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            change.as_str().unwrap(),
        )
        .unwrap();
        let change = automerge::Change::try_from(bytes.as_slice()).unwrap();
        assert_eq!(
            change.actor_id(),
            &plumbline_shared::doc::actor_for(&device)
        );
    }

    // The next finding of the unit reaches the office, and nothing is refused any more.
    let next = phone
        .edit_unit(&u, |doc, actor, at| {
            doc.record_finding(
                actor,
                at,
                NewFinding {
                    description: "卧室窗框渗水".into(),
                    ..leak()
                },
            )
        })
        .unwrap();
    let report = phone.sync().await.unwrap();
    assert!(report.refused.is_empty(), "{report:?}");
    assert!(phone.outbox().unwrap().records.is_empty());
    let cases = server.cases_of(&u).await.unwrap();
    let ids: Vec<_> = cases.iter().map(|c| c.case.finding.clone()).collect();
    assert_eq!(cases.len(), 2, "{ids:?}");
    assert!(ids.contains(&next) && ids.contains(&first) && !ids.contains(&forged));
}

#[tokio::test]
async fn photos_of_a_finding_are_deduplicated_and_bad_input_changes_nothing() {
    let server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &server.base_url(), "wangli", &dir).await;
    let u = unit(&server, 2);
    let finding = record(&phone, &u);
    let p = photo(40_000, 5);
    let h1 = phone.attach_photo(&u, &finding, p.clone()).unwrap();
    let h2 = phone.attach_photo(&u, &finding, p).unwrap();
    assert_eq!(h1, h2);
    assert_eq!(phone.outbox().unwrap().photos.len(), 1, "one photo, once");

    // A photo for a finding that does not exist: refused, nothing kept.
    let ghost = FindingId::new("no-such-finding").unwrap();
    let before = phone.outbox().unwrap();
    let err = phone
        .attach_photo(&u, &ghost, photo(40_000, 6))
        .unwrap_err();
    assert!(matches!(err, EngineError::Doc(_)), "{err}");
    assert_eq!(phone.outbox().unwrap(), before);
    assert!(
        phone
            .photo_path(&BlobHash::of(&fake_jpeg(40_000, 6)))
            .is_none()
    );
    // A unit that is not on the device.
    let err = phone
        .edit_unit(&UnitId::new("nowhere").unwrap(), |u, a, t| {
            u.record_finding(a, t, leak())
        })
        .unwrap_err();
    assert!(err.to_string().contains("not on this device"), "{err}");
}

#[tokio::test]
async fn the_background_loop_syncs_an_edit_without_being_asked() {
    let server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &server.base_url(), "wangli", &dir).await;
    let u = unit(&server, 30);
    // A long timer: only the edit itself can start the sync.
    let background = phone.start(std::time::Duration::from_secs(3600));
    let mut events = phone.subscribe();
    let finding = record(&phone, &u);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap()
            .unwrap();
        if matches!(event, EngineEvent::SyncFinished { .. }) && phone.outbox().unwrap().is_empty() {
            break;
        }
    }
    assert_eq!(server.cases_of(&u).await.unwrap()[0].case.finding, finding);
    assert!(phone.sync_status().last_success.is_some());
    background.abort();
}

#[tokio::test]
async fn another_inspectors_photo_downloads_thumbnail_first_on_demand_and_stays_cached() {
    let mut server = TestServer::start().await.unwrap();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = engine(&server, &server.base_url(), "wangli", &da).await;
    let b = engine(&server, &server.base_url(), "liuyang", &db).await;
    let u = unit(&server, 40);
    let finding = record(&a, &u);
    let p = photo(120_000, 11);
    let (bytes, thumb_bytes) = (p.jpeg.clone(), p.thumbnail.clone());
    let hash = a.attach_photo(&u, &finding, p).unwrap();
    a.sync().await.unwrap();
    b.sync().await.unwrap();

    // B sees the reference, with its thumbnail's, not the files, until it asks.
    let evidence = b.unit(&u).unwrap().findings[&finding].evidence[&hash].clone();
    let thumb = evidence
        .thumbnail
        .clone()
        .expect("a photo taken here has a thumbnail");
    assert_eq!(thumb.hash, BlobHash::of(&thumb_bytes));
    assert_eq!((thumb.width, thumb.height), (320, 240));
    assert!(b.photo_path(&hash).is_none());

    // A list asks for the thumbnail: 2 KB come down, not the 120 KB photo.
    let small = b.fetch_thumbnail(&evidence).await.unwrap();
    assert_eq!(std::fs::read(&small).unwrap(), thumb_bytes);
    let cached: Vec<_> = std::fs::read_dir(small.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(cached, vec![format!("{}.jpg", thumb.hash)]);
    // The photo's own device shows its own thumbnail file without asking anyone.
    let own = a.fetch_thumbnail(&evidence).await.unwrap();
    assert_eq!(std::fs::read(&own).unwrap(), thumb_bytes);

    // Opening the photo downloads it whole.
    let path = b.fetch_photo(&hash).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    // Both cached: shown again with the server down.
    server.stop().await.unwrap();
    assert_eq!(b.fetch_photo(&hash).await.unwrap(), path);
    assert_eq!(b.fetch_thumbnail(&evidence).await.unwrap(), small);
    // A photo nobody has cannot be fetched offline, and says why.
    let err = b.fetch_photo(&BlobHash::of(b"nothing")).await.unwrap_err();
    assert!(err.to_string().contains("cannot be reached"), "{err}");
}

#[tokio::test]
async fn a_photo_file_is_deleted_only_after_the_server_confirmed_it() {
    let mut server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &server.base_url(), "wangli", &dir).await;
    phone
        .set_photo_retention(std::time::Duration::ZERO)
        .unwrap();
    let u = unit(&server, 50);
    let finding = record(&phone, &u);
    let hash = phone.attach_photo(&u, &finding, photo(60_000, 21)).unwrap();

    // Unconfirmed: kept, whatever the retention says, also through a failed sync.
    server.stop().await.unwrap();
    assert!(phone.sync().await.is_err());
    assert!(phone.photo_path(&hash).is_some());

    server.restart().await.unwrap();
    phone.sync().await.unwrap();
    assert!(server.state.store.blob_exists(&hash).await.unwrap());
    assert!(
        phone.photo_path(&hash).is_none(),
        "confirmed and past retention: deleted"
    );
    assert!(phone.thumbnail_path(&hash).is_some(), "the thumbnail stays");
    // It can still be seen: downloaded again from the server.
    let path = phone.fetch_photo(&hash).await.unwrap();
    assert_eq!(BlobHash::of(&std::fs::read(path).unwrap()), hash);
}

/// A PNG of `w`×`h` pixels: a gradient, like a wall photographed in even light.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_captured_photo_is_downscaled_attached_and_uploaded() {
    let server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &server.base_url(), "wangli", &dir).await;
    assert!(phone.storage().unwrap().allows_capture());
    let u = unit(&server, 60);
    let finding = record(&phone, &u);

    let (hash, storage) = phone
        .capture_photo(&u, &finding, png(3000, 2000), None)
        .await
        .unwrap();
    assert!(storage.allows_capture());
    let evidence = &phone.unit(&u).unwrap().findings[&finding].evidence[&hash];
    assert_eq!((evidence.width, evidence.height), (2048, 1365));
    let file = std::fs::read(phone.photo_path(&hash).unwrap()).unwrap();
    assert_eq!(BlobHash::of(&file), hash);
    assert_eq!(&file[..3], b"\xFF\xD8\xFF", "stored as JPEG");

    // Something that is not a photo: a clear error, nothing kept.
    let before = phone.outbox().unwrap();
    let heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic".to_vec();
    let err = phone
        .capture_photo(&u, &finding, heic, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HEIC"), "{err}");
    assert_eq!(phone.outbox().unwrap(), before);

    phone.sync().await.unwrap();
    assert!(server.state.store.blob_exists(&hash).await.unwrap());
}

#[tokio::test]
async fn an_edit_is_pushed_in_one_exchange_and_a_reconnect_lists_nothing() {
    let server = TestServer::start().await.unwrap();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = engine(&server, &server.base_url(), "wangli", &da).await;
    let b = engine(&server, &server.base_url(), "liuyang", &db).await;
    let u = unit(&server, 30);

    // The edit goes in one exchange that already carries it; its reply's summary is the
    // phone's own, so no manifest follows.
    record(&a, &u);
    let report = a.sync().await.unwrap();
    assert_eq!(
        (report.round_trips, report.docs_acked),
        (1, 1),
        "{report:?}"
    );
    assert_eq!(server.cases_of(&u).await.unwrap().len(), 1);
    assert!(a.outbox().unwrap().is_empty());
    // Then nothing to do: one round trip.
    assert_eq!(a.sync().await.unwrap().round_trips, 1);

    // The other phone learns of it from its summary alone and fetches it in one exchange.
    let report = b.sync().await.unwrap();
    assert_eq!(
        (report.round_trips, report.docs_acked),
        (2, 1),
        "{report:?}"
    );
    assert_eq!(b.unit(&u).unwrap(), a.unit(&u).unwrap());
    assert_eq!(b.sync().await.unwrap().round_trips, 1);
}

/// A phone whose token expired or was lost (not revoked) enrolls again with a new code and
/// stays the same device: its work recorded offline is still its own and reaches the office.
#[tokio::test]
async fn a_phone_that_lost_its_token_enrolls_again_as_itself_and_its_offline_work_arrives() {
    let server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &server.base_url(), "wangli", &dir).await;
    let device = phone.identity().unwrap().device;
    let u = unit(&server, 14);
    let finding = record(&phone, &u);

    let code = server.code_for("wangli", Role::Inspector).await.unwrap();
    let again = phone
        .enroll(&server.base_url(), &code, "wangli phone")
        .await
        .unwrap();
    assert_eq!(again.device, device);
    let report = phone.sync().await.unwrap();
    assert!(report.refused.is_empty(), "{report:?}");
    assert!(phone.outbox().unwrap().is_empty());
    let cases = server.cases_of(&u).await.unwrap();
    assert!(cases.iter().any(|c| c.case.finding == finding), "{cases:?}");

    // Another person's code does not take the device over: it becomes a new device.
    let code = server.code_for("liuyang", Role::Inspector).await.unwrap();
    let other = phone
        .enroll(&server.base_url(), &code, "liuyang phone")
        .await
        .unwrap();
    assert_ne!(other.device, device);
}

#[tokio::test]
async fn an_owner_s_walk_signed_offline_reaches_the_server_with_its_signature_image() {
    use plumbline_app::signature::Stroke;
    let server = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let phone = engine(&server, &server.base_url(), "wangli", &dir).await;
    let u = unit(&server, 5);
    let finding = record(&phone, &u);
    let listed = phone.walk_findings(&u).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, finding);
    let shown = plumbline_shared::doc::walk::WalkSnapshot::list_digest(&listed);

    // Without a signature, or with a bad phone, nothing is written.
    let stroke: Stroke = (0..40)
        .map(|i| (50.0 + i as f32 * 10.0, 100.0 + (i % 5) as f32 * 8.0))
        .collect();
    let before = phone.outbox().unwrap();
    let err = phone
        .sign_walk(&u, &shown, "张伟", "13812345678", &[])
        .unwrap_err();
    assert!(err.to_string().contains("not signed"), "{err}");
    let err = phone
        .sign_walk(&u, &shown, "张伟", "12345", std::slice::from_ref(&stroke))
        .unwrap_err();
    assert!(err.to_string().contains("phone number"), "{err}");
    assert_eq!(phone.outbox().unwrap(), before);
    assert!(phone.walks(&u).unwrap().is_empty());

    // A list that moved on since it was shown is not signed.
    let err = phone
        .sign_walk(
            &u,
            "stale",
            "张伟",
            "13812345678",
            std::slice::from_ref(&stroke),
        )
        .unwrap_err();
    assert!(err.to_string().contains("list changed"), "{err}");
    assert!(phone.walks(&u).unwrap().is_empty());
    let walk = phone
        .sign_walk(&u, &shown, " 张伟 ", "138 1234 5678", &[stroke])
        .unwrap();
    let views = phone.walks(&u).unwrap();
    assert_eq!(views.len(), 1);
    let signed = &views[0].walk;
    assert_eq!(signed.id, walk);
    assert_eq!(signed.snapshot.owner.name, "张*");
    assert_eq!(signed.snapshot.owner.phone, "138****5678");
    assert_eq!(signed.snapshot.findings.len(), 1);
    let outbox = phone.outbox().unwrap();
    assert_eq!(outbox.photos.len(), 1, "the signature waits to upload");
    assert_eq!(
        outbox.photos[0].of,
        plumbline_app::local_records::EvidenceOf::Walk(walk.clone())
    );

    let report = phone.sync().await.unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert!(phone.outbox().unwrap().is_empty());
    let hash = signed.signature.hash.clone();
    assert!(server.state.store.blob_exists(&hash).await.unwrap());
    let stored = server
        .state
        .store
        .load_doc(&DocId::Unit(u.clone()))
        .await
        .unwrap()
        .unwrap();
    let doc = plumbline_shared::doc::unit::UnitDoc::from_trusted(
        plumbline_sync_server::doc_cache::assemble(&DocId::Unit(u.clone()), &stored).unwrap(),
    );
    assert_eq!(&doc.walks().unwrap()[&walk], signed);
    // The image is the strokes drawn, a PNG (the server sniffed and accepted it as one).
    let png = std::fs::read(phone.photo_path(&hash).unwrap()).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    assert_eq!(BlobHash::of(&png), hash);
}
