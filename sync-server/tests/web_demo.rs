//! The demo with its history, as a newcomer first sees it: every queue of the dashboard has
//! work in it and its figure is the length of the list it links to; every report page of the
//! history's month shows figures, and each count of cases is the length of its list; and no
//! page a person reads shows an id where a name exists.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use common::TestServer;
use common::web::{Browser, pdf_image_count, pdf_pages, read_pdf};
use plumbline_shared::clock::Clock;
use plumbline_sync_server::demo::{self, Start};
use plumbline_sync_server::history::Month;
use reqwest::StatusCode;

use crate::web_reports::{PAGES, figures, list_counts, unescape};

/// The password `demo` printed for `login`.
fn password_of(printed: &str, login: &str) -> String {
    let line = printed
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{login} ")))
        .unwrap_or_else(|| panic!("no account `{login}` in:\n{printed}"));
    line.rsplit(' ').next().unwrap().to_owned()
}

/// The rows of the table with `id`: (label, link, figure).
fn figure_rows(html: &str, id: &str) -> Vec<(String, Option<String>, u64)> {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table `{id}`"));
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let mut rows = Vec::new();
    for row in table.split("<tr").skip(1) {
        let label = between(row, "<th>", "</th>")
            .map(unescape)
            .unwrap_or_default();
        let href = between(row, "href=\"", "\"").map(unescape);
        let cell = between(row, "<td>", "</td>").unwrap_or_default();
        let text: String = cell
            .split('<')
            .map(|part| part.split_once('>').map_or(part, |(_, t)| t))
            .collect();
        let value = text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("`{label}`: {cell}"));
        rows.push((label, href, value));
    }
    rows
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let at = text.find(open)? + open.len();
    let end = text[at..].find(close)?;
    Some(&text[at..at + end])
}

/// The total a case list states.
fn list_total(html: &str) -> u64 {
    between(html, "data-total=\"", "\"")
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no list total in:\n{html}"))
}

/// Whether a figure's value says "nothing" (`0`, `0.0`, `0/0`, or blank).
fn is_nothing(value: &str) -> bool {
    value.chars().all(|c| !c.is_ascii_digit() || c == '0')
}

/// Report figures that count cases, whose list holds exactly the cases counted.
fn counts_cases(key: &str) -> bool {
    ["intake", "closures", "backlog"]
        .iter()
        .any(|k| key == *k || key.starts_with(&format!("{k}.")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_has_work_in_every_queue_and_figures_on_every_report() {
    let started = std::time::Instant::now();
    let at = common::anchor();
    let server = TestServer::start_empty(Clock::manual(at)).await;
    let mut printed = Vec::new();
    demo::create(&server.state, Start::WithHistory, &mut printed)
        .await
        .unwrap();
    let printed = String::from_utf8(printed).unwrap();
    eprintln!("the demo was created in {:?}", started.elapsed());
    assert!(printed.contains("演示历史 Demo history"), "{printed}");
    let mut b = Browser::new(&server);
    let page = b
        .sign_in("zhaomin", &password_of(&printed, "zhaomin"))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    let dashboard = b.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    let mut problems = Vec::new();
    let queues = figure_rows(&dashboard.body, "queues");
    assert!(queues.len() >= 12, "{queues:?}");
    for (label, href, count) in &queues {
        if *count == 0 {
            problems.push(format!("the queue `{label}` is empty"));
        }
        let Some(href) = href else {
            continue; // the photos still on their way: no list
        };
        let list = b.get(href).await;
        assert_eq!(list.status, StatusCode::OK, "{href}");
        let total = list_total(&list.body);
        if total != *count {
            problems.push(format!(
                "`{label}` shows {count}, its list {href} has {total}"
            ));
        }
    }
    let by_status = figure_rows(&dashboard.body, "by-status");
    assert!(by_status.len() >= 8, "{by_status:?}");
    for (label, href, count) in &by_status {
        let href = href.as_deref().unwrap();
        let total = list_total(&b.get(href).await.body);
        if total != *count || *count == 0 {
            problems.push(format!(
                "status `{label}` shows {count}, its list has {total}"
            ));
        }
    }

    // The history's month: the one before the clock's.
    let month = Month::containing(at.0).previous().key();
    for page in PAGES {
        let path = format!("/reports/{page}?project=licheng&month={month}");
        let res = b.get(&path).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        let figs = figures(page, &res.body, &mut problems);
        let shown = figs
            .values()
            .filter(|f| f.value.as_deref().is_some_and(|v| !is_nothing(v)))
            .count();
        if shown == 0 {
            problems.push(format!("{path}: every figure is zero"));
        }
        // Every count of cases, and a sample of the other figures (the report tests check
        // every list of a scripted project exactly).
        let mut others = 0;
        for (key, f) in &figs {
            let (Some(href), Some(value)) = (&f.href, &f.value) else {
                continue;
            };
            if !counts_cases(key) {
                others += 1;
                if is_nothing(value) || others % 8 != 1 {
                    continue;
                }
            }
            let listed = b.get(href).await;
            let (total, _) = list_counts(&listed.body)
                .unwrap_or_else(|| panic!("{href}: no row count in:\n{}", listed.body));
            if counts_cases(key) && value.parse() != Ok(total) {
                problems.push(format!("{page}: `{key}` is {value}, its list has {total}"));
            }
            if !is_nothing(value) && total == 0 {
                problems.push(format!("{page}: `{key}` is {value} and its list is empty"));
            }
        }
    }
    let path = format!("/reports/scorecards?project=licheng&month={month}");
    let scorecards = b.get(&path).await.body;
    scan_for_ids(&mut b, &dashboard.body, &scorecards, &mut problems).await;
    printed_notice_with_photos_and_code(&server, &mut b).await;
    printed_complaint_record(&mut b).await;
    printed_suggestion_table(&mut b, &month).await;
    eprintln!("and read through in {:?}", started.elapsed());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Ids a person must not read in the demo: units, buildings, the project, contractors, logins,
/// devices, report figure keys.
const IDS: [&str; 26] = [
    "licheng-b1",
    "licheng-b2",
    "licheng",
    "hengzhu-civil",
    "tongtai-mep",
    "meijia-fitout",
    "mingguang-windows",
    "lvyuan-landscape",
    "wangli",
    "zhaomin",
    "liqiang",
    "chenjing",
    "sunyue",
    "zhougang",
    "liuyang",
    "huangwei",
    "wuhao",
    "zhenglei",
    "heming",
    "linfeng",
    "-device",
    "score.",
    "sat.",
    "suggest.",
    "intake.",
    "backlog.",
];

/// The text of a page as a person reads it: no tags, attributes, scripts or styles.
fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        text.push(' ');
        rest = &rest[open..];
        let skip_to = ["script", "style"]
            .into_iter()
            .find(|t| rest.starts_with(&format!("<{t}")))
            .map(|t| format!("</{t}>"));
        let end = match skip_to {
            Some(close) => rest.find(&close).map(|e| e + close.len()),
            None => rest.find('>').map(|e| e + 1),
        };
        rest = &rest[end.unwrap_or(rest.len())..];
    }
    text.push_str(rest);
    unescape(&text)
}

/// Links of `html` whose path starts with `prefix`, without repeats, at most `n`.
fn links(html: &str, prefix: &str, n: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in html.split("href=\"").skip(1) {
        let href = unescape(&part[..part.find('"').unwrap_or(0)]);
        if href.starts_with(prefix) && !out.contains(&href) {
            out.push(href);
        }
    }
    out.truncate(n);
    out
}

/// Reads the pages an office person meets — the dashboard, lists, cases, their printed notice
/// and fine slips, the unit archive, reports and a figure's cases, the inbox, readiness — in
/// both languages, and notes every id a page shows as text.
async fn scan_for_ids(
    b: &mut Browser,
    dashboard: &str,
    scorecards: &str,
    problems: &mut Vec<String>,
) {
    let mut pages = vec![
        "/dashboard".to_owned(),
        "/cases".to_owned(),
        "/inbox".to_owned(),
    ];
    pages.push("/readiness?project=licheng".to_owned());
    pages.extend(links(dashboard, "/cases?", 3));
    let list = b.get("/cases?project=licheng").await.body;
    let cases: Vec<String> = links(&list, "/cases/licheng-", 40)
        .into_iter()
        .filter(|l| l.matches('/').count() == 3)
        .collect();
    pages.extend(links(&list, "/archives/units/", 2));
    for case in &cases {
        let page = b.get(case).await.body;
        if page.contains("id=\"notice-no\"") && !pages.iter().any(|p| p.ends_with("/notice")) {
            pages.push(format!("{case}/notice"));
        }
        // The history's notices carry the office's own numbers, from the server's series.
        if let Some(at) = page.find("id=\"notice-no\">") {
            let no: String = page[at + 15..].chars().take(12).collect();
            let digits = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
            let parts: Vec<&str> = no.split('-').collect();
            assert!(
                parts.len() == 3 && parts[0] == "ZG" && digits(parts[1]) && digits(parts[2]),
                "{no}"
            );
        }
        let slips = links(&page, &format!("{case}/fines/"), 1);
        for slip in &slips {
            let no = slip.split('/').nth(5).unwrap_or_default();
            assert!(no.starts_with("FK-20") && no.len() == 12, "{slip}");
        }
        if !pages.iter().any(|p| p.contains("/fines/")) {
            pages.extend(slips.into_iter().filter(|l| !l.ends_with("/pdf")));
        }
    }
    pages.extend(cases.into_iter().take(6));
    pages.extend(links(scorecards, "/reports/", 5));
    // A stack's and a contractor's units of a product suggestion.
    let month = Month::containing(common::anchor().0).previous().key();
    let suggestions = b
        .get(&format!(
            "/reports/suggestions?project=licheng&month={month}"
        ))
        .await
        .body;
    let behind = links(&suggestions, "/reports/cases?", 400);
    for kind in [".stack.", ".contractor."] {
        let link = behind.iter().find(|l| l.contains(kind));
        pages.push(link.unwrap_or_else(|| panic!("a {kind} figure")).clone());
    }
    pages.extend(links(scorecards, "/reports/cases?", 2));
    assert!(pages.iter().any(|p| p.ends_with("/notice")), "{pages:?}");
    assert!(pages.iter().any(|p| p.contains("/fines/")), "{pages:?}");
    assert!(
        pages.iter().any(|p| p.starts_with("/reports/cases")),
        "{pages:?}"
    );
    for lang in ["zh-CN", "en"] {
        b.get(&format!("/lang/{lang}")).await;
        for path in &pages {
            let res = b.get(path).await;
            assert_eq!(res.status, StatusCode::OK, "{path}");
            let text = visible_text(&res.body);
            for id in IDS {
                if let Some(at) = text.find(id) {
                    let from = text[..at]
                        .char_indices()
                        .rev()
                        .nth(30)
                        .map_or(0, |(i, _)| i);
                    let to = text[at..]
                        .char_indices()
                        .nth(40)
                        .map_or(text.len(), |(i, _)| at + i);
                    problems.push(format!("{lang} {path} shows `{id}`: …{}…", &text[from..to]));
                }
            }
        }
    }
}

/// A notice of the history with photos, printed: the print view shows the photos' thumbnails
/// with their capture times and the case's QR code; the PDF holds the same thumbnails and a QR
/// code that reads back as the case's address.
async fn printed_notice_with_photos_and_code(server: &TestServer, b: &mut Browser) {
    b.get("/lang/zh-CN").await;
    let list = b.get("/cases?project=licheng&status=accepted").await.body;
    let mut found = None;
    for case in links(&list, "/cases/licheng-", 50) {
        let page = b.get(&case).await.body;
        if page.contains("id=\"notice-no\"") && page.contains("/thumb\"") {
            found = Some(case);
            break;
        }
    }
    let case = found.expect("an accepted case of the history with a notice and photos");
    let print = b.get(&format!("{case}/notice")).await;
    assert_eq!(print.status, StatusCode::OK);
    let grid = between(&print.body, "id=\"notice-photos\"", "</div>").expect("the photo grid");
    let thumbs = grid.matches("/thumb\"").count();
    assert!(thumbs >= 1, "{grid}");
    assert!(grid.contains("<figcaption"), "{grid}");
    let qr = between(&print.body, "id=\"notice-qr\"", "</div>").unwrap();
    assert!(qr.contains("<svg"), "{qr}");
    assert!(print.body.contains("扫码查看案件"));

    let pdf = b.download(&format!("{case}/notice/pdf")).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    let pdf = pdf.bytes().await.unwrap();
    let (text, _) = read_pdf(&pdf, "notice-with-photos");
    assert!(text.contains("扫码查看案件"), "{text}");
    assert!(
        pdf_image_count(&pdf) > thumbs,
        "every thumbnail and the code are images of the PDF"
    );
    let want = format!("http://{}{case}", server.addr);
    let read: Vec<String> = pdf_pages(&pdf, 150)
        .into_iter()
        .flat_map(|page| {
            let mut prepared = rqrr::PreparedImage::prepare(page);
            prepared
                .detect_grids()
                .into_iter()
                .filter_map(|g| g.decode().ok().map(|(_, text)| text))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(read, [want], "the PDF's code opens the case");
}

/// An owner's complaint of the history that was called back, printed as the 客户意见/投诉记录
/// 处理单: the owner (masked), what they said, its classification, who received it and when,
/// each step taken, the callback — in the print view and in the PDF's text.
async fn printed_complaint_record(b: &mut Browser) {
    b.get("/lang/zh-CN").await;
    let list = b.get("/cases?project=licheng&status=closed").await.body;
    let mut found = None;
    for case in links(&list, "/cases/licheng-", 50) {
        let page = b.get(&case).await.body;
        if page.contains("id=\"complaint-form-link\"") && page.contains("回访") {
            found = Some(case);
            break;
        }
    }
    let case = found.expect("a closed complaint of the history with a callback");
    let print = b.get(&format!("{case}/complaint")).await;
    assert_eq!(print.status, StatusCode::OK, "{}", print.body);
    let cell = |id: &str| {
        let text = between(&print.body, &format!("id=\"{id}\">"), "</td>")
            .unwrap_or_else(|| panic!("no `{id}` in {}", print.body));
        unescape(text)
    };
    assert!(cell("owner").contains('*'), "the owner's name is masked");
    assert!(cell("contact").contains('*'), "the contact is masked");
    assert!(cell("origin").starts_with("业主"), "{}", cell("origin"));
    assert_eq!(cell("received-by"), "陈静（前台接待员）");
    assert!(cell("unit").contains('栋'), "{}", cell("unit"));
    let steps = between(&print.body, "id=\"handling\"", "</ol>").unwrap();
    assert!(steps.matches("<li").count() >= 2, "{steps}");
    let callback = cell("callback");
    assert!(callback.contains("满意"), "{callback}");
    let content = cell("content");

    let pdf = b.download(&format!("{case}/complaint/pdf")).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let (text, _) = read_pdf(&pdf.bytes().await.unwrap(), "complaint-record");
    let flat: String = text.split_whitespace().collect();
    for fact in [
        "客户意见/投诉记录处理单",
        "处理记录",
        "回访结果",
        "陈静（前台接待员）",
        &cell("unit"),
        &cell("received-at"),
    ] {
        let fact: String = fact.split_whitespace().collect();
        assert!(flat.contains(&fact), "the PDF says {fact:?}:\n{text}");
    }
    let start: String = content.chars().take(8).collect();
    assert!(
        flat.contains(&start),
        "the PDF holds what the owner said: {start}\n{text}"
    );
}

/// The month's 产品建议表 printed: the print view is the page's table without a form, and the
/// PDF holds every group's figures, the candidates' notes (blank to write on when there are
/// none) and sample photos.
async fn printed_suggestion_table(b: &mut Browser, month: &str) {
    b.get("/lang/zh-CN").await;
    let query = format!("project=licheng&month={month}");
    let page = b.get(&format!("/reports/suggestions?{query}")).await.body;
    assert!(
        page.contains("/reports/suggestions/print?"),
        "the page links its print view"
    );
    let print = b.get(&format!("/reports/suggestions/print?{query}")).await;
    assert_eq!(print.status, StatusCode::OK);
    let table = between(&print.body, "id=\"suggestions\"", "</table>").unwrap();
    assert!(!table.contains("<form"), "no form on paper");
    let groups = table.matches("<tr class=\"candidate\"").count();
    assert!(groups >= 1, "the history has candidates: {table}");
    assert!(
        table.contains("/thumb") || table.contains("<img"),
        "sample photos"
    );

    let pdf = b
        .download(&format!("/reports/suggestions.pdf?{query}"))
        .await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.unwrap();
    let (text, _) = read_pdf(&pdf, "suggestions");
    let flat: String = text.split_whitespace().collect();
    for fact in [
        "产品建议表",
        "郦城",
        month,
        "建议候选",
        "根本原因",
        "设计改进建议",
        "涉及户数",
    ] {
        assert!(flat.contains(fact), "the PDF says {fact:?}:\n{text}");
    }
    assert!(
        pdf_image_count(&pdf) >= 1,
        "the sample photos are in the PDF"
    );
}
