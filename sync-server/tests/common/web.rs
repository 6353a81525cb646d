//! The office web as a test sees it: a cookie-keeping HTTP client that reads form tokens, staff
//! accounts, cases recorded by an inspector's device, and readers for the pages' figures.

use std::collections::BTreeMap;

use std::io::Cursor;

use plumbline_shared::doc::DocId;
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef};
use plumbline_shared::doc::finding::OwnerContact;
use plumbline_shared::doc::unit::NewFinding;
use plumbline_shared::doc::walk::{SignedWalk, WalkSnapshot};
use plumbline_shared::event::Origin;
use plumbline_shared::ids::{BlobHash, UserId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_sync_server::account_admin;
use plumbline_sync_server::store::Membership;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use super::{Device, TestServer};

/// A browser without a browser: keeps cookies, follows no redirects, reads form tokens.
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub cookies: BTreeMap<String, String>,
}

/// What the server answered: the status, where it redirects, the page.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new(server: &TestServer) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: format!("http://{}", server.addr),
            cookies: BTreeMap::new(),
        }
    }

    /// A browser whose connections come from `local` (any 127.x.y.z reaches a loopback
    /// server): another address, for the per-address limits.
    pub fn from_address(server: &TestServer, local: std::net::IpAddr) -> Self {
        Self::at(&format!("http://{}", server.addr), local)
    }

    /// A browser of the server at `base` (`http://host:port`) whose connections come from
    /// `local`.
    pub fn at(base: &str, local: std::net::IpAddr) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .local_address(local)
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookies: BTreeMap::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn keep(&mut self, res: reqwest::Response) -> Page {
        for value in res.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        Page {
            status: res.status(),
            location: res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            body: res.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("referer", format!("{}/cases", self.base))
            .send()
            .await
            .unwrap();
        self.keep(res).await
    }

    /// A download as it came: the response, its body not read yet.
    pub async fn download(&mut self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(res).await
    }

    /// Signs in through the form; returns the answer to the POST.
    pub async fn sign_in(&mut self, login: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let token = csrf_of(&form.body);
        self.post(
            "/login",
            &[("login", login), ("password", password), ("csrf", &token)],
        )
        .await
    }
}

/// The value of the first `csrf` hidden field of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\"")
        .expect("a form with a CSRF token");
    let rest = &html[at..];
    let start = rest.find("value=\"").unwrap() + 7;
    let end = rest[start..].find('"').unwrap();
    rest[start..start + end].to_owned()
}

/// Creates an office account `login` (password `good-password-1`, display name `login`) with
/// `role` in the demo project.
pub async fn staff(server: &TestServer, login: &str, role: Role) {
    let m = Membership {
        project: server.project.id.clone(),
        role,
        contractor: (role == Role::Contractor).then(|| "hengzhu-civil".parse().unwrap()),
    };
    account_admin::add_user(
        &server.state,
        &UserId::new(login).unwrap(),
        login,
        Some("good-password-1"),
        m,
    )
    .await
    .unwrap();
}

/// A waterproofing finding in the bathroom.
pub fn finding(severity: Severity, description: &str) -> NewFinding {
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

/// An inspector's device records `n` findings on unit 0 (the first two special) and syncs.
pub async fn cases(server: &TestServer, n: usize) -> Device {
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let unit = server.project.units().next().unwrap().1.id.clone();
    let doc = DocId::Unit(unit);
    let mut u = phone.unit(&doc);
    let actor = phone.actor.clone();
    let at = server.clock.now();
    for i in 0..n {
        let f = match i {
            0 => finding(Severity::S1, "卫生间闭水试验渗漏到楼下"),
            1 => finding(Severity::S3, "客厅墙面空鼓"),
            _ => finding(Severity::S4, &format!("细微划痕 {i}")),
        };
        u.record_finding(&actor, at, f).unwrap();
    }
    phone.put_unit(&doc, u);
    assert!(phone.sync().await.refused.is_empty());
    phone
}

/// The link of the first case in a list page.
pub fn first_case_link(html: &str) -> String {
    let at = html.find("<td><a href=\"/cases/").expect("a case link");
    let rest = &html[at + "<td><a href=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Every case link of a list page, in order.
pub fn case_links(html: &str) -> Vec<String> {
    html.match_indices("<td><a href=\"/cases/")
        .map(|(at, m)| {
            let rest = &html[at + m.len() - "/cases/".len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// Issues a rectification notice on the case at `link` to 恒筑 (hengzhu-civil), repair within
/// three days; the page answered.
pub async fn issue_notice(b: &mut Browser, link: &str, csrf: &str) -> Page {
    b.post(
        &format!("{link}/notice"),
        &[
            ("csrf", csrf),
            ("contractor", "hengzhu-civil"),
            ("days", "3"),
        ],
    )
    .await
}

/// Posts the step form of the case at `link`.
pub async fn post_step(b: &mut Browser, link: &str, form: Vec<(&'static str, String)>) -> Page {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(&format!("{link}/step"), &form).await
}

/// The count in the row of `label` of a dashboard table, and the link behind it.
pub fn figure(html: &str, label: &str) -> (u64, String) {
    let row = &html[html
        .find(&format!("<th>{label}</th>"))
        .unwrap_or_else(|| panic!("{label}: {html}"))..];
    let href_at = row.find("href=\"").unwrap() + 6;
    let href = row[href_at..href_at + row[href_at..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let count_at = row.find("\">").unwrap() + 2;
    let count = row[count_at..count_at + row[count_at..].find('<').unwrap()]
        .parse()
        .unwrap();
    (count, href)
}

/// The unit document the cases of [`cases`] are on.
pub fn cases_doc(server: &TestServer) -> DocId {
    DocId::Unit(server.project.units().next().unwrap().1.id.clone())
}

/// The stored heads of the document of [`cases`]: unchanged when nothing was written.
pub async fn cases_heads(server: &TestServer) -> Option<Vec<automerge::ChangeHash>> {
    server
        .state
        .store
        .doc_heads(&cases_doc(server))
        .await
        .unwrap()
}

/// A real PNG: a signature-like line on white.
pub fn signature_png() -> Vec<u8> {
    let mut img = image::GrayImage::from_pixel(600, 240, image::Luma([255]));
    for x in 100..500 {
        img.put_pixel(x, 120 + (x % 7), image::Luma([0]));
    }
    let mut png = Vec::new();
    img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

pub fn signature_ref(actor: &Actor, png: &[u8], at: Timestamp) -> EvidenceRef {
    EvidenceRef {
        hash: BlobHash::of(png),
        kind: EvidenceKind::Signature,
        bytes: png.len() as u64,
        width: 600,
        height: 240,
        captured_at: at,
        device: actor.device.clone(),
        author: actor.user.clone(),
        location: None,
        pin: None,
        thumbnail: None,
    }
}

/// `phone` signs the unit's whole list with its owner (张伟) and uploads the signature; returns
/// the walk.
pub async fn sign_walk(server: &TestServer, phone: &mut Device, doc: &DocId) -> SignedWalk {
    let png = signature_png();
    let at = server.clock.now();
    let mut u = phone.unit(doc);
    let record = u.read().unwrap();
    let owner = OwnerContact::new("张伟", "13812345678").unwrap();
    let snapshot = WalkSnapshot::new(&record.unit, record.findings.values(), &owner, at);
    let walk = SignedWalk::new(
        snapshot,
        signature_ref(&phone.actor, &png, at),
        phone.actor.clone(),
    );
    u.sign_walk(&phone.actor, &walk).unwrap();
    phone.put_unit(doc, u);
    let report = phone.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    let res = super::put_blob(phone, &png, "image/png").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    walk
}

/// Every page of a PDF rendered at `dpi` (pdftoppm), for reading codes or details off it.
pub fn pdf_pages(pdf: &[u8], dpi: u32) -> Vec<image::GrayImage> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("document.pdf");
    std::fs::write(&file, pdf).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-gray", "-r", &dpi.to_string()])
        .arg(&file)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm (Debian package `poppler-utils`)");
    assert!(status.success());
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    pages
        .iter()
        .map(|p| image::open(p).unwrap().to_luma8())
        .collect()
}

/// The images a PDF embeds, as `pdfimages -list` counts them.
pub fn pdf_image_count(pdf: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("document.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(&file)
        .output()
        .expect("pdfimages (Debian package `poppler-utils`)");
    assert!(out.status.success());
    // Two header lines, then one line per image.
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(2)
        .count()
}

/// The text of a PDF file as a reader would copy it out (poppler's `pdftotext`), and the
/// first page rendered at 50 dpi (`pdftoppm`), kept as `<name>.png` beside the other tests'
/// screenshots for a person to look at.
pub fn read_pdf(pdf: &[u8], name: &str) -> (String, image::GrayImage) {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF file");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("document.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (Debian package `poppler-utils`)");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let page = dir.path().join("page");
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "50", "-singlefile"])
        .arg(&file)
        .arg(&page)
        .status()
        .expect("pdftoppm (Debian package `poppler-utils`)");
    assert!(status.success());
    let kept = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("paper");
    std::fs::create_dir_all(&kept).unwrap();
    std::fs::copy(
        dir.path().join("page.png"),
        kept.join(format!("{name}.png")),
    )
    .unwrap();
    let image = image::open(dir.path().join("page.png")).unwrap().to_luma8();
    (text, image)
}
