//! The office web in a real headless Chromium (Debian's `chromium` and `chromium-driver`, which
//! `cargo xtask test` installs): sign in, filter the case list, open a case, issue a notice and
//! open its print view, record a 不满意 callback that reopens a case, and see a device's
//! finding appear after it syncs. A screenshot of each step is kept under
//! `target/tmp/browser-screenshots/` for a person to look at.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestServer;
use common::process::free_addr;
use fantoccini::{Client, ClientBuilder, Locator};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::NewFinding;
use plumbline_shared::event::Origin;
use plumbline_shared::ids::UserId;
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_sync_server::admin;
use plumbline_sync_server::store::Membership;
use serde_json::json;

/// chromedriver on a free loopback port; killed when dropped.
struct ChromeDriver {
    child: Child,
    url: String,
}

impl ChromeDriver {
    async fn start() -> Self {
        let addr = free_addr();
        let child = Command::new("chromedriver")
            .arg(format!("--port={}", addr.port()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (cargo xtask test installs chromium-driver)");
        let url = format!("http://{addr}");
        let started = Instant::now();
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver never answered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, url }
    }

    async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN"],
            }),
        );
        // Plain HTTP to chromedriver on loopback.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap()
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the screenshots go.
fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert_eq!(&png[1..4], b"PNG");
    std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn rows(c: &Client) -> usize {
    c.find_all(Locator::Css("table#cases tbody tr"))
        .await
        .unwrap()
        .len()
}

fn finding(severity: Severity, description: &str) -> NewFinding {
    NewFinding {
        origin: Origin::Inspection,
        round: None,
        room: "bathroom".parse().unwrap(),
        item: "bathroom.ponding_test".parse().unwrap(),
        category: "waterproofing".parse().unwrap(),
        severity,
        description: description.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_runs_cases_in_a_real_browser() {
    let server = TestServer::start().await;
    admin::add_user(
        &server.state,
        &UserId::new("zhaomin").unwrap(),
        "赵敏",
        Some("good-password-1"),
        Membership {
            project: server.project.id.clone(),
            role: Role::Manager,
            contractor: None,
        },
    )
    .await
    .unwrap();
    // An inspector's phone: two findings on one unit, one of them repaired and accepted.
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let doc = DocId::Unit(server.project.units().next().unwrap().1.id.clone());
    let mut u = phone.unit(&doc);
    let actor = phone.actor.clone();
    let t0 = chrono::Utc::now().timestamp_millis() - 10 * 60_000;
    u.record_finding(
        &actor,
        Timestamp(t0),
        finding(Severity::S1, "卫生间闭水试验渗漏到楼下"),
    )
    .unwrap();
    let crack = u
        .record_finding(&actor, Timestamp(t0), finding(Severity::S3, "客厅墙面空鼓"))
        .unwrap();
    common::accept_repair(&mut u, &actor, &crack, Timestamp(t0));
    phone.put_unit(&doc, u);
    assert!(phone.sync().await.refused.is_empty());

    let driver = ChromeDriver::start().await;
    let c = driver.browser().await;
    let base = format!("http://{}", server.addr);

    // Sign in.
    c.goto(&format!("{base}/cases")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/login"));
    shot(&c, "01-sign-in").await;
    c.find(Locator::Css("input[name=login]"))
        .await
        .unwrap()
        .send_keys("zhaomin")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("good-password-1")
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("table#cases"))
        .await
        .unwrap();
    assert_eq!(rows(&c).await, 2);
    shot(&c, "02-case-list").await;

    // Filter: severity S1.
    let severity = c.find(Locator::Css("select[name=severity]")).await.unwrap();
    severity.select_by_value("S1").await.unwrap();
    c.find(Locator::Css("form.filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(&c, "severity=S1").await;
    assert_eq!(rows(&c).await, 1);
    assert!(
        text(&c, "table#cases")
            .await
            .contains("卫生间闭水试验渗漏到楼下")
    );
    shot(&c, "03-filtered").await;

    // Open it and issue a notice to 恒筑.
    c.find(Locator::Css("table#cases tbody tr td a[href^='/cases/']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("td#status"))
        .await
        .unwrap();
    assert_eq!(text(&c, "td#status").await, "待处理");
    let form = c
        .find(Locator::Css("form[action$='/notice']"))
        .await
        .unwrap();
    form.find(Locator::Css("select[name=contractor]"))
        .await
        .unwrap()
        .select_by_value("hengzhu-civil")
        .await
        .unwrap();
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("td#notice-no"))
        .await
        .unwrap();
    assert_eq!(text(&c, "td#status").await, "已通知");
    assert!(text(&c, "td#notice-no").await.contains("ZG-2026-0001"));
    assert!(text(&c, "table#timeline").await.contains("下发整改通知单"));
    shot(&c, "04-notice-issued").await;

    // Its print view.
    c.find(Locator::Css("td#notice-no a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("article.notice"))
        .await
        .unwrap();
    let notice = text(&c, "article.notice").await;
    assert!(
        notice.contains("工程整改通知单") && notice.contains("ZG-2026-0001"),
        "{notice}"
    );
    assert!(notice.contains("浙江恒筑建设集团有限公司"), "{notice}");
    shot(&c, "05-notice-print").await;

    // The accepted case: a 不满意 callback reopens it.
    c.goto(&format!("{base}/cases/{}/{crack}", doc_unit(&doc)))
        .await
        .unwrap();
    assert_eq!(text(&c, "td#status").await, "已验收");
    let form = c
        .find(Locator::Css("form[action$='/callback']"))
        .await
        .unwrap();
    form.find(Locator::Css("select[name=level]"))
        .await
        .unwrap()
        .select_by_value("dissatisfied")
        .await
        .unwrap();
    form.find(Locator::Css("input[name=note]"))
        .await
        .unwrap()
        .send_keys("业主认为仍有空鼓")
        .await
        .unwrap();
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("td#status"))
        .await
        .unwrap();
    let started = Instant::now();
    while text(&c, "td#status").await != "已重开" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the case did not reopen"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shot(&c, "06-callback-reopened").await;

    // A finding recorded on the phone appears once the phone syncs.
    let mut u = phone.unit(&doc);
    u.record_finding(
        &actor,
        Timestamp(chrono::Utc::now().timestamp_millis()),
        finding(Severity::S2, "阳台地漏排水不畅"),
    )
    .unwrap();
    phone.put_unit(&doc, u);
    c.goto(&format!("{base}/cases")).await.unwrap();
    assert!(!text(&c, "main").await.contains("阳台地漏排水不畅"));
    assert!(phone.sync().await.refused.is_empty());
    c.refresh().await.unwrap();
    assert!(text(&c, "table#cases").await.contains("阳台地漏排水不畅"));
    assert_eq!(rows(&c).await, 3);
    shot(&c, "07-device-finding-arrived").await;

    c.close().await.unwrap();
}

fn doc_unit(doc: &DocId) -> String {
    match doc {
        DocId::Unit(u) => u.to_string(),
        DocId::Project(p) => p.to_string(),
    }
}

/// Waits until the browser's URL contains `part` (after a form submission).
async fn wait_for_url(c: &Client, part: &str) {
    let started = Instant::now();
    while !c.current_url().await.unwrap().as_str().contains(part) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never reached a URL with {part}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
