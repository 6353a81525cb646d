//! Floor plans over real HTTP: an administrator uploads a plan image for some floors of a
//! building through the office web; the project document holds it and the blob store keeps
//! the image; a device of the project downloads it, a device of another project cannot; wrong
//! files, oversize files and floors outside the building are refused with 400 and change
//! nothing; the plan is removed again (retired: kept for the pins made on it).
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use common::TestServer;
use common::web::{Browser, Page, csrf_of, staff};
use plumbline_shared::floor_plan::{FloorPlan, MAX_PLAN_BYTES};
use plumbline_shared::ids::{BlobHash, ProjectId};
use plumbline_shared::role::Role;
use reqwest::StatusCode;

const ADMIN: &str = "guanli";
const MANAGER: &str = "zhaomin";

/// CRC-32 (ISO-HDLC), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A real, decodable PNG of `width` × `height` grey pixels (stored, uncompressed deflate).
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        raw.extend((0..width).map(|x| u8::try_from((x + y) % 200).unwrap() + 40));
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap();
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Posts the plan form of the demo project as multipart.
async fn upload(b: &mut Browser, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Page {
    let boundary = "plumbline-plan-boundary-Q2xv9";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let res = b
        .http
        .post(format!("{}/admin/projects/licheng/plans", b.base))
        .header("cookie", b.cookie_header())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    b.keep(res).await
}

async fn plans(server: &TestServer) -> Vec<FloorPlan> {
    plumbline_sync_server::project_read::load_project(&server.state, &server.project.id)
        .await
        .unwrap()
        .unwrap()
        .floor_plans
}

async fn stored(server: &TestServer, bytes: &[u8]) -> bool {
    server
        .state
        .store
        .blob_exists(&BlobHash::of(bytes))
        .await
        .unwrap()
}

#[track_caller]
fn refused_with(page: &Page, text: &str) {
    assert_eq!(
        page.status,
        StatusCode::BAD_REQUEST,
        "{text}: {}",
        page.body
    );
    assert!(page.body.contains(text), "expected “{text}”: {}", page.body);
}

#[tokio::test]
async fn an_admin_uploads_a_floor_plan_that_devices_of_the_project_download() {
    let server = TestServer::start().await;
    staff(&server, ADMIN, Role::Admin).await;
    staff(&server, MANAGER, Role::Manager).await;
    let mut admin = Browser::new(&server);
    assert_eq!(
        admin.sign_in(ADMIN, "good-password-1").await.status,
        StatusCode::SEE_OTHER
    );
    let page = admin.get("/admin/projects").await;
    assert!(page.body.contains("还没有平面图"), "{}", page.body);
    assert!(page.body.contains("/admin/projects/licheng/plans"));
    let token = csrf_of(&page.body);
    let building = server.project.buildings[0].clone();
    let form = |first: &'static str, last: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("building", building.id.to_string()),
            ("first", first.to_owned()),
            ("last", last.to_owned()),
            ("name", "标准层 2–5F".to_owned()),
        ]
    };
    async fn send(
        b: &mut Browser,
        form: &[(&'static str, String)],
        file: Option<(&str, &[u8])>,
    ) -> Page {
        let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        upload(b, &refs, file).await
    }

    // Refused, each with its sentence, and nothing written: not an image (whatever its name),
    // too large, floors outside the building or upside down, an unknown building, no file.
    let image = png(300, 200);
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    refused_with(
        &send(&mut admin, &form("2", "5"), Some(("plan.png", &gif))).await,
        "PNG 或 JPEG",
    );
    let mut huge = png(300, 200);
    huge.resize(usize::try_from(MAX_PLAN_BYTES).unwrap() + 1, 0);
    refused_with(
        &send(&mut admin, &form("2", "5"), Some(("plan.png", &huge))).await,
        "10 MiB",
    );
    let top = building.floors;
    for (first, last) in [("0", "3"), ("2", "99"), ("5", "2"), ("x", "5")] {
        refused_with(
            &send(&mut admin, &form(first, last), Some(("plan.png", &image))).await,
            &format!("1–{top} 层之内"),
        );
    }
    let mut unknown = form("2", "5");
    unknown[1].1 = "no-such-building".into();
    refused_with(
        &send(&mut admin, &unknown, Some(("plan.png", &image))).await,
        "请选择本项目中的楼栋",
    );
    refused_with(
        &send(&mut admin, &form("2", "5"), None).await,
        "请选择平面图文件",
    );
    let mut forged = form("2", "5");
    forged[0].1 = "forged".into();
    let page = send(&mut admin, &forged, Some(("plan.png", &image))).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(plans(&server).await.is_empty());
    assert!(!stored(&server, &image).await && !stored(&server, &huge).await);
    // Someone who is not an administrator is refused too.
    let mut manager = Browser::new(&server);
    manager.sign_in(MANAGER, "good-password-1").await;
    let page = send(&mut manager, &form("2", "5"), Some(("plan.png", &image))).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(plans(&server).await.is_empty());

    // A good plan: stored by its hash, in the project document with its size.
    let page = send(&mut admin, &form("2", "5"), Some(("plan.png", &image))).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let hash = BlobHash::of(&image);
    let held = plans(&server).await;
    assert_eq!(held.len(), 1);
    let plan = &held[0];
    assert_eq!(
        (plan.width, plan.height, &plan.image),
        (300, 200, &hash),
        "{plan:?}"
    );
    assert_eq!((plan.floors.first, plan.floors.last), (2, 5));
    assert_eq!(plan.building, building.id);
    assert_eq!(plan.name, "标准层 2–5F");
    assert!(stored(&server, &image).await);
    let on_third = building.units.iter().find(|u| u.floor == 3).unwrap();
    let project =
        plumbline_sync_server::project_read::load_project(&server.state, &server.project.id)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(project.plan_for(&on_third.id), Some(plan));

    // The admin page lists it with a thumbnail the office may see.
    let page = admin.get("/admin/projects").await;
    assert!(page.body.contains(&format!("id=\"plan-{}\"", plan.id)));
    assert!(page.body.contains(&format!("/photos/{hash}")));
    let res = admin
        .http
        .get(format!("{}/photos/{hash}", admin.base))
        .header("cookie", admin.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), image.as_slice());

    // A device of the project downloads the image; one of another project cannot.
    let phone = server.device("wangli", Role::Inspector).await;
    let res = phone
        .http
        .get(server.url(&format!("/blobs/{hash}")))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), image.as_slice());
    let other = ProjectId::new("other-project").unwrap();
    let outsider = server.device_in("outsider", Role::Inspector, &other).await;
    let res = outsider
        .http
        .get(server.url(&format!("/blobs/{hash}")))
        .bearer_auth(&outsider.token)
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{}",
        res.status()
    );

    // Removed: the list is empty again; the blob stays for the pins made on it.
    let res = admin
        .post(
            "/admin/projects/licheng/plans/remove",
            &[("csrf", &token), ("plan", plan.id.as_str())],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // Retired, not deleted: off the list and never offered again, its image still served.
    let kept = plans(&server).await;
    assert!(kept.len() == 1 && kept[0].retired, "{kept:?}");
    let res = phone
        .http
        .get(server.url(&format!("/blobs/{hash}")))
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a retired plan's pins still show"
    );
    let res = admin
        .post(
            "/admin/projects/licheng/plans/remove",
            &[("csrf", &token), ("plan", plan.id.as_str())],
        )
        .await;
    refused_with(&res, "该平面图不存在");
}
