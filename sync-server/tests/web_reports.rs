//! The reports of `docs/reports.md` over real HTTP, against a scripted project
//! (`common/report_project.rs`): every figure of the monthly report, the product suggestions,
//! the contractor scorecards and satisfaction equals the count made from the script; every
//! figure's link lists as many cases as the script puts behind it; other thresholds and the
//! Excel export agree with the script; bad parameters are answered 400 with a message, and a
//! person outside the project sees nothing. Before any page, the script is checked against what
//! the workflow derives from the documents the server stored.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;
#[path = "common/report_project.rs"]
mod report_project;

use std::collections::BTreeMap;
use std::time::Instant;

use common::TestServer;
use common::web::Browser;
use futures::StreamExt;
use plumbline_shared::clock::Clock;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::UnitDoc;
use plumbline_shared::ids::{DeviceId, ProjectId, UserId};
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::template::residential;
use plumbline_shared::time::{DAY_MS, Timestamp};
use plumbline_shared::workflow::{FineStatus, WorkflowSettings};
use plumbline_sync_server::doc_cache::assemble;
use plumbline_sync_server::reports::{self, ReportParams};
use plumbline_sync_server::store::{CaseFilter, Membership};
use plumbline_sync_server::{account_admin, report_cache};
use report_project::{
    Expectations, Expected, Generated, Params, THRESHOLD_GROUPS, Threshold, generate, level_key,
    write,
};
use reqwest::StatusCode;

const PASSWORD: &str = "good-password-1";

/// Instants the script is drawn against, chosen where a calendar bug would show: a plain day,
/// the first seconds of a month and of a year in Beijing (still the old day and year in UTC),
/// the last seconds of a 31-day month, a leap day and the 31st before a 30-day month.
const ANCHORS: [&str; 7] = [
    "2026-12-06T10:00:00+08:00",
    "2027-03-01T00:00:30+08:00",
    "2027-01-01T00:00:10+08:00",
    "2027-01-31T23:59:30+08:00",
    "2026-12-31T23:59:59+08:00",
    "2028-02-29T12:00:00+08:00",
    "2026-08-31T09:00:00+08:00",
];

/// An RFC 3339 instant as a timestamp.
fn at(text: &str) -> Timestamp {
    Timestamp(
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis(),
    )
}

/// A server whose clock stands at the script's `now`, so that the pages judge every open
/// promise at the instant the script was drawn against.
async fn server_at(p: &Params) -> TestServer {
    TestServer::start_with_clock(Clock::manual(p.now)).await
}
pub(crate) const PAGES: [&str; 5] = [
    "monthly",
    "suggestions",
    "scorecards",
    "satisfaction",
    "settlement",
];
/// Rows a case list shows per page.
const PAGE_ROWS: u64 = 50;

// ---------------------------------------------------------------------------------------------
// The script against the workflow
// ---------------------------------------------------------------------------------------------

/// Reads the stored document of every unit in `units` and derives each finding's state with the
/// workflow: status, counting, times, notices, fines, callbacks and emergency repairs must be
/// what the script meant, with no anomaly (the script only appends events the workflow
/// accepts). Returns how many findings were checked.
async fn check_against_workflow(
    server: &TestServer,
    g: &Generated,
    units: impl Iterator<Item = usize>,
) -> usize {
    let settings = WorkflowSettings::default();
    let now = server.clock.now();
    let mut problems: Vec<String> = Vec::new();
    let mut checked = 0;
    for u in units {
        let cases = g.cases_of(u);
        if cases.is_empty() {
            continue;
        }
        let doc_id = DocId::Unit(g.units[u].id.clone());
        let stored = server.state.store.load_doc(&doc_id).await.unwrap().unwrap();
        let unit = UnitDoc::from_automerge(assemble(&doc_id, &stored).unwrap()).unwrap();
        let record = unit.read().unwrap();
        assert_eq!(record.findings.len(), cases.len(), "findings of {doc_id}");
        for c in cases {
            let f = &record.findings[c.finding.as_ref().unwrap()];
            let st = f.state(now, &settings);
            let name = format!("case {} ({})", c.index, c.special.unwrap_or("random"));
            let mut differ = |what: &str, derived: String, scripted: String| {
                if derived != scripted {
                    problems.push(format!(
                        "{name} {what}: derived {derived}, scripted {scripted}"
                    ));
                }
            };
            differ("status", st.status.to_string(), c.status.to_string());
            differ("anomalies", format!("{:?}", st.anomalies), "[]".into());
            differ("counts", st.counts().to_string(), c.counts().to_string());
            differ(
                "opened",
                format!("{:?}", st.opened_at.map(|t| t.0)),
                format!("{:?}", Some(c.recorded)),
            );
            differ(
                "closed",
                format!("{:?}", st.closed_at.map(|t| t.0)),
                format!("{:?}", c.facts.closed.or(c.facts.uncounted)),
            );
            let notices: Vec<_> = st.past_notices.iter().chain(st.notice.as_ref()).collect();
            differ(
                "notices",
                notices.len().to_string(),
                c.facts.notices.len().to_string(),
            );
            for (n, s) in notices.iter().zip(&c.facts.notices) {
                let derived = format!(
                    "{} {} issued {} answer by {} repair by {} answered {:?} refused {:?} \
                     stopped {:?} accepted {:?} failed {} returned {:?}",
                    n.notice_no,
                    n.contractor,
                    n.issued_at.0,
                    n.response_deadline.0,
                    n.repair_deadline.0,
                    n.responded.map(|(t, _)| t.0),
                    n.refused_at.map(|t| t.0),
                    n.clock_stopped_at.map(|t| t.0),
                    n.accepted_at.map(|t| t.0),
                    n.failed_acceptances,
                    n.returned_at.map(|t| t.0),
                );
                let scripted = format!(
                    "{} {} issued {} answer by {} repair by {} answered {:?} refused {:?} \
                     stopped {:?} accepted {:?} failed {} returned {:?}",
                    s.no,
                    g.contractors[s.contractor],
                    s.issued,
                    s.response_deadline,
                    s.repair_deadline,
                    s.answered,
                    s.refused,
                    s.stopped,
                    s.accepted,
                    s.failed.len(),
                    s.returned,
                );
                differ("notice", derived, scripted);
            }
            let fines: Vec<String> = st
                .fines
                .iter()
                .map(|f| {
                    format!(
                        "{} {} {} {} {:?}",
                        f.id, f.contractor, f.amount_fen, f.drafted_at.0, f.status
                    )
                })
                .collect();
            let scripted: Vec<String> = c
                .facts
                .fines
                .iter()
                .map(|f| {
                    let status = match (f.voided, f.approvals) {
                        (Some(_), _) => FineStatus::Voided,
                        (None, 0) => FineStatus::Drafted,
                        (None, 1) => FineStatus::LeaderApproved,
                        (None, _) => FineStatus::Approved,
                    };
                    format!(
                        "{} {} {} {} {status:?}",
                        f.id, g.contractors[f.contractor], f.amount, f.drafted
                    )
                })
                .collect();
            differ("fines", format!("{fines:?}"), format!("{scripted:?}"));
            let callbacks: Vec<(i64, &str)> = st
                .callbacks
                .iter()
                .map(|cb| (cb.at.0, level_key(cb.level)))
                .collect();
            let scripted: Vec<(i64, &str)> = c
                .facts
                .callbacks
                .iter()
                .map(|(t, l)| (*t, level_key(*l)))
                .collect();
            differ(
                "callbacks",
                format!("{callbacks:?}"),
                format!("{scripted:?}"),
            );
            let emergencies: Vec<String> = st
                .emergency_repairs
                .iter()
                .map(|e| {
                    format!(
                        "{} {:?} {:?} {:?}",
                        e.started_at.0,
                        e.charged_to.as_ref().map(|c| c.to_string()),
                        e.finished_at.map(|t| t.0),
                        e.cost_fen
                    )
                })
                .collect();
            let scripted: Vec<String> = c
                .facts
                .emergencies
                .iter()
                .map(|e| {
                    format!(
                        "{} {:?} {:?} {:?}",
                        e.started,
                        Some(g.contractors[e.charged_to].to_string()),
                        e.finished.map(|(t, _)| t),
                        e.finished.map(|(_, cost)| cost)
                    )
                })
                .collect();
            differ(
                "emergency repairs",
                format!("{emergencies:?}"),
                format!("{scripted:?}"),
            );
            checked += 1;
        }
    }
    assert!(
        problems.is_empty(),
        "{} differences between the script and the workflow, the first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(40)].join("\n")
    );
    checked
}

/// The projection ran: one case row per scripted finding.
async fn check_projection(server: &TestServer, g: &Generated) {
    let filter = CaseFilter {
        projects: vec![g.project.id.clone()],
        ..CaseFilter::default()
    };
    let rows = server.state.store.case_count(&filter).await.unwrap();
    assert_eq!(rows, g.cases.len() as u64, "case rows of {}", g.project.id);
}

/// The script drawn at every anchor covers what it promises: every origin in the month, every
/// edge case, figures on both sides of every rule, and each threshold group on its side.
#[test]
fn the_script_covers_every_rule_at_every_anchor() {
    for anchor in ANCHORS {
        let g = generate(&Params::new(
            "rpt-check",
            (2, 9, 4),
            300,
            0x00C0_FFEE,
            at(anchor),
        ));
        let result = std::panic::catch_unwind(|| check_coverage(&g));
        if let Err(e) = result {
            panic!("drawn at {anchor}: {e:?}");
        }
    }
}

/// What the workflow derives from the stored documents is the script, at the anchors where the
/// month and the year turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_script_is_what_the_workflow_derives() {
    for anchor in [ANCHORS[2], ANCHORS[3], ANCHORS[5]] {
        let p = Params::new("rpt-check", (2, 9, 4), 300, 0x00C0_FFEE, at(anchor));
        let server = server_at(&p).await;
        let mut g = generate(&p);
        let started = Instant::now();
        write(&server.state, &mut g).await.unwrap();
        eprintln!(
            "{anchor}: wrote {} findings in {} units in {:?}",
            g.cases.len(),
            g.units.len(),
            started.elapsed()
        );
        check_projection(&server, &g).await;
        let checked = check_against_workflow(&server, &g, 0..g.units.len()).await;
        assert_eq!(checked, g.cases.len(), "drawn at {anchor}");
        check_coverage(&g);
    }
}

/// The figures the script promises to cover, each on both sides of its rule.
fn check_coverage(g: &Generated) {
    let e = g.expected(Threshold::default(), std::slice::from_ref(&g.project.id));
    for o in plumbline_shared::event::Origin::ALL {
        let key = format!("intake.origin.{}", o.as_str());
        assert_ne!(e.figures[&key], "0", "{key}");
    }
    for key in [
        "closures",
        "backlog.age.0-7",
        "backlog.age.8-30",
        "backlog.age.31-90",
        "backlog.age.90+",
        "sat.reopened",
    ] {
        assert_ne!(e.figures[key], "0", "{key}");
    }
    let any = |suffix: &str, pred: &dyn Fn(&str) -> bool| {
        e.figures
            .iter()
            .any(|(k, v)| k.starts_with("score.") && k.ends_with(suffix) && pred(v))
    };
    for suffix in [
        ".response_met",
        ".response_missed",
        ".response_stopped",
        // No `.response_pending`: a month's notices are judged with what is known now, and a
        // four-hour window opened last month has closed by now.
        ".repair_on_time",
        ".repair_late",
        ".repair_stopped",
        ".repair_pending",
        ".fines",
        ".fines_voided",
        ".emergency",
        ".emergency_cost",
    ] {
        assert!(any(suffix, &|v| v != "0"), "no scorecard has {suffix}");
    }
    assert!(
        e.figures
            .iter()
            .any(|(k, v)| k.ends_with(".candidate") && v == "1")
    );
    assert!(
        e.figures
            .iter()
            .any(|(k, v)| k.ends_with(".candidate") && v == "0")
    );
    assert!(e.figures.keys().any(|k| k.contains(".stack.")));
    assert!(e.figures.keys().any(|k| k.contains(".floor.")));
    let x = format!("score.{}.notices", g.contractors[4]);
    assert_eq!(
        e.figures[&x], "0",
        "the contractor with only an emergency repair"
    );
    assert!(
        !e.figures
            .keys()
            .any(|k| k.contains(g.contractors[5].as_str()))
    );

    // Each threshold group on its side of each tested threshold.
    let pid = std::slice::from_ref(&g.project.id);
    let candidate = |threshold: Threshold, group: &str| -> String {
        let case = g.cases.iter().find(|c| c.special == Some(group)).unwrap();
        let key = format!("suggest.{}.{}.candidate", case.item, case.category);
        g.expected(threshold, pid).figures[&key].clone()
    };
    let [four, five, reached, short] = THRESHOLD_GROUPS;
    for (threshold, group, is) in [
        (Threshold::Units(3), four, "1"),
        (Threshold::Units(5), four, "0"),
        (Threshold::Units(5), five, "1"),
        (Threshold::Share(4), reached, "1"),
        (Threshold::Share(4), short, "0"),
        // Both given: either makes a candidate, by its units or by its share.
        (Threshold::Either(5, 100), five, "1"),
        (Threshold::Either(5, 100), four, "0"),
        (Threshold::Either(100, 4), reached, "1"),
        (Threshold::Either(100, 4), short, "0"),
    ] {
        assert_eq!(candidate(threshold, group), is, "{group} at {threshold:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the pages
// ---------------------------------------------------------------------------------------------

/// One figure as the page shows it.
#[derive(Debug, Clone)]
pub(crate) struct Fig {
    pub(crate) value: Option<String>,
    pub(crate) href: Option<String>,
}

pub(crate) fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of attribute `name` in the tag text `tag`.
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    let end = tag[at..].find('"')?;
    Some(unescape(&tag[at..at + end]))
}

/// Every `id="fig-…"` element of a page, by key; a key shown twice with different values is
/// a problem.
pub(crate) fn figures(page: &str, html: &str, problems: &mut Vec<String>) -> BTreeMap<String, Fig> {
    let mut out = BTreeMap::new();
    let mut from = 0;
    while let Some(found) = html[from..].find(" id=\"fig-") {
        let at = from + found;
        let start = html[..at].rfind('<').unwrap();
        let end = at + html[at..].find('>').unwrap();
        let tag = &html[start..end];
        let key = attr(tag, "id").unwrap()["fig-".len()..].to_owned();
        let fig = Fig {
            value: attr(tag, "data-value"),
            href: attr(tag, "href"),
        };
        match out.get(&key) {
            Some(Fig { value, .. }) if *value != fig.value => problems.push(format!(
                "{page}: `{key}` is shown as {value:?} and as {:?}",
                fig.value
            )),
            Some(_) => {}
            None => {
                out.insert(key, fig);
            }
        }
        from = end;
    }
    out
}

/// Which figure keys belong to a page (checked there completely).
fn owns(page: &str, key: &str) -> bool {
    match page {
        "monthly" => {
            key == "intake"
                || key.starts_with("intake.")
                || key == "closures"
                || key == "backlog"
                || key.starts_with("backlog.")
        }
        "suggestions" => key.starts_with("suggest."),
        "scorecards" => key.starts_with("score."),
        "satisfaction" => key.starts_with("sat."),
        "settlement" => key.starts_with("settle."),
        _ => false,
    }
}

/// Compares a page's figures with the expectation: every figure of the page's own kind is
/// there with its exact value and no other is; a figure of another page shown here (the monthly
/// report repeats some) has the same value as there.
fn compare(
    page: &str,
    figs: &BTreeMap<String, Fig>,
    expected: &Expected,
    problems: &mut Vec<String>,
) {
    for (key, want) in expected.figures.iter().filter(|(k, _)| owns(page, k)) {
        match figs.get(key) {
            None => problems.push(format!("{page}: no figure `{key}` (expected {want})")),
            Some(f) if f.value.as_deref() != Some(want.as_str()) => {
                problems.push(format!("{page}: `{key}` is {:?}, expected {want}", f.value))
            }
            Some(_) => {}
        }
    }
    for (key, f) in figs {
        match expected.figures.get(key) {
            None if owns(page, key) => problems.push(format!(
                "{page}: figure `{key}` = {:?} was not expected",
                f.value
            )),
            Some(want) if !owns(page, key) && f.value.as_deref() != Some(want.as_str()) => problems
                .push(format!(
                    "{page}: `{key}` (of another report) is {:?}, expected {want}",
                    f.value
                )),
            _ => {}
        }
    }
}

/// A list page's stated total and the rows it shows.
pub(crate) fn list_counts(html: &str) -> Option<(u64, u64)> {
    let key = "<span id=\"row-count\">";
    let at = html.find(key)? + key.len();
    let end = html[at..].find('<')?;
    let total = html[at..at + end].trim().parse().ok()?;
    let rows = html.matches("<tr class=\"case-row\"").count() as u64;
    Some((total, rows))
}

/// The findings the rows of a list page link to (`/cases/{unit}/{finding}`), or `None` when a
/// row has no such link (the contract promises the rows, not their links).
fn listed_findings(html: &str) -> Option<std::collections::BTreeSet<String>> {
    let mut out = std::collections::BTreeSet::new();
    for row in html.split("<tr class=\"case-row\"").skip(1) {
        let row = &row[..row.find("</tr>").unwrap_or(row.len())];
        let at = row.find("href=\"/cases/")? + "href=\"/cases/".len();
        let path = &row[at..at + row[at..].find('"')?];
        out.insert(path.rsplit('/').next()?.to_owned());
    }
    Some(out)
}

/// A GET with the browser's cookies, from several tasks at once.
#[derive(Clone)]
struct Fetcher {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Fetcher {
    fn of(b: &Browser) -> Self {
        Self {
            http: b.http.clone(),
            base: b.base.clone(),
            cookie: b.cookie_header(),
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn bytes(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (res.status(), res.bytes().await.unwrap().to_vec())
    }
}

/// Follows every figure's link and checks the list behind it.
async fn check_links(
    fetch: &Fetcher,
    links: Vec<(String, String)>,
    g: &Generated,
    expected: &Expected,
    problems: &mut Vec<String>,
) {
    let answers: Vec<(String, String, StatusCode, String)> = futures::stream::iter(links)
        .map(|(key, href)| {
            let fetch = fetch.clone();
            async move {
                let (status, body) = fetch.get(&href).await;
                (key, href, status, body)
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    for (key, href, status, body) in answers {
        if status != StatusCode::OK {
            problems.push(format!("`{key}`: {href} answered {status}"));
            continue;
        }
        // A figure of units (the units inspected) opens the unit list: one row per unit.
        if href.starts_with("/readiness/units") {
            let units = body.matches("<tr class=\"unit\"").count();
            let want = expected.figures.get(&key).map(String::as_str);
            if want != Some(units.to_string().as_str()) {
                problems.push(format!(
                    "`{key}`: {href} lists {units} units, expected {want:?}"
                ));
            }
            continue;
        }
        let Some((total, rows)) = list_counts(&body) else {
            problems.push(format!("`{key}`: {href} has no row count"));
            continue;
        };
        if rows != total.min(PAGE_ROWS) {
            problems.push(format!(
                "`{key}`: {href} states {total} cases and shows {rows} rows"
            ));
        }
        let Some(want) = expected.cases.get(&key) else {
            continue;
        };
        if total != want.len() as u64 {
            problems.push(format!(
                "`{key}`: {href} lists {total} cases, expected {}",
                want.len()
            ));
            continue;
        }
        // A whole list on one page: the very cases the script puts behind the figure.
        if total <= PAGE_ROWS
            && let Some(listed) = listed_findings(&body)
        {
            let scripted: std::collections::BTreeSet<String> = want
                .iter()
                .map(|i| g.cases[*i].finding.as_ref().unwrap().to_string())
                .collect();
            if listed != scripted {
                let missing = scripted.difference(&listed).count();
                let extra = listed.difference(&scripted).count();
                problems.push(format!(
                    "`{key}`: {href} lists other cases than the script: {missing} missing, \
                     {extra} not expected"
                ));
            }
        }
    }
}

async fn manager(server: &TestServer, login: &str, projects: &[&ProjectId]) -> Browser {
    let user = UserId::new(login).unwrap();
    let membership = Membership {
        project: projects[0].clone(),
        role: Role::Manager,
        contractor: None,
    };
    account_admin::add_user(&server.state, &user, login, Some(PASSWORD), membership)
        .await
        .unwrap();
    for p in &projects[1..] {
        account_admin::grant(&server.state, &user, p, Role::Manager, None)
            .await
            .unwrap();
    }
    let mut b = Browser::new(server);
    let page = b.sign_in(login, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{login}: {}", page.body);
    b
}

fn report(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problems, the first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(300)].join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The Excel export
// ---------------------------------------------------------------------------------------------

fn sheet_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let mut rows = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        rows.extend(
            range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>()),
        );
    }
    rows
}

/// Finds each suggestion group's row in the export (by the item's id, or its room and item
/// labels, and its category's id or label) and checks that the row holds the group's case and
/// unit counts; every candidate must have a row.
fn check_export(rows: &[Vec<String>], expected: &Expected, problems: &mut Vec<String>) {
    let template = residential();
    let groups: Vec<(String, String)> = expected
        .figures
        .keys()
        .filter_map(|k| k.strip_prefix("suggest.")?.strip_suffix(".cases"))
        .map(|g| {
            let (item, category) = g.rsplit_once('.').unwrap();
            (item.to_owned(), category.to_owned())
        })
        .collect();
    let mut found: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in rows {
        let text = row.join("\u{1}");
        let has_cell = |s: &str| row.iter().any(|c| c.trim() == s);
        let matches: Vec<&(String, String)> = groups
            .iter()
            .filter(|(item, category)| {
                let (room, check) = template.item(&item.parse().unwrap()).unwrap();
                let cat = template.category(&category.parse().unwrap()).unwrap();
                let item_ok = has_cell(item)
                    || (text.contains(&check.zh) && text.contains(&room.zh))
                    || (text.contains(&check.en) && text.contains(&room.en));
                let cat_ok = has_cell(category) || text.contains(&cat.zh) || text.contains(&cat.en);
                item_ok && cat_ok
            })
            .collect();
        let [group] = matches.as_slice() else {
            if matches.len() > 1 {
                problems.push(format!("export: the row {row:?} fits {matches:?}"));
            }
            continue;
        };
        *found.entry((*group).clone()).or_default() += 1;
        let numbers: Vec<f64> = row.iter().filter_map(|c| c.trim().parse().ok()).collect();
        let p = format!("suggest.{}.{}", group.0, group.1);
        for what in ["cases", "units"] {
            let want: f64 = expected.figures[&format!("{p}.{what}")].parse().unwrap();
            if !numbers.contains(&want) {
                problems.push(format!(
                    "export: the row of {p} does not hold its {what}, {want}: {row:?}"
                ));
            }
        }
    }
    for (group, n) in &found {
        if *n > 1 {
            problems.push(format!("export: {group:?} has {n} rows"));
        }
    }
    for (item, category) in &groups {
        let p = format!("suggest.{item}.{category}");
        if expected.figures[&format!("{p}.candidate")] == "1"
            && !found.contains_key(&(item.clone(), category.clone()))
        {
            problems.push(format!("export: no row for the candidate {p}"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_figures_equal_the_script_and_the_lists_behind_them() {
    let started = Instant::now();
    let p = Params::new("rpt", (3, 9, 8), 520, 0x5EED_0001, at(ANCHORS[0]));
    let server = server_at(&p).await;
    let mut g = generate(&p);
    let generated = started.elapsed();
    write(&server.state, &mut g).await.unwrap();
    let written = started.elapsed();
    check_projection(&server, &g).await;
    check_against_workflow(&server, &g, 0..30).await;

    let pid = g.project.id.clone();
    let demo = server.project.id.clone();
    // The manager sees this project and the (empty) demo project.
    let b = manager(&server, "zhaomin", &[&pid, &demo]).await;
    let fetch = Fetcher::of(&b);
    let month = g.month.key();
    let expected = g.expected(Threshold::default(), &[pid.clone(), demo.clone()]);
    eprintln!(
        "{} findings in {} units, report month {month}: {} figures; generated in {generated:?}, \
         written by {written:?}",
        g.cases.len(),
        g.units.len(),
        expected.figures.len(),
    );

    let mut problems = Vec::new();
    let mut links: Vec<(String, String)> = Vec::new();
    for page in PAGES {
        let path = format!("/reports/{page}?project={pid}&month={month}");
        let (status, body) = fetch.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let figs = figures(page, &body, &mut problems);
        compare(page, &figs, &expected, &mut problems);
        for (key, f) in figs.into_iter().filter(|(k, _)| owns(page, k)) {
            match f.href {
                Some(href) if href.starts_with("/reports/cases?") => links.push((key, href)),
                // The units inspected (a round, or any finding) are no one list: no link.
                None if key == "suggest.inspected" => {}
                other => problems.push(format!("{page}: `{key}` links to {other:?}")),
            }
        }
    }
    let pages_done = started.elapsed();

    // Every figure's list; a long one also on its second page.
    let n_links = links.len();
    check_links(&fetch, links, &g, &expected, &mut problems).await;
    let intake = expected.rows("intake").unwrap() as u64;
    assert!(intake > PAGE_ROWS, "the month's intake spans two pages");
    let (_, body) = fetch
        .get(&format!("/reports/monthly?project={pid}&month={month}"))
        .await;
    let href = figures("monthly", &body, &mut problems)["intake"]
        .href
        .clone()
        .unwrap();
    let (status, second) = fetch.get(&format!("{href}&page=2")).await;
    assert_eq!(status, StatusCode::OK);
    let (total, rows) = list_counts(&second).unwrap();
    if total != intake {
        problems.push(format!(
            "intake: page 2 states {total} cases, expected {intake}"
        ));
    }
    if rows != (intake - PAGE_ROWS).min(PAGE_ROWS) {
        problems.push(format!("intake: {rows} rows on page 2 of {total}"));
    }
    let links_done = started.elapsed();

    // Other thresholds: only the candidates change.
    for (param, threshold) in [
        ("min_units=5", Threshold::Units(5)),
        ("min_share=4", Threshold::Share(4)),
        ("min_units=5&min_share=4", Threshold::Either(5, 4)),
    ] {
        let other = g.expected(threshold, &[pid.clone(), demo.clone()]);
        let path = format!("/reports/suggestions?project={pid}&month={month}&{param}");
        let (status, body) = fetch.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let figs = figures("suggestions", &body, &mut problems);
        compare("suggestions", &figs, &other, &mut problems);
        let differs = other
            .figures
            .iter()
            .filter(|(k, v)| expected.figures.get(*k) != Some(*v))
            .count();
        assert!(differs > 0, "{param} changes some candidate");
    }

    // The Excel export holds the page's counts.
    let path = format!("/reports/suggestions.xlsx?project={pid}&month={month}");
    let (status, bytes) = fetch.bytes(&path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    check_export(&sheet_rows(bytes), &expected, &mut problems);

    // The settlement workbook: a title naming the project, the month and when it is as of,
    // the heads, one row per contractor of the ledger (in the project's order of contractors),
    // then the total, each column the page's figure in yuan (a count for the repairs without a
    // cost).
    let path = format!("/reports/settlement.xlsx?project={pid}&month={month}");
    let (status, bytes) = fetch.bytes(&path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    let rows = sheet_rows(bytes);
    let title = &rows[0][0];
    assert!(
        title.contains(&g.project.name_zh) && title.contains(&month) && title.contains("截至"),
        "{title}"
    );
    let lines: Vec<(String, String)> = g
        .project
        .contractors
        .iter()
        .map(|c| (format!("settle.contractor.{}", c.id), c.name.clone()))
        .filter(|(prefix, _)| expected.figures.contains_key(&format!("{prefix}.total")))
        .chain(std::iter::once((
            "settle.total".to_owned(),
            "合计".to_owned(),
        )))
        .collect();
    assert!(lines.len() > 1, "the month has a ledger: {lines:?}");
    // Every column of the total line has something behind it, so no column passes by being 0.
    for column in [
        "fines_approved",
        "fines_pending",
        "emergency_cost",
        "emergency_uncosted",
    ] {
        let total = &expected.figures[&format!("settle.total.{column}")];
        assert_ne!(total, "0", "the script puts something in `{column}`");
    }
    assert_eq!(rows.len(), 2 + lines.len(), "{rows:?}");
    for ((prefix, name), row) in lines.iter().zip(&rows[2..]) {
        assert_eq!(&row[0], name, "{row:?}");
        let columns = [
            "fines_approved",
            "fines_pending",
            "emergency_cost",
            "emergency_uncosted",
            "total",
        ];
        for (column, cell) in columns.iter().zip(&row[1..]) {
            let want: f64 = expected.figures[&format!("{prefix}.{column}")]
                .parse()
                .unwrap();
            let want = if *column == "emergency_uncosted" {
                want
            } else {
                want / 100.0
            };
            let got: f64 = cell.parse().unwrap();
            assert!(
                (got - want).abs() < 0.005,
                "{prefix}.{column}: {got} in the sheet, {want} expected"
            );
        }
    }

    eprintln!(
        "pages by {pages_done:?}, {n_links} lists by {links_done:?}, all by {:?}",
        started.elapsed()
    );
    report(&problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_refused_and_outsiders_see_nothing() {
    let p = Params::new("rpt-small", (1, 3, 2), 40, 7, at(ANCHORS[1]));
    let server = server_at(&p).await;
    let mut g = generate(&p);
    write(&server.state, &mut g).await.unwrap();
    let pid = g.project.id.clone();
    let month = g.month.key();
    let b = manager(&server, "zhaomin", &[&pid]).await;
    let fetch = Fetcher::of(&b);
    let mut problems = Vec::new();

    // Each refused with a message naming the bad value or the parameter; the page works right
    // after. (query, the bad value, the parameter's name, the status): a project the person is
    // not in is refused like one that does not exist (403), so its existence is not told.
    let bad = [
        (
            format!("project=nowhere&month={month}"),
            "nowhere",
            "project",
            StatusCode::FORBIDDEN,
        ),
        (
            format!("project={pid}&month=2026-13"),
            "2026-13",
            "month",
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("project={pid}&month=abc"),
            "abc",
            "month",
            StatusCode::BAD_REQUEST,
        ),
    ];
    let mut paths: Vec<String> = PAGES.iter().map(|p| format!("/reports/{p}")).collect();
    paths.push("/reports/suggestions.xlsx".into());
    paths.push("/reports/settlement.xlsx".into());
    paths.push("/reports/cases".into());
    for path in &paths {
        for (query, value, name, expected) in &bad {
            let url = format!("{path}?{query}&figure=intake");
            let (status, body) = fetch.get(&url).await;
            if status != *expected {
                problems.push(format!("{url}: {status}, expected {expected}"));
            } else if *expected == StatusCode::BAD_REQUEST
                && !body.contains(value)
                && !body.contains(name)
            {
                problems.push(format!(
                    "{url}: the message names neither `{value}` nor `{name}`"
                ));
            }
            let good = format!("{path}?project={pid}&month={month}&figure=intake");
            let (status, _) = fetch.get(&good).await;
            if status != StatusCode::OK {
                problems.push(format!("{good} after {url}: {status}"));
            }
        }
    }

    // A manager of the demo project only sees nothing of this one.
    let outsider = manager(&server, "lisi", &[&server.project.id]).await;
    let outsider = Fetcher::of(&outsider);
    for path in &paths {
        let url = format!("{path}?project={pid}&month={month}&figure=intake");
        let (status, body) = outsider.get(&url).await;
        if status != StatusCode::FORBIDDEN && status != StatusCode::NOT_FOUND {
            problems.push(format!(
                "{url} for an outsider: {status}, expected 403 or 404"
            ));
        }
        if body.contains("id=\"fig-") || body.contains("row-count") {
            problems.push(format!("{url} shows an outsider figures"));
        }
    }
    report(&problems);
}

/// The report pages keep a project's rows and each month's settled report between requests
/// (`report_cache`). A page read again, after the clock has moved past deadlines, and after a
/// write shows exactly what a full recomputation from the store gives at that instant: for the
/// report month, and for the month that runs now, whose backlog is counted at the instant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_report_follows_the_clock_and_every_write() {
    let p = Params::new("rpk", (2, 6, 4), 160, 0x5EED_0002, at(ANCHORS[0]));
    let clock = Clock::manual(p.now);
    let server = TestServer::start_with_clock(clock.clone()).await;
    let mut g = generate(&p);
    write(&server.state, &mut g).await.unwrap();
    let pid = g.project.id.clone();
    manager(&server, "zhaomin", &[&pid]).await;
    let months = [
        reports::Month::parse(&g.month.key()).unwrap(),
        reports::Month::of(p.now),
    ];
    assert_ne!(months[0], months[1], "the script reports on a past month");

    // Every figure of the monthly report and the scorecards of both months, as the pages show
    // them (signed in afresh: a session lasts hours, the test moves days), each checked against
    // a full recomputation at the server's instant.
    let read = || async {
        let mut b = Browser::new(&server);
        b.sign_in("zhaomin", PASSWORD).await;
        let fetch = Fetcher::of(&b);
        let mut shown = BTreeMap::new();
        let mut problems = Vec::new();
        for month in months {
            let params = ReportParams {
                month,
                threshold: reports::Threshold::default(),
            };
            let fresh =
                report_cache::uncached(&*server.state.store, &g.project, &params, clock.now())
                    .await
                    .unwrap();
            for page in ["monthly", "scorecards"] {
                let path = format!("/reports/{page}?project={pid}&month={}", month);
                let (status, body) = fetch.get(&path).await;
                assert_eq!(status, StatusCode::OK, "{path}: {body}");
                for (key, fig) in figures(page, &body, &mut problems) {
                    let value = fig.value.unwrap_or_default();
                    let want = fresh.figures.get(&key).map(|f| f.value.exact());
                    assert_eq!(Some(&value), want.as_ref(), "{path}: figure `{key}`");
                    shown.insert(format!("{}/{key}", month), value);
                }
            }
        }
        report(&problems);
        shown
    };

    let first = read().await;
    assert_eq!(read().await, first, "read again, nothing changed");
    assert!(first.keys().any(|k| k.contains("/score.")), "{first:?}");

    // Five days on, nothing written: the running month's open cases are older.
    clock.advance(5 * DAY_MS);
    let later = read().await;
    let moved: Vec<&String> = first.keys().filter(|k| first[*k] != later[*k]).collect();
    let running = format!("{}/backlog.age.", months[1]);
    assert!(
        moved.iter().any(|k| k.starts_with(&running)),
        "the backlog aged: {moved:?}"
    );

    // A finding recorded now: the running month's intake counts it at the next read.
    let unit = DocId::Unit(g.units[0].id.clone());
    let inspector = Actor {
        user: UserId::new("inspector-rpk").unwrap(),
        role: Role::Inspector,
        device: DeviceId::new("phone-rpk").unwrap(),
    };
    let now = clock.now();
    common::office_edit(&server, &unit, |u| {
        u.record_finding(&inspector, now, common::ponding_leak(Severity::S2, "渗水"))
            .unwrap()
    })
    .await;
    let after = read().await;
    let intake = format!("{}/intake", months[1]);
    let count = |figures: &BTreeMap<String, String>| -> u64 { figures[&intake].parse().unwrap() };
    assert_eq!(count(&after), count(&later) + 1);
}

/// The kept rows brought up to date unit by unit equal a whole read after every kind of write:
/// one unit, several units (one of them again), a unit without findings, and a rebuild
/// of every projection (read whole). Every report, compared whole, for a past and the running
/// month.
#[tokio::test]
async fn kept_rows_updated_by_unit_equal_a_whole_read() {
    let p = Params::new("rpu", (2, 6, 4), 160, 0x5EED_0003, at(ANCHORS[0]));
    let clock = Clock::manual(p.now);
    let server = TestServer::start_with_clock(clock.clone()).await;
    let mut g = generate(&p);
    write(&server.state, &mut g).await.unwrap();
    let store = &*server.state.store;
    let cache = report_cache::ReportCache::default();
    let months = [
        reports::Month::parse(&g.month.key()).unwrap(),
        reports::Month::of(p.now),
    ];
    let compare = |step: &'static str| {
        let (cache, project, clock) = (&cache, &g.project, &clock);
        async move {
            for month in months {
                let params = ReportParams {
                    month,
                    threshold: reports::Threshold::default(),
                };
                let now = clock.now();
                let (_, kept) = cache
                    .report(store, project.clone(), &params, now)
                    .await
                    .unwrap();
                let whole = report_cache::uncached(store, project, &params, now)
                    .await
                    .unwrap();
                assert_eq!(
                    format!("{kept:#?}"),
                    format!("{whole:#?}"),
                    "{step}: the report of {month}"
                );
            }
        }
    };
    let inspector = Actor {
        user: UserId::new("inspector-rpu").unwrap(),
        role: Role::Inspector,
        device: DeviceId::new("phone-rpu").unwrap(),
    };
    let record = |unit: usize, what: &'static str| {
        let (server, clock, inspector) = (&server, &clock, &inspector);
        let unit = DocId::Unit(g.units[unit].id.clone());
        async move {
            clock.advance(60_000);
            let now = clock.now();
            common::office_edit(server, &unit, |u| {
                u.record_finding(inspector, now, common::ponding_leak(Severity::S2, what))
                    .unwrap()
            })
            .await;
        }
    };

    compare("first read").await;
    assert_eq!(cache.reads().whole, 1);
    record(0, "渗水").await;
    compare("one unit written").await;
    record(1, "开裂").await;
    record(5, "空鼓").await;
    record(0, "起砂").await;
    compare("three units written, one again").await;
    let quiet = (0..g.units.len())
        .find(|u| g.cases_of(*u).is_empty())
        .expect("the script leaves a unit without findings");
    record(quiet, "划痕").await;
    compare("a unit's first finding").await;
    let reads = cache.reads();
    assert_eq!(reads.whole, 1, "{reads:?}");
    assert!(reads.units >= 2, "{reads:?}");

    plumbline_sync_server::reindex::reindex(&server.state)
        .await
        .unwrap();
    compare("every projection rebuilt").await;
    assert_eq!(cache.reads().whole, 2, "a rebuild moves every unit");
}
