//! The office web in a real headless Chromium (Debian's `chromium` and `chromium-driver`, which
//! `cargo xtask test` installs), page by page, each signed in as a role the page allows: sign in,
//! the dashboard, the case list filtered and sorted, a case with its action forms, a notice
//! issued and its print view, a 不满意 callback that reopens a case, an owner's claim, a
//! device's finding appearing after it syncs, a complaint recorded at intake, handover readiness
//! and its units, inspection planning, a unit's archive searched in Chinese and an owner's
//! archive, the monthly report with its charts and the cases behind a figure, the product
//! suggestions, scorecards and satisfaction (as a manager); a refusal and the fine slip (罚款单) drafted on it and printed (as a
//! coordinator); users, an enrollment code's QR code, devices, the projects' CSV import and its
//! preview, and the checklist template (as an administrator). A screenshot of every page is
//! kept under `target/tmp/browser-screenshots/`, numbered in page order, for a person to look
//! at; each page is asserted on for something it shows, so a screenshot of an error page fails
//! the test rather than passing unseen.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestServer;
use common::process::free_addr;
use common::web::{finding, staff};
use fantoccini::{Client, ClientBuilder, Locator};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::evidence::EvidenceRef;
use plumbline_shared::doc::unit::FieldEdit;
use plumbline_shared::ids::{BlobHash, FindingId, UserId};
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_sync_server::account_admin;
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

/// The screenshots, numbered in the order the pages are visited.
struct Shots {
    dir: PathBuf,
    taken: u32,
}

impl Shots {
    /// An empty folder: screenshots of an earlier run, numbered differently, would mislead.
    fn new() -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir, taken: 0 }
    }

    /// A screenshot of the window as it is.
    async fn take(&mut self, c: &Client, name: &str) {
        let png = c.screenshot().await.unwrap();
        assert_eq!(&png[1..4], b"PNG");
        self.taken += 1;
        let file = self.dir.join(format!("{:02}-{name}.png", self.taken));
        std::fs::write(file, png).unwrap();
    }

    /// A screenshot with the element `css` scrolled into view: a section far down a long page
    /// (a case's claims, the planning form) is otherwise outside the window.
    async fn take_at(&mut self, c: &Client, css: &str, name: &str) {
        c.execute(
            "document.querySelector(arguments[0]).scrollIntoView()",
            vec![json!(css)],
        )
        .await
        .unwrap();
        self.take(c, name).await;
    }
}

/// The text of the element matching `css`. An element found while the page was still being
/// replaced (a form's redirect landing) goes stale, or is not on the new page for a moment:
/// it is looked for again.
async fn text(c: &Client, css: &str) -> String {
    use fantoccini::error::{CmdError, ErrorStatus};
    let passing = |e: &CmdError| {
        matches!(e, CmdError::Standard(w)
            if w.error == ErrorStatus::StaleElementReference || w.error == ErrorStatus::NoSuchElement)
    };
    for _ in 0..40 {
        let read = match c.find(Locator::Css(css)).await {
            Ok(element) => element.text().await,
            Err(e) => Err(e),
        };
        match read {
            Ok(text) => return text,
            Err(e) if passing(&e) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => panic!("reading {css}: {e}"),
        }
    }
    panic!("{css} kept going stale or missing")
}

/// Whether the page holds an element matching `css`.
/// The text of `css` with every run of white space as one space: what a person reads, however
/// the layout breaks its lines (the dashboard's tiles put each figure under its label).
async fn words(c: &Client, css: &str) -> String {
    text(c, css)
        .await
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

async fn has(c: &Client, css: &str) -> bool {
    !c.find_all(Locator::Css(css)).await.unwrap().is_empty()
}

async fn rows(c: &Client) -> usize {
    c.find_all(Locator::Css("table#cases tbody tr"))
        .await
        .unwrap()
        .len()
}

/// Types `value` into the field `css`.
async fn fill(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(value)
        .await
        .unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn select(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

/// Waits for an element of the page a click or a form led to.
async fn arrive(c: &Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("never reached a page with {css}: {e}"));
}

/// Signs in through the form, wherever the browser was sent to do so (it goes on to the case
/// list, whatever page sent it).
async fn sign_in(c: &Client, login: &str, password: &str) {
    fill(c, "input[name=login]", login).await;
    fill(c, "input[name=password]", password).await;
    click(c, "button[type=submit]").await;
    let started = Instant::now();
    while c.current_url().await.unwrap().path().ends_with("/login") {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{login} was not signed in: {}",
            text(c, "main").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the tour needs to know about the data set up for it.
struct Fixture {
    base: String,
    /// The unit of the phone's findings.
    unit: String,
    unit_label: String,
    building: String,
    /// The S1 finding (the notice, the refusal and the fine) and the accepted S3 one (the
    /// callback and the claim).
    leak: String,
    crack: String,
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn case(&self, finding: &str) -> String {
        self.url(&format!("/cases/{}/{finding}", self.unit))
    }
}

const PASSWORD: &str = "good-password-1";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_the_office_works_in_a_real_browser() {
    let server = TestServer::start().await;
    account_admin::add_user(
        &server.state,
        &UserId::new("zhaomin").unwrap(),
        "赵敏",
        Some(PASSWORD),
        Membership {
            project: server.project.id.clone(),
            role: Role::Manager,
            contractor: None,
        },
    )
    .await
    .unwrap();
    staff(&server, "sunli", Role::Coordinator).await;
    staff(&server, "guanli", Role::Admin).await;
    // An inspector's phone: two findings on one unit, one of them repaired and accepted.
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let (building, unit) = server.project.units().next().unwrap();
    let doc = DocId::Unit(unit.id.clone());
    let mut u = phone.unit(&doc);
    let actor = phone.actor.clone();
    let t0 = common::now().0 - 10 * 60_000;
    let leak = u
        .record_finding(
            &actor,
            Timestamp(t0),
            finding(Severity::S1, "卫生间闭水试验渗漏到楼下"),
        )
        .unwrap();
    let crack = u
        .record_finding(&actor, Timestamp(t0), finding(Severity::S3, "客厅墙面空鼓"))
        .unwrap();
    phone.put_unit(&doc, u);
    assert!(phone.sync().await.refused.is_empty());
    common::accept_repair(&server, &doc, &actor, &crack, Timestamp(t0)).await;
    let fx = Fixture {
        base: format!("http://{}", server.addr),
        unit: unit.id.to_string(),
        unit_label: unit.label.clone(),
        building: building.id.to_string(),
        leak: leak.to_string(),
        crack: crack.to_string(),
    };

    let driver = ChromeDriver::start().await;
    let mut shots = Shots::new();
    let c = driver.browser().await;
    manager_pages(&c, &mut shots, &fx, &mut phone, &doc).await;
    c.close().await.unwrap();
    // A fresh browser per role: nothing of one person's session leaks into the next.
    let c = driver.browser().await;
    coordinator_pages(&c, &mut shots, &fx).await;
    c.close().await.unwrap();
    let c = driver.browser().await;
    admin_pages(&c, &mut shots, &fx).await;
    c.close().await.unwrap();
    let c = driver.browser().await;
    english_pages(&c, &mut shots, &fx).await;
    c.close().await.unwrap();
    assert_eq!(shots.taken, 48, "a page was added or left out of the tour");
}

/// The manager's pages: the case workflow, intake, readiness and planning, the archives.
async fn manager_pages(
    c: &Client,
    shots: &mut Shots,
    fx: &Fixture,
    phone: &mut common::Device,
    doc: &DocId,
) {
    // Sign in: a page that needs a person sends the browser to the form first.
    c.goto(&fx.url("/dashboard")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/login"));
    assert_eq!(text(c, "main h1").await, "登录");
    assert!(has(c, "form[action='/login'] input[name=password]").await);
    shots.take(c, "sign-in").await;
    sign_in(c, "zhaomin", PASSWORD).await;

    // The dashboard, from the top bar: the S1 finding waits for a notice, the accepted repair
    // for a callback.
    click(c, "header a[href='/dashboard']").await;
    arrive(c, "table#queues").await;
    assert!(text(c, "main h1").await.starts_with("工作台"));
    let queues = words(c, "table#queues").await;
    assert!(queues.contains("紧急投诉（S1）待派单 1"), "{queues}");
    assert!(
        queues.contains("4小时响应超时 0") && queues.contains("整改逾期 0"),
        "{queues}"
    );
    let by_status = words(c, "table#by-status").await;
    assert!(
        by_status.contains("待处理 1") && by_status.contains("已验收 1"),
        "{by_status}"
    );
    shots.take(c, "dashboard").await;

    // The case list, from the top bar.
    click(c, "header a[href='/cases']").await;
    arrive(c, "table#cases").await;
    assert_eq!(rows(c).await, 2);
    shots.take(c, "case-list").await;

    // Filtered: severity S1.
    select(c, "select[name=severity]", "S1").await;
    click(c, "form.filters button[type=submit]").await;
    wait_for_url(c, "severity=S1").await;
    assert_eq!(rows(c).await, 1);
    assert!(
        text(c, "table#cases")
            .await
            .contains("卫生间闭水试验渗漏到楼下")
    );
    shots.take(c, "case-list-filtered").await;

    // Sorted: the severity header sorts by it, a second click turns the order round (S3 first).
    c.goto(&fx.url("/cases")).await.unwrap();
    click(c, "table#cases thead a[href*='sort=severity']").await;
    wait_for_url(c, "sort=severity").await;
    click(c, "table#cases thead a[href*='sort=-severity']").await;
    wait_for_url(c, "sort=-severity").await;
    assert!(text(c, "table#cases thead").await.contains('▼'));
    assert!(
        text(c, "table#cases tbody tr:first-child")
            .await
            .contains("客厅墙面空鼓")
    );
    shots.take(c, "case-list-sorted").await;

    // A case with its action forms: from the list, by its description (the first link of a
    // row is the unit's archive).
    c.goto(&fx.url("/cases?severity=S1")).await.unwrap();
    click(c, "table#cases tbody tr td a[href^='/cases/']").await;
    arrive(c, "#status").await;
    assert_eq!(text(c, "#status").await, "待处理");
    assert!(
        text(c, "main h1")
            .await
            .contains("卫生间闭水试验渗漏到楼下")
    );
    for form in [
        "form#step-form",
        "form[action$='/notice']",
        "form#claim-form",
    ] {
        assert!(has(c, form).await, "the case page has no {form}");
    }
    // Only what the workflow allows now is offered: no callback before an acceptance, and
    // among the steps none that needs a notice first.
    assert!(!has(c, "form[action$='/callback']").await);
    let offered = text(c, "form#step-form select[name=step]").await;
    assert!(offered.contains("启动应急维修"), "{offered}");
    assert!(!offered.contains("验收通过"), "{offered}");
    shots.take(c, "case-detail").await;

    // Issue a notice to 恒筑.
    select(
        c,
        "form[action$='/notice'] select[name=contractor]",
        "hengzhu-civil",
    )
    .await;
    click(c, "form[action$='/notice'] button[type=submit]").await;
    arrive(c, "td#notice-no").await;
    assert_eq!(text(c, "#status").await, "已通知");
    assert!(text(c, "td#notice-no").await.contains("ZG-2026-0001"));
    assert!(text(c, "table#timeline").await.contains("下发整改通知单"));
    shots.take(c, "notice-issued").await;

    // Its print view.
    click(c, "td#notice-no a").await;
    arrive(c, "article.notice").await;
    let notice = text(c, "article.notice").await;
    assert!(
        notice.contains("工程整改通知单") && notice.contains("ZG-2026-0001"),
        "{notice}"
    );
    assert!(notice.contains("浙江恒筑建设集团有限公司"), "{notice}");
    shots.take(c, "notice-print").await;

    // The inspector's phone, offline since the morning, adds to the leak's description and a
    // photo of the crack taken after its acceptance. The edit is on the leak's timeline with
    // the old and new text and the device; the photo waits in the engineer's queue.
    let mut u = phone.unit(doc);
    let actor = phone.actor.clone();
    let at = common::now();
    let leak: FindingId = fx.leak.parse().unwrap();
    let crack: FindingId = fx.crack.parse().unwrap();
    u.edit_field(
        &actor,
        at,
        &leak,
        FieldEdit::Description("卫生间闭水试验渗漏到楼下，楼下顶棚有水渍".into()),
    )
    .unwrap();
    let photo = common::photo(&actor, at, BlobHash::of(b"the crack, a week on"), 380_000);
    u.attach_evidence(&actor, at, &crack, photo)
        .unwrap()
        .unwrap();
    phone.put_unit(doc, u);
    assert!(phone.sync().await.refused.is_empty());
    c.goto(&fx.case(&fx.leak)).await.unwrap();
    arrive(c, "table#timeline").await;
    let timeline = text(c, "table#timeline").await;
    assert!(
        timeline.contains("修改问题信息") && timeline.contains("楼下顶棚有水渍"),
        "{timeline}"
    );
    // The person by name and role; the phone a hover away.
    assert!(timeline.contains("（投诉代表）"), "{timeline}");
    c.find(Locator::Css(&format!(
        "table#timeline td[title$=\"{}\"]",
        actor.device
    )))
    .await
    .unwrap();
    shots.take_at(c, "table#timeline", "timeline").await;
    click(c, "header a[href='/dashboard']").await;
    arrive(c, "table#queues").await;
    let queues = words(c, "table#queues").await;
    assert!(queues.contains("验收后新增照片待复核 1"), "{queues}");
    click(c, "table#queues a[href*='queue=new_evidence']").await;
    wait_for_url(c, "queue=new_evidence").await;
    arrive(c, "table#cases").await;
    assert_eq!(rows(c).await, 1);
    assert!(text(c, "table#cases").await.contains("客厅墙面空鼓"));
    shots.take(c, "new-evidence-queue").await;

    // The accepted case: a 不满意 callback reopens it.
    c.goto(&fx.case(&fx.crack)).await.unwrap();
    assert_eq!(text(c, "#status").await, "已验收");
    assert!(has(c, "form[action$='/callback']").await);
    assert!(!has(c, "form[action$='/notice']").await);
    select(
        c,
        "form[action$='/callback'] select[name=level]",
        "dissatisfied",
    )
    .await;
    fill(
        c,
        "form[action$='/callback'] input[name=note]",
        "业主认为仍有空鼓",
    )
    .await;
    click(c, "form[action$='/callback'] button[type=submit]").await;
    arrive(c, "#status").await;
    let started = Instant::now();
    while text(c, "#status").await != "已重开" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the case did not reopen"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shots.take(c, "callback-reopened").await;

    // The claims section: the owner downstairs claims for a ruined ceiling.
    assert!(text(c, "section#claims").await.contains("没有索赔"));
    fill(
        c,
        "form#claim-form input[name=damage]",
        "楼下住户吊顶受潮脱落",
    )
    .await;
    fill(c, "form#claim-form input[name=amount]", "3200").await;
    click(c, "form#claim-form button[type=submit]").await;
    arrive(c, "table#claim-list").await;
    let claims = text(c, "table#claim-list").await;
    assert!(
        claims.contains("楼下住户吊顶受潮脱落") && claims.contains("3,200.00"),
        "{claims}"
    );
    shots.take_at(c, "section#claims", "claims").await;

    // A finding recorded on the phone appears once the phone syncs.
    // It has two photos; the case page shows them as a grid of thumbnails with their capture
    // times, each opening full size.
    let mut u = phone.unit(doc);
    let actor = phone.actor.clone();
    let recorded = u
        .record_finding(
            &actor,
            common::now(),
            finding(Severity::S2, "阳台地漏排水不畅"),
        )
        .unwrap();
    let mut pictures = Vec::new();
    for seed in [3, 4] {
        let picture = plumbline_sync_server::history::photos::picture(seed).unwrap();
        let evidence = EvidenceRef {
            width: picture.width,
            height: picture.height,
            ..common::photo(
                &actor,
                common::now(),
                BlobHash::of(&picture.bytes),
                picture.bytes.len() as u64,
            )
        };
        u.attach_evidence(&actor, common::now(), &recorded, evidence)
            .unwrap();
        pictures.push(picture.bytes);
    }
    phone.put_unit(doc, u);
    c.goto(&fx.url("/cases")).await.unwrap();
    assert!(!text(c, "main").await.contains("阳台地漏排水不畅"));
    assert!(phone.sync().await.refused.is_empty());
    for bytes in &pictures {
        common::upload(phone, bytes).await;
    }
    c.refresh().await.unwrap();
    assert!(text(c, "table#cases").await.contains("阳台地漏排水不畅"));
    assert_eq!(rows(c).await, 3);
    shots.take(c, "device-finding-arrived").await;
    c.goto(&fx.url(&format!("/cases/{}/{recorded}", fx.unit)))
        .await
        .unwrap();
    arrive(c, "#photos figure img").await;
    let shown = c
        .find_all(Locator::Css("#photos figure a[target=_blank] img"))
        .await
        .unwrap();
    assert_eq!(shown.len(), 2, "both photos, each opening full size");
    assert!(text(c, "#photos figcaption").await.contains(" · "));
    shots.take(c, "case-photos").await;

    // The bell in the top bar opens the person's reminders and escalations.
    click(c, "a#nav-inbox").await;
    arrive(c, "form.filters select[name=kind]").await;
    assert_eq!(text(c, "main h1").await, "通知");
    shots.take(c, "inbox").await;

    // Complaint intake, from the top bar: an owner calls about the kitchen drain.
    click(c, "a#nav-intake").await;
    arrive(c, "form#intake").await;
    assert!(text(c, "main h1").await.starts_with("登记投诉"));
    shots.take(c, "intake").await;
    fill(c, "form#intake input[name=unit]", &fx.unit_label).await;
    fill(c, "form#intake input[name=owner_name]", "王先生").await;
    fill(c, "form#intake input[name=owner_phone]", "138 1234 5678").await;
    select(c, "form#intake select[name=item]", "kitchen.drain").await;
    select(c, "form#intake select[name=severity]", "S2").await;
    fill(
        c,
        "form#intake textarea[name=description]",
        "厨房下水管接口漏水，橱柜底板泡水",
    )
    .await;
    click(c, "form#intake button[type=submit]").await;
    arrive(c, "td#owner").await;
    assert_eq!(text(c, "#status").await, "待处理");
    assert!(text(c, "td#owner").await.contains("王** · 138****5678"));
    assert!(text(c, "main h1").await.contains("厨房下水管接口漏水"));
    shots.take(c, "intake-recorded").await;
    // The full contact is a page of its own, and the look is recorded.
    click(c, "a#owner-contact-link").await;
    arrive(c, "table#owner-contact").await;
    assert_eq!(text(c, "#owner-phone").await, "13812345678");
    shots.take(c, "owner-contact").await;
    // The complaint's 客户意见/投诉记录处理单, from the case page.
    c.back().await.unwrap();
    click(c, "a#complaint-form-link").await;
    arrive(c, "article.complaint-form").await;
    assert_eq!(
        text(c, "td#content").await,
        "厨房下水管接口漏水，橱柜底板泡水"
    );
    shots.take(c, "complaint-print").await;

    // Handover readiness, from the top bar: the building's open S1 defect is counted.
    click(c, "a#nav-readiness").await;
    arrive(c, "table#readiness").await;
    assert!(text(c, "main h1").await.starts_with("交付准备"));
    assert_eq!(text(c, &format!("td#{}-S1", fx.building)).await, "1");
    shots.take(c, "readiness").await;

    // Its units not inspected yet, behind a figure.
    click(c, &format!("td#{}-uninspected a", fx.building)).await;
    arrive(c, "table#units").await;
    assert!(has(c, "table#units tr.unit").await);
    assert!(!text(c, "p#unit-total").await.is_empty());
    shots.take(c, "readiness-units").await;

    // Planning: wangli inspects floors 3–5 of the building on two days.
    c.goto(&fx.url("/readiness")).await.unwrap();
    assert!(has(c, "form#new-assignment").await);
    select(c, "form#new-assignment select[name=inspector]", "wangli").await;
    select(c, "form#new-assignment select[name=building]", &fx.building).await;
    fill(c, "form#new-assignment input[name=first_floor]", "3").await;
    fill(c, "form#new-assignment input[name=last_floor]", "5").await;
    // A date field's typed form follows the browser's locale; its value never does.
    c.execute(
        "const f = document.getElementById('new-assignment');
         f.elements.from.value = '2026-12-20'; f.elements.to.value = '2026-12-22';",
        vec![],
    )
    .await
    .unwrap();
    click(c, "form#new-assignment button[type=submit]").await;
    arrive(c, "table#assignments").await;
    let planned = text(c, "table#assignments").await;
    assert!(
        planned.contains("wangli") && planned.contains("2026-12-20"),
        "{planned}"
    );
    shots.take_at(c, "section#planning", "planning").await;

    // The unit's archive, searched in Chinese: the leak's rows, not the crack's.
    c.goto(&fx.url(&format!("/archives/units/{}", fx.unit)))
        .await
        .unwrap();
    arrive(c, "table#archive").await;
    assert!(text(c, "main h1").await.starts_with("房屋档案"));
    fill(c, "input[name=q]", "渗漏").await;
    click(c, "form.filters button[type=submit]").await;
    wait_for_url(c, "q=").await;
    let archive = text(c, "table#archive").await;
    assert!(archive.contains("卫生间闭水试验渗漏到楼下"), "{archive}");
    assert!(!archive.contains("客厅墙面空鼓"), "{archive}");
    shots.take(c, "archive-unit").await;

    // The owner's archive, by the phone number taken at intake.
    click(c, "a#nav-archives").await;
    arrive(c, "input[name=phone]").await;
    assert!(text(c, "main h1").await.starts_with("业主档案"));
    fill(c, "input[name=phone]", "13812345678").await;
    click(c, "form[action='/archives/owners'] button[type=submit]").await;
    wait_for_url(c, "phone=13812345678").await;
    arrive(c, "table#owner-cases").await;
    let owner = text(c, "table#owner-cases").await;
    assert!(owner.contains("厨房下水管接口漏水"), "{owner}");
    assert_eq!(
        c.find_all(Locator::Css("tr.owner-case"))
            .await
            .unwrap()
            .len(),
        1
    );
    shots.take(c, "archive-owner").await;
    // The manager's record of who looked at owners' contacts: the look and the search above.
    click(c, "a#contact-log-link").await;
    arrive(c, "table#contact-log").await;
    assert_eq!(
        c.find_all(Locator::Css("tr.contact-view"))
            .await
            .unwrap()
            .len(),
        2
    );
    shots.take(c, "contact-log").await;

    // The reports, from the top bar: this month's intake holds the cases recorded above, and
    // its figure opens exactly as many cases.
    click(c, "a#nav-reports").await;
    arrive(c, "table#overview").await;
    assert!(text(c, "main h1").await.contains("月度报告"));
    let intake: usize = text(c, "a#fig-intake").await.parse().unwrap();
    assert!(intake >= 2, "this month's intake: {intake}");
    assert!(has(c, "div.chart svg").await);
    shots.take(c, "report-monthly").await;
    click(c, "a#fig-intake").await;
    arrive(c, "span#row-count").await;
    assert_eq!(text(c, "span#row-count").await, intake.to_string());
    assert_eq!(
        c.find_all(Locator::Css("tr.case-row")).await.unwrap().len(),
        intake
    );
    shots.take(c, "report-figure-cases").await;
    for (path, table, name) in [
        (
            "/reports/suggestions",
            "table#suggestions",
            "report-suggestions",
        ),
        (
            "/reports/suggestions/print",
            "article.suggestion-sheet",
            "report-suggestions-print",
        ),
        ("/reports/scorecards", "main", "report-scorecards"),
        (
            "/reports/satisfaction",
            "table#satisfaction-months",
            "report-satisfaction",
        ),
        ("/reports/settlement", "main", "report-settlement"),
    ] {
        c.goto(&fx.url(path)).await.unwrap();
        arrive(c, table).await;
        shots.take(c, name).await;
    }
}

/// The coordinator's pages: the contractor refuses the notice, a fine slip is drafted through
/// the case page's form and printed.
/// The main pages again in English, switched from the top bar: the same design, English words,
/// no Chinese status or date words left over.
async fn english_pages(c: &Client, shots: &mut Shots, fx: &Fixture) {
    c.goto(&fx.url("/dashboard")).await.unwrap();
    sign_in(c, "zhaomin", PASSWORD).await;
    click(c, "header a[href='/lang/en']").await;
    c.goto(&fx.url("/dashboard")).await.unwrap();
    arrive(c, "table#queues").await;
    assert!(text(c, "main h1").await.starts_with("Dashboard"));
    shots.take(c, "en-dashboard").await;

    click(c, "header a[href='/cases']").await;
    arrive(c, "table#cases").await;
    let list = text(c, "table#cases").await;
    assert!(
        list.contains("Notified") && !list.contains("已通知"),
        "{list}"
    );
    // The date fields offer the usual days by name, in the page's language.
    let days = c
        .find_all(Locator::Css("datalist#days-from option"))
        .await
        .unwrap();
    assert_eq!(days.len(), 6, "today, yesterday, two Mondays, two firsts");
    assert_eq!(days[0].html(true).await.unwrap(), "today");
    let today = days[0].attr("value").await.unwrap().unwrap_or_default();
    assert!(
        today.len() == 10 && today.as_bytes()[4] == b'-',
        "a day as the office writes it: {today}"
    );
    shots.take(c, "en-case-list").await;

    c.goto(&fx.case(&fx.leak)).await.unwrap();
    arrive(c, "#status").await;
    let head = words(c, ".case-head").await;
    assert!(
        head.contains("Critical") || head.contains("Major") || head.contains("Minor"),
        "{head}"
    );
    assert!(!head.contains("严重") && !head.contains("小时"), "{head}");
    shots.take(c, "en-case-detail").await;

    click(c, "td#notice-no a").await;
    arrive(c, "article.notice").await;
    shots.take(c, "en-notice-print").await;

    click(c, "a#nav-reports").await;
    arrive(c, "table#overview").await;
    assert!(text(c, "main h1").await.contains("Monthly"));
    shots.take(c, "en-report-monthly").await;

    click(c, "a#nav-readiness").await;
    arrive(c, "table#readiness").await;
    shots.take(c, "en-readiness").await;

    click(c, "a#nav-archives").await;
    arrive(c, "main h1").await;
    shots.take(c, "en-archives").await;
}

async fn coordinator_pages(c: &Client, shots: &mut Shots, fx: &Fixture) {
    c.goto(&fx.case(&fx.leak)).await.unwrap();
    sign_in(c, "sunli", PASSWORD).await;
    c.goto(&fx.case(&fx.leak)).await.unwrap();
    arrive(c, "#status").await;
    assert_eq!(text(c, "#status").await, "已通知");
    assert!(
        text(c, "section#fines")
            .await
            .contains("没有成立的处罚条件")
    );
    select(c, "form#step-form select[name=step]", "refused").await;
    fill(
        c,
        "form#step-form input[name=text]",
        "施工单位认为不属于其施工范围",
    )
    .await;
    click(c, "form#step-form button[type=submit]").await;
    arrive(c, "form#fine-form").await;
    let timeline = text(c, "table#timeline").await;
    assert!(timeline.contains("施工单位拒绝整改"), "{timeline}");
    select(c, "form#fine-form select[name=penalty]", "1:hengzhu-civil").await;
    fill(c, "form#fine-form input[name=amount]", "6000").await;
    click(c, "form#fine-form button[type=submit]").await;
    arrive(c, "table#fine-list").await;
    let fines = text(c, "table#fine-list").await;
    assert!(fines.contains("6,000.00"), "{fines}");
    shots.take_at(c, "section#fines", "fine-drafted").await;

    // The printable slip.
    click(c, "table#fine-list a[href*='/fines/']").await;
    arrive(c, "article.fine-slip").await;
    assert_eq!(text(c, "article.fine-slip h1").await, "罚款单");
    assert!(text(c, "span#fine-no").await.starts_with("FK-"));
    assert!(text(c, "td#amount-capital").await.contains("陆仟"));
    assert!(
        text(c, "td#fine-condition")
            .await
            .contains("拒绝接受整改通知")
    );
    shots.take(c, "fine-slip-print").await;
}

/// The administrator's pages.
async fn admin_pages(c: &Client, shots: &mut Shots, fx: &Fixture) {
    c.goto(&fx.url("/admin/users")).await.unwrap();
    sign_in(c, "guanli", PASSWORD).await;
    click(c, "header a[href='/admin']").await;
    arrive(c, "table#users").await;
    assert_eq!(text(c, "main h1").await, "用户与角色");
    assert!(text(c, "tr#user-zhaomin").await.contains("赵敏"));
    assert!(has(c, "form#add-user input[name=password]").await);
    shots.take(c, "admin-users").await;

    // A new enrollment code for wangli: the code, and its QR code drawn as SVG.
    click(
        c,
        "tr#user-wangli form[action$='/code'] button[type=submit]",
    )
    .await;
    arrive(c, "div#enroll-qr svg").await;
    let qr = c.find(Locator::Css("div#enroll-qr svg")).await.unwrap();
    assert!(qr.is_displayed().await.unwrap());
    let size = qr.rectangle().await.unwrap();
    assert!(size.2 > 100.0 && size.3 > 100.0, "the QR code is {size:?}");
    assert!(!text(c, "strong#code").await.is_empty());
    shots.take(c, "admin-enrollment-code").await;

    click(c, "nav.admin a[href='/admin/devices']").await;
    arrive(c, "table#devices").await;
    assert!(text(c, "table#devices").await.contains("wangli phone"));
    shots.take(c, "admin-devices").await;

    click(c, "nav.admin a[href='/admin/projects']").await;
    arrive(c, "form.import").await;
    assert!(text(c, "span.unit-count").await.parse::<u32>().unwrap() > 0);
    shots.take(c, "admin-projects").await;

    // A preview of a CSV of one new building: nothing imported yet.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("units.csv");
    std::fs::write(
        &csv,
        "building_id,building_name,floors,unit_id,unit_label,floor,position,handover\n\
         licheng-b9,9栋,2,licheng-b9-0101,9-101,1,1,2027-03-01\n",
    )
    .unwrap();
    upload(c, &csv).await;
    click(c, "form.import button[value=preview]").await;
    arrive(c, "p#outcome").await;
    assert!(text(c, "main h1").await.starts_with("导入楼栋和房屋"));
    assert!(!has(c, "table#problems").await);
    assert!(text(c, "p#summary").await.contains("新增 1 户"));
    shots.take(c, "admin-import-preview").await;

    c.goto(&fx.url("/admin/templates")).await.unwrap();
    arrive(c, "table#severities").await;
    assert!(text(c, "main h1").await.starts_with("检查模板"));
    assert!(has(c, "ul#categories li").await);
    shots.take(c, "admin-template").await;

    // The project's work-group robot: set here, its messages listed below.
    c.goto(&fx.url("/admin/webhooks")).await.unwrap();
    arrive(c, "input[name=url]").await;
    assert_eq!(text(c, "main h1").await, "工作群机器人");
    fill(
        c,
        "input[name=url]",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=demo",
    )
    .await;
    click(c, "form.note-form button[type=submit]").await;
    // The page after the save: its address field comes from the server with the saved value
    // (the page before had it only as what was typed, not as the attribute).
    arrive(c, "input[name=url][value^='https://qyapi.weixin.qq.com']").await;
    assert!(text(c, "main").await.contains("还没有发出的消息"));
    shots.take(c, "admin-webhooks").await;
}

/// Chooses `file` in the import form's file field.
async fn upload(c: &Client, file: &Path) {
    c.find(Locator::Css("form.import input[type=file]"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
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
