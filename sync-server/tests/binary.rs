//! The real binary as an operator runs it: `demo` prints its accounts once, metrics are served
//! on their own listener, every response carries a request id, and SIGTERM lets a request in
//! flight finish before the process exits cleanly.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use std::time::Duration;

use common::Device;
use common::process::{ServerProcess, free_addr};
use plumbline_shared::ids::{BlobHash, UserId};
use plumbline_shared::role::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The enrollment code `demo` prints on its last line.
fn printed_code(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|l| l.contains("Enrollment code"))
        .unwrap_or_else(|| panic!("no enrollment code in:\n{stdout}"));
    line.rsplit(' ').next().unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_accounts_once_serves_metrics_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let metrics = free_addr();
    let config = format!("metrics_listen = \"{metrics}\"\n");
    // The bare demo: its history (`demo` without `--empty`) is `web_demo`'s, in process, where
    // it costs no second debug build's worth of photos.
    let mut server =
        ServerProcess::run(dir.path(), "demo --empty", addr, &config, "demo-1.log").await;

    // One account of every role, each with a password, and a code for the inspector's phone.
    let stdout = server.stdout();
    assert_eq!(stdout.matches("password 密码: ").count(), 7, "{stdout}");
    assert!(!stdout.contains("演示历史"), "{stdout}");
    for login in [
        "wangli", "zhaomin", "liqiang", "chenjing", "sunyue", "zhougang", "admin",
    ] {
        assert!(stdout.contains(login), "{login} missing from:\n{stdout}");
    }
    let code = printed_code(&stdout);
    let base = format!("http://{addr}/api/v1");
    let mut phone = Device::enroll(
        &base,
        &code,
        "王丽的手机",
        UserId::new("wangli").unwrap(),
        Role::Inspector,
        common::clock(),
    )
    .await;
    let report = phone.sync().await;
    assert!(report.refused.is_empty());
    assert_eq!(phone.docs.len(), 145);

    // Every response names its request, and the same id is on the server's log lines.
    let res = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(!request_id.is_empty());
    // Metrics, on their own listener, count what happened.
    let text = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("plumbline_sync_manifests_total"), "{text}");
    assert!(
        reqwest::get(format!("http://{addr}/metrics"))
            .await
            .unwrap()
            .status()
            == 404,
        "metrics are not on the public listener"
    );

    // A photo chunk half sent when SIGTERM arrives still completes; then the process exits 0.
    let photo = crate::common::jpeg(2_000, 9);
    let hash = BlobHash::of(&photo);
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /api/v1/blobs/{hash}?offset=0&total={len} HTTP/1.1\r\nhost: {addr}\r\n\
         authorization: Bearer {token}\r\ncontent-type: image/jpeg\r\n\
         content-length: {len}\r\nconnection: close\r\n\r\n",
        len = photo.len(),
        token = phone.token
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&photo[..100]).await.unwrap();
    conn.flush().await.unwrap();
    // SIGTERM once the server has read the request's head and started on it (its log says).
    let sent = std::time::Instant::now();
    while !server
        .log()
        .lines()
        .any(|l| l.contains("started processing request") && l.contains("/api/v1/blobs/"))
    {
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "the server did not start on the upload within 10 s:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.terminate();
    // The rest is sent once the server says it is shutting down, not after a guessed delay.
    let asked = std::time::Instant::now();
    while !server.log().contains("shutting down") {
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "no shutdown logged 10 s after SIGTERM:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    conn.write_all(&photo[100..]).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.contains("\"complete\":true"), "{answer}");
    let status = server.wait_exit().await;
    assert!(status.success(), "{status}");
    let log = server.log();
    assert!(log.contains("shutting down"), "{log}");
    assert!(
        log.contains(&request_id),
        "the request id is on the log lines"
    );

    // Started again on the same folder, `demo` serves what is there and prints no secrets.
    let mut again = ServerProcess::run(dir.path(), "demo", addr, &config, "demo-2.log").await;
    let stdout = again.stdout();
    assert!(stdout.contains("already exists"), "{stdout}");
    assert!(!stdout.contains("password"), "{stdout}");
    let status_url = format!("http://{addr}/api/v1/blobs/{hash}/status");
    let res = reqwest::Client::new()
        .get(status_url)
        .bearer_auth(&phone.token)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["complete"], true,
        "the photo stored before the stop is there"
    );
    again.terminate();
    assert!(again.wait_exit().await.success());
}

/// Two hundred sign-ins at once against the real process, each a wrong password or an unknown
/// name, from twenty addresses (so that no per-address budget runs out): at most two password
/// checks (19 MiB each) run at a time, so the process's memory stays bounded; every request is
/// answered, 401 or 429 with `Retry-After`; and `/healthz` answers throughout. Unbounded, sixty
/// such sign-ins once took the server past a gigabyte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_sign_ins_at_once_keep_memory_bounded_and_the_server_answering() {
    use crate::common::web::{Browser, csrf_of};
    use reqwest::StatusCode;
    let dir = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let server = ServerProcess::run(
        dir.path(),
        "demo --empty",
        addr,
        "metrics_listen = \"\"\n",
        "sign-ins.log",
    )
    .await;
    let base = format!("http://{addr}");
    let before = server.peak_memory();

    // Twenty browsers, one per address, each sending ten sign-ins at once.
    let mut browsers = Vec::new();
    for a in 0..20u8 {
        let mut b = Browser::at(&base, std::net::IpAddr::from([127, 0, 1, 1 + a]));
        let token = csrf_of(&b.get("/login").await.body);
        browsers.push((b, token));
    }
    let sign_ins = (0..200usize).map(|i| {
        let (b, token) = &browsers[i % 20];
        // Half are known names with a wrong password, half names nobody has.
        let login = if i % 2 == 0 {
            "zhaomin".to_owned()
        } else {
            format!("nobody{i}")
        };
        async move {
            let res = b
                .http
                .post(format!("{}/login", b.base))
                .header("cookie", b.cookie_header())
                .form(&[
                    ("login", login.as_str()),
                    ("password", "wrong-1234"),
                    ("csrf", token.as_str()),
                ])
                .send()
                .await
                .unwrap();
            (res.status(), res.headers().contains_key("retry-after"))
        }
    });
    let health = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..20 {
            let start = std::time::Instant::now();
            let res = reqwest::get(format!("{base}/healthz")).await.unwrap();
            assert_eq!(res.status(), 200);
            slowest = slowest.max(start.elapsed());
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        slowest
    };
    let (answers, slowest_health) = tokio::join!(futures::future::join_all(sign_ins), health);

    let peak = server.peak_memory();
    eprintln!(
        "peak resident memory: {} MiB before, {} MiB after 200 sign-ins at once; slowest /healthz {slowest_health:?}",
        before / (1 << 20),
        peak / (1 << 20)
    );
    assert!(
        answers
            .iter()
            .all(|(s, retry)| *s == StatusCode::UNAUTHORIZED
                || (*s == StatusCode::TOO_MANY_REQUESTS && *retry)),
        "{answers:?}"
    );
    assert!(
        answers.iter().any(|(s, _)| *s == StatusCode::UNAUTHORIZED),
        "some were checked"
    );
    assert!(
        peak < 192 << 20,
        "peak resident memory {} MiB",
        peak / (1 << 20)
    );
    // Two checks at once fill both cores of a small machine in a debug build; the point is
    // that the server answers within seconds, not that it is idle.
    assert!(
        slowest_health < Duration::from_secs(5),
        "{slowest_health:?}"
    );
}
