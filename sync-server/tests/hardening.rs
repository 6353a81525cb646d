//! The server under attack from outside: guesses sent at once, names sprayed and enrollment
//! codes tried from one address, and connections that trickle their headers. Each probe was
//! once a way in or a way to stop the server; each test checks the fix from a real client.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use std::net::IpAddr;
use std::time::{Duration, Instant};

use plumbline_shared::clock::Clock;
use plumbline_shared::role::Role;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::web::{Browser, csrf_of, staff};
use crate::common::{TestServer, anchor, clock};

const PASSWORD: &str = "good-password-1";

fn address(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}

/// A sign-in attempt from `from`: the status of the answer to the POST.
async fn attempt(server: &TestServer, from: IpAddr, login: &str, password: &str) -> StatusCode {
    let mut b = Browser::from_address(server, from);
    b.sign_in(login, password).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_sent_at_once_are_counted_one_by_one_and_the_name_locks_after_five() {
    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    // Thirty wrong guesses at once, each from its own address (so that only the name's own
    // lock can stop them).
    let guesses = (0..30).map(|i| {
        let server = &server;
        async move { attempt(server, address(10 + i), "zhaomin", &format!("guess-{i}")).await }
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let locked = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        checked, 4,
        "four wrong passwords are checked and refused: {answers:?}"
    );
    assert_eq!(
        locked, 26,
        "the fifth locks the name, and the rest are refused: {answers:?}"
    );
    // The right password, now, does not get in: the name is locked.
    assert_eq!(
        attempt(&server, address(200), "zhaomin", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn one_address_trying_many_names_is_slowed_and_told_when_to_come_back() {
    // The clock stands still: the address's budget does not refill during the test.
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    staff(&server, "zhaomin", Role::Manager).await;
    let from = address(7);
    for i in 0..10 {
        let status = attempt(&server, from, &format!("name{i}"), "123456").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let mut b = Browser::from_address(&server, from);
    let form = b.get("/login").await;
    let token = csrf_of(&form.body);
    let res = b
        .http
        .post(format!("{}/login", b.base))
        .header("cookie", b.cookie_header())
        .form(&[
            ("login", "name10"),
            ("password", "123456"),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=6).contains(&retry), "{retry}");
    assert!(res.text().await.unwrap().contains("登录尝试过于频繁"));
    // Another address, with the right password, signs in.
    assert_eq!(
        attempt(&server, address(8), "zhaomin", PASSWORD).await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn enrollment_codes_tried_from_one_address_are_refused_after_thirty() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let http = reqwest::Client::builder()
        .local_address(address(9))
        .build()
        .unwrap();
    let url = server.url("/enroll");
    let mut statuses = Vec::new();
    for i in 0..31 {
        let res = http
            .post(&url)
            .json(&serde_json::json!({"code": format!("AAAAA-{i:05}"), "device_name": "guess"}))
            .send()
            .await
            .unwrap();
        statuses.push((res.status(), res.headers().get("retry-after").cloned()));
    }
    assert!(
        statuses[..30]
            .iter()
            .all(|(s, _)| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert_eq!(statuses[30].0, StatusCode::TOO_MANY_REQUESTS);
    assert!(statuses[30].1.is_some());
    // A real code from elsewhere still enrolls.
    let mut phone = server.device("wangli", Role::Inspector).await;
    assert!(phone.sync().await.refused.is_empty());
}

/// Thirty enrollment guesses through `http`, each forwarded as from `client`; the statuses.
async fn guesses_forwarded_for(
    server: &TestServer,
    http: &reqwest::Client,
    client: &str,
    n: usize,
) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for i in 0..n {
        let res = http
            .post(server.url("/enroll"))
            .header("x-forwarded-for", client)
            .json(&serde_json::json!({"code": format!("AAAAA-{i:05}"), "device_name": "guess"}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status());
    }
    statuses
}

/// Behind a reverse proxy the operator trusts, each client forwarded by it has its own budget;
/// the same header from anyone else is ignored (it would let a guesser pick a fresh address
/// for every guess).
#[tokio::test]
async fn a_trusted_proxy_s_forwarded_address_is_counted_and_nobody_else_s() {
    let proxy = address(30);
    let server = TestServer::start_configured(Clock::manual(anchor()), |c| {
        c.connections.trusted_proxies = vec![proxy];
    })
    .await;
    let through_proxy = reqwest::Client::builder()
        .local_address(proxy)
        .build()
        .unwrap();
    let used_up = guesses_forwarded_for(&server, &through_proxy, "203.0.113.7", 31).await;
    assert_eq!(used_up[30], StatusCode::TOO_MANY_REQUESTS, "{used_up:?}");
    // Another client behind the same proxy still has its thirty (a forged left part changes
    // nothing: the proxy's own entry is the rightmost).
    let other = guesses_forwarded_for(&server, &through_proxy, "203.0.113.7, 198.51.100.9", 30);
    let other = other.await;
    assert!(
        other.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{other:?}"
    );

    // Straight from an untrusted address, a new header on every guess does not help.
    let direct = reqwest::Client::builder()
        .local_address(address(31))
        .build()
        .unwrap();
    let mut statuses = Vec::new();
    for i in 0..31 {
        let client = format!("198.18.0.{i}");
        statuses.extend(guesses_forwarded_for(&server, &direct, &client, 1).await);
    }
    assert_eq!(statuses[30], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_trickling_their_headers_are_closed_and_the_server_keeps_answering() {
    let server = TestServer::start_configured(clock(), |c| {
        c.connections.header_read_timeout_secs = 2;
        c.connections.max_per_address = 40;
        c.connections.max_connections = 100;
    })
    .await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;

    // 60 connections from one address, each sending a byte of its headers now and then: 40
    // are let in, the rest closed at once.
    let mut slow = Vec::new();
    for _ in 0..60 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind((address(66), 0).into()).unwrap();
        let mut stream = socket.connect(server.addr).await.unwrap();
        let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHo").await;
        slow.push(stream);
    }
    // Those over the cap were closed at once; the others wait for their headers.
    let closed_at_once = futures::future::join_all(slow.iter_mut().map(|stream| async move {
        let mut buf = [0u8; 64];
        matches!(
            tokio::time::timeout(Duration::from_millis(500), stream.read(&mut buf)).await,
            Ok(Ok(0) | Err(_))
        )
    }))
    .await;
    assert_eq!(closed_at_once.iter().filter(|c| **c).count(), 20);
    // Meanwhile the server answers others at once, health checks and syncs alike.
    let started = Instant::now();
    let health = reqwest::get(format!("http://{}/healthz", server.addr))
        .await
        .unwrap();
    assert!(health.status().is_success(), "{}", health.status());
    assert!(phone.sync().await.refused.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // After the header deadline every slow connection is closed by the server.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut closed = 0;
    for stream in &mut slow {
        let _ = stream.write_all(b"s").await;
        let mut buf = [0u8; 256];
        // Closed (end of stream or reset), or answered before closing (hyper may send 408);
        // a connection still open sends nothing and the read times out.
        if tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
            .await
            .is_ok()
        {
            closed += 1;
        }
    }
    assert_eq!(
        closed,
        slow.len(),
        "connections still open after the header deadline"
    );
    assert!(phone.sync().await.refused.is_empty());
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let server = TestServer::start().await;
    for path in ["/login", "/healthz", "/api/v1/enroll"] {
        let res = reqwest::get(format!("http://{}{path}", server.addr))
            .await
            .unwrap();
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert!(
            h.get("strict-transport-security").is_none(),
            "{path}: not behind TLS"
        );
    }
}

#[tokio::test]
async fn an_account_in_a_project_or_company_that_does_not_exist_is_refused() {
    use plumbline_sync_server::account_admin;
    use plumbline_sync_server::store::Membership;
    let server = TestServer::start().await;
    let user = plumbline_shared::ids::UserId::new("newcomer").unwrap();
    let member = |project: &str, role, contractor: Option<&str>| Membership {
        project: project.parse().unwrap(),
        role,
        contractor: contractor.map(|c| c.parse().unwrap()),
    };
    let project = server.project.id.as_str();
    for (m, says) in [
        (
            member("nowhere", Role::Inspector, None),
            "there is no project `nowhere`",
        ),
        (
            member(project, Role::Contractor, Some("acme")),
            "has no contractor `acme`",
        ),
        (
            member(project, Role::Contractor, None),
            "needs --contractor",
        ),
        (
            member(project, Role::Inspector, Some("hengzhu-civil")),
            "only a contractor account names a company",
        ),
    ] {
        let err = account_admin::add_user(&server.state, &user, "新同事", Some(PASSWORD), m)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(says), "{says}: {err}");
    }
    let err = account_admin::add_user(
        &server.state,
        &user,
        "王\u{202E}丽",
        Some(PASSWORD),
        member(project, Role::Inspector, None),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("control character"), "{err}");
    assert!(server.state.store.user(&user).await.unwrap().is_none());
    let err = account_admin::grant(
        &server.state,
        &user,
        &"nowhere".parse().unwrap(),
        Role::Manager,
        None,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("no project"), "{err}");
}

/// A PNG of a few hundred bytes whose header says 50,000 × 50,000 pixels: 10 GB for whoever
/// shows it. A real 8 × 8 PNG with its header rewritten (and the header's checksum with it).
fn png_bomb() -> Vec<u8> {
    let mut png = Vec::new();
    image::DynamicImage::new_luma8(8, 8)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), 5 more, CRC (4).
    png[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32fast::hash(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

#[tokio::test]
async fn an_image_bomb_and_a_jpeg_that_is_only_its_magic_are_refused_and_nothing_is_kept() {
    let server = TestServer::start().await;
    let phone = server.device("wangli", Role::Inspector).await;
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.extend([7u8; 4_000]);
    for (bytes, kind, says) in [
        (png_bomb(), "image/png", "50000 × 50000 pixels"),
        (fake, "image/jpeg", "does not decode"),
    ] {
        let hash = plumbline_shared::ids::BlobHash::of(&bytes);
        let res = crate::common::put_blob(&phone, &bytes, kind).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{says}");
        let text = res.text().await.unwrap();
        assert!(text.contains(says), "{says}: {text}");
        assert!(!server.state.store.blob_exists(&hash).await.unwrap());
    }
}
