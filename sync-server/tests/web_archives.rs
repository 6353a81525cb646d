//! The rest of the office web issue over real HTTP: the case list sorted by its columns (kept
//! across pages and exports, stable on equal keys), the queues of notices not returned and of
//! callbacks due (each figure equal to its list and to a count made here from the timelines),
//! reassigning a disputed or refused case with a fresh notice, a unit's archive and its search,
//! and an owner's cases across units.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use common::web::{Browser, Page, cases, csrf_of, figure, first_case_link, post_step, staff};
use common::{Device, TestServer};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::round::{Outcome, RoundKind};
use plumbline_shared::event::EventKind;
use plumbline_shared::ids::{ClaimId, ContractorId, FineId, UnitId};
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::{PenaltyCondition, Status};
use plumbline_sync_server::store::{CaseFilter, CaseRecord, Page as Paging};
use reqwest::StatusCode;

const PASSWORD: &str = "good-password-1";
const MANAGER: &str = "zhaomin";
const COORDINATOR: &str = "sunli";
const INSPECTOR: &str = "liuyang";
const FRONT_DESK: &str = "chenjing";
const CONTRACTOR: &str = "zhougang";

const DAY_MS: i64 = 86_400_000;

async fn everyone(server: &TestServer) {
    for (login, role) in [
        (MANAGER, Role::Manager),
        (COORDINATOR, Role::Coordinator),
        (INSPECTOR, Role::Inspector),
        (FRONT_DESK, Role::FrontDesk),
        (CONTRACTOR, Role::Contractor),
    ] {
        staff(server, login, role).await;
    }
}

async fn signed_in(server: &TestServer, login: &str) -> Browser {
    let mut b = Browser::new(server);
    let page = b.sign_in(login, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{login}: {}", page.body);
    b
}

fn now_ms() -> i64 {
    common::now().0
}

/// The finding ids of a case list page, in the order of its rows.
fn row_findings(html: &str) -> Vec<String> {
    html.match_indices("<td><a href=\"/cases/")
        .map(|(at, m)| {
            let rest = &html[at + m.len()..];
            let link = &rest[..rest.find('"').unwrap()];
            link.rsplit('/').next().unwrap().to_owned()
        })
        .collect()
}

/// Every case of the demo project, straight from the store.
async fn all_cases(server: &TestServer) -> Vec<CaseRecord> {
    let filter = CaseFilter {
        projects: vec![server.project.id.clone()],
        ..Default::default()
    };
    let page = Paging {
        offset: 0,
        limit: 500,
    };
    server.state.store.cases(&filter, page).await.unwrap()
}

/// Ids in the order of `key`, ties by finding id; `descending` turns the key round only.
fn expected<K: Ord>(
    rows: &[CaseRecord],
    key: impl Fn(&CaseRecord) -> K,
    descending: bool,
) -> Vec<String> {
    let mut rows: Vec<&CaseRecord> = rows.iter().collect();
    rows.sort_by(|a, b| {
        let by_key = key(a).cmp(&key(b));
        let by_key = if descending { by_key.reverse() } else { by_key };
        by_key.then_with(|| a.case.finding.cmp(&b.case.finding))
    });
    rows.iter().map(|c| c.case.finding.to_string()).collect()
}

fn status_rank(s: Status) -> usize {
    Status::ALL.iter().position(|x| *x == s).unwrap()
}

/// A unit of the demo project other than the first.
fn unit(server: &TestServer, n: usize) -> UnitId {
    server.project.units().nth(n).unwrap().1.id.clone()
}

/// Records one finding on unit `n` from `phone` and syncs.
async fn record_on(
    server: &TestServer,
    phone: &mut Device,
    n: usize,
    severity: Severity,
    text: &str,
) {
    let doc = DocId::Unit(unit(server, n));
    let mut u = phone.unit(&doc);
    let f = common::web::finding(severity, text);
    u.record_finding(&phone.actor.clone(), Timestamp(now_ms()), f)
        .unwrap();
    phone.put_unit(&doc, u);
    assert!(phone.sync().await.refused.is_empty());
}

#[tokio::test]
async fn the_case_list_sorts_by_each_column_stably_across_pages_and_exports() {
    let server = TestServer::start().await;
    everyone(&server).await;
    // 55 cases on the first unit, recorded in one millisecond: every tie is broken by the id.
    let mut phone = cases(&server, 55).await;
    record_on(&server, &mut phone, 3, Severity::S2, "三号房阳台栏杆松动").await;
    record_on(&server, &mut phone, 1, Severity::S3, "一号房入户门划伤").await;
    let mut b = signed_in(&server, MANAGER).await;

    // Two notices with different deadlines, so the deadline column has values to order.
    let all = all_cases(&server).await;
    let first_unit = unit(&server, 0);
    let ids: Vec<String> = all
        .iter()
        .filter(|c| c.unit == first_unit)
        .map(|c| c.case.finding.to_string())
        .take(2)
        .collect();
    for (id, days) in ids.iter().zip(["5", "2"]) {
        let link = format!("/cases/{first_unit}/{id}");
        let token = csrf_of(&b.get(&link).await.body);
        let form = [
            ("csrf", token.as_str()),
            ("contractor", "hengzhu-civil"),
            ("days", days),
        ];
        let page = b.post(&format!("{link}/notice"), &form).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let all = all_cases(&server).await;
    assert_eq!(all.len(), 57);

    let created = |c: &CaseRecord| c.case.created_at;
    let severity = |c: &CaseRecord| c.case.severity.as_str();
    let status = |c: &CaseRecord| status_rank(c.case.status);
    // No deadline sorts after every deadline, whichever the direction.
    let unit_of = |c: &CaseRecord| c.unit.to_string();
    let cases_for = |sort: &str| -> Vec<String> {
        match sort {
            "" | "-created" => expected(&all, created, true),
            "created" => expected(&all, created, false),
            "severity" => expected(&all, severity, false),
            "-severity" => expected(&all, severity, true),
            "status" => expected(&all, status, false),
            "-status" => expected(&all, status, true),
            "unit" => expected(&all, unit_of, false),
            "-unit" => expected(&all, unit_of, true),
            "deadline" | "-deadline" => {
                let descending = sort.starts_with('-');
                let mut with: Vec<&CaseRecord> = all
                    .iter()
                    .filter(|c| c.case.repair_deadline.is_some())
                    .collect();
                with.sort_by_key(|c| c.case.repair_deadline);
                if descending {
                    with.reverse();
                }
                let mut out: Vec<String> =
                    with.iter().map(|c| c.case.finding.to_string()).collect();
                let mut rest: Vec<String> = all
                    .iter()
                    .filter(|c| c.case.repair_deadline.is_none())
                    .map(|c| c.case.finding.to_string())
                    .collect();
                rest.sort();
                out.extend(rest);
                out
            }
            other => panic!("{other}"),
        }
    };

    for sort in [
        "",
        "created",
        "-created",
        "severity",
        "-severity",
        "status",
        "-status",
        "deadline",
        "-deadline",
        "unit",
        "-unit",
    ] {
        let want = cases_for(sort);
        let first = b.get(&format!("/cases?sort={sort}")).await;
        assert_eq!(first.status, StatusCode::OK, "{sort}: {}", first.body);
        // The next page keeps the order: both pages together are the whole list, once each.
        let next = first
            .body
            .match_indices("href=\"/cases?")
            .map(|(at, m)| {
                let rest = &first.body[at + m.len() - "/cases?".len()..];
                rest[..rest.find('"').unwrap()]
                    .replace("&amp;", "&")
                    .replace("&#38;", "&")
            })
            .find(|href| href.ends_with("page=2"))
            .unwrap_or_else(|| panic!("{sort}: a next page"));
        if !sort.is_empty() {
            assert!(next.contains(&format!("sort={sort}")), "{sort}: {next}");
        }
        let second = b.get(&next).await;
        let mut got = row_findings(&first.body);
        assert_eq!(got.len(), 50, "{sort}");
        got.extend(row_findings(&second.body));
        assert_eq!(got, want, "{sort}");
        // The same request twice gives the same order.
        assert_eq!(
            row_findings(&b.get(&format!("/cases?sort={sort}")).await.body),
            want[..50],
            "{sort}"
        );
    }

    // The order composes with a filter, and the filter form carries it on.
    let page = b.get("/cases?severity=S4&sort=-unit").await;
    assert!(
        page.body.contains("name=\"sort\" value=\"-unit\""),
        "{}",
        page.body
    );
    let s4: Vec<CaseRecord> = all
        .iter()
        .filter(|c| c.case.severity == Severity::S4)
        .cloned()
        .collect();
    assert_eq!(row_findings(&page.body), expected(&s4, unit_of, true)[..50]);

    // A column header sorts by its column, and by the other direction once sorted by it.
    let page = b.get("/cases").await;
    assert!(
        page.body.contains("sort=severity&amp;page=1")
            || page.body.contains("sort=severity&#38;page=1"),
        "{}",
        page.body
    );
    let page = b.get("/cases?sort=severity").await;
    assert!(page.body.contains("sort=-severity"), "{}", page.body);

    // The exports are in the list's order, every row.
    let csv = b.get("/cases/export.csv?sort=-severity").await;
    assert_eq!(csv.status, StatusCode::OK);
    let exported: Vec<String> = csv
        .body
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().to_owned())
        .collect();
    assert_eq!(exported, cases_for("-severity"));
    let csv = b
        .get("/cases/export.csv?sort=deadline&status=notified")
        .await;
    let exported: Vec<String> = csv
        .body
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().to_owned())
        .collect();
    assert_eq!(exported, cases_for("deadline")[..2]);

    // An order nobody knows is refused with a sentence that names it and the ones that work.
    for bad in ["colour", "--unit", "severity-"] {
        let page = b.get(&format!("/cases?sort={bad}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            page.body.contains("排序方式") && page.body.contains("deadline"),
            "{}",
            page.body
        );
        let export = b.get(&format!("/cases/export.csv?sort={bad}")).await;
        assert_eq!(export.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn the_queues_of_notices_not_returned_and_callbacks_due_count_what_their_lists_hold() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut phone = cases(&server, 5).await;
    let first_unit = unit(&server, 0);
    let doc = DocId::Unit(first_unit.clone());
    let actor = phone.actor.clone();
    let ids = phone.unit(&doc).finding_ids().unwrap();
    let window = server
        .state
        .settings_of(&server.project.id)
        .notice_return_window_ms;
    let long_ago = now_ms() - window - 10 * DAY_MS;
    let recently = now_ms() - 10 * 60_000;
    let office = common::at_the_office(&actor);
    common::office_edit(&server, &doc, |u| {
        // 0: accepted long ago, notice never returned, nobody called: in both queues.
        common::repair_accepted(u, &office, &ids[0], Timestamp(long_ago));
        // 1: accepted long ago, returned, and (below) the owner called back satisfied: still
        //    accepted, in neither queue (a status-only filter counted it as a callback due).
        common::repair_accepted(u, &office, &ids[1], Timestamp(long_ago));
        let returned = EventKind::NoticeReturned {
            reply: "已回执".into(),
        };
        u.append_event(&office, Timestamp(long_ago + DAY_MS), &ids[1], returned)
            .unwrap();
        // 2: accepted a few minutes ago: the notice is not due back yet; the callback is due.
        common::repair_accepted(u, &office, &ids[2], Timestamp(recently));
        // 3: accepted long ago and returned late, no callback yet: only callbacks due.
        common::repair_accepted(u, &office, &ids[3], Timestamp(long_ago));
        let late = EventKind::NoticeReturned {
            reply: "迟交回执".into(),
        };
        u.append_event(
            &office,
            Timestamp(long_ago + window + 2 * DAY_MS),
            &ids[3],
            late,
        )
        .unwrap();
        // 4: open.
    })
    .await;

    let mut desk = signed_in(&server, FRONT_DESK).await;
    let call_back = |id: &plumbline_shared::ids::FindingId| format!("/cases/{first_unit}/{id}");
    let link = call_back(&ids[1]);
    let token = csrf_of(&desk.get(&link).await.body);
    let form = [
        ("csrf", token.as_str()),
        ("channel", "phone"),
        ("level", "satisfied"),
        ("note", ""),
    ];
    let page = desk.post(&format!("{link}/callback"), &form).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    // Project every row as of a time before any return deadline passed: the queue still counts
    // as of now, from the deadlines, not from the flags of the projection.
    let u = common::server_unit(&server, &doc).await;
    let as_of = Timestamp(long_ago + 10 * 60_000);
    let projection = plumbline_shared::projection::project_unit(
        &u,
        as_of,
        &server.state.settings_of(&server.project.id),
    )
    .unwrap();
    assert!(projection.cases.iter().all(|c| !c.return_overdue));
    server
        .state
        .store
        .replace_all_projections(vec![projection])
        .await
        .unwrap();

    // Counted here from the timelines alone.
    let now = now_ms();
    let mut unreturned = 0;
    let mut callbacks_due = 0;
    for f in u.findings().unwrap().values() {
        let accepted = f
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::AcceptancePassed { .. }))
            .map(|e| e.at.0)
            .max();
        let returned = f
            .events
            .iter()
            .any(|e| matches!(e.kind, EventKind::NoticeReturned { .. }));
        let called = f
            .events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Callback { .. }));
        if accepted.is_some_and(|a| a + window < now) && !returned {
            unreturned += 1;
        }
        if accepted.is_some() && !called {
            callbacks_due += 1;
        }
    }
    assert_eq!((unreturned, callbacks_due), (1, 3));

    let mut b = signed_in(&server, MANAGER).await;
    let dashboard = b.get("/dashboard").await.body;
    for (label, want, queue) in [
        ("通知单未回执", unreturned, "unreturned"),
        ("已验收待回访", callbacks_due, "callbacks"),
    ] {
        let (count, href) = figure(&dashboard, label);
        assert_eq!(count, want, "{label}");
        assert!(href.contains(&format!("queue={queue}")), "{href}");
        let list = b.get(&href).await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(
            row_findings(&list.body).len() as u64,
            count,
            "{label}: {}",
            list.body
        );
    }
    let unreturned_list = row_findings(&b.get("/cases?queue=unreturned").await.body);
    assert_eq!(unreturned_list, vec![ids[0].to_string()]);
    let mut due = row_findings(&b.get("/cases?queue=callbacks").await.body);
    due.sort();
    let mut want: Vec<String> = [&ids[0], &ids[2], &ids[3]]
        .iter()
        .map(|i| i.to_string())
        .collect();
    want.sort();
    assert_eq!(due, want);
    // Four accepted cases, one of them called back: the status alone says four.
    assert_eq!(
        row_findings(&b.get("/cases?status=accepted").await.body).len(),
        4
    );

    // The front desk calls the owner of case 2 back: it leaves the callbacks queue, stays
    // accepted.
    let link = call_back(&ids[2]);
    let token = csrf_of(&desk.get(&link).await.body);
    let form = [
        ("csrf", token.as_str()),
        ("channel", "phone"),
        ("level", "very_satisfied"),
        ("note", ""),
    ];
    let page = desk.post(&format!("{link}/callback"), &form).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (count, href) = figure(&b.get("/dashboard").await.body, "已验收待回访");
    assert_eq!(count, 2);
    assert_eq!(row_findings(&b.get(&href).await.body).len(), 2);
}

/// The heads of the first unit's document and the last notice number given this year.
async fn written(server: &TestServer) -> Option<Vec<automerge::ChangeHash>> {
    let doc = DocId::Unit(unit(server, 0));
    server.state.store.doc_heads(&doc).await.unwrap()
}

async fn reassign(b: &mut Browser, link: &str, contractor: &str, deadline: &str) -> Page {
    let token = csrf_of(&b.get(link).await.body);
    b.post(
        &format!("{link}/reassign"),
        &[
            ("csrf", token.as_str()),
            ("contractor", contractor),
            ("deadline", deadline),
        ],
    )
    .await
}

fn beijing_field(ms: i64) -> String {
    Timestamp(ms)
        .to_china()
        .unwrap()
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

#[tokio::test]
async fn a_disputed_or_refused_case_goes_to_another_contractor_with_a_fresh_notice() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let _phone = cases(&server, 2).await;
    let year = common::now().date_cst().format("%Y").to_string();
    let mut manager = signed_in(&server, MANAGER).await;
    let list = manager.get("/cases").await.body;
    let links: Vec<String> = row_findings(&list)
        .into_iter()
        .map(|id| format!("/cases/{}/{id}", unit(&server, 0)))
        .collect();
    let link = &links[0];
    let token = csrf_of(&manager.get(link).await.body);
    let notice = [
        ("csrf", token.as_str()),
        ("contractor", "hengzhu-civil"),
        ("days", "3"),
    ];
    assert_eq!(
        manager
            .post(&format!("{link}/notice"), &notice)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let in_three_days = beijing_field(now_ms() + 3 * DAY_MS);

    // Notified and answered nothing yet: not disputed, not refused, so not reassigned; and the
    // page offers no form.
    let before = written(&server).await;
    let page = reassign(&mut manager, link, "tongtai-mep", &in_three_days).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("异议或拒收"), "{}", page.body);
    assert!(!manager.get(link).await.body.contains("id=\"reassign\""));
    assert_eq!(written(&server).await, before);

    let dispute = vec![
        ("csrf", token.clone()),
        ("step", "disputed".to_owned()),
        ("text", "不属于我方施工范围".to_owned()),
    ];
    assert_eq!(
        post_step(&mut manager, link, dispute).await.status,
        StatusCode::SEE_OTHER
    );
    let detail = manager.get(link).await.body;
    assert!(detail.contains("id=\"reassign\""), "{detail}");
    let before = written(&server).await;

    // Roles the event does not allow: refused on the server.
    for login in [FRONT_DESK] {
        let mut other = signed_in(&server, login).await;
        let page = reassign(&mut other, link, "tongtai-mep", &in_three_days).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{login}");
    }
    let mut contractor = signed_in(&server, CONTRACTOR).await;
    let page = contractor
        .post(
            &format!("{link}/reassign"),
            &[
                ("csrf", "x"),
                ("contractor", "tongtai-mep"),
                ("deadline", &in_three_days),
            ],
        )
        .await;
    assert!(page.status.is_client_error(), "{}", page.status);

    // Bad input: a message, nothing written, no number used.
    let yesterday = beijing_field(now_ms() - DAY_MS);
    for (contractor, deadline, says) in [
        ("hengzhu-civil", in_three_days.as_str(), "另一家"),
        ("no-such-company", in_three_days.as_str(), "不属于本项目"),
        ("", in_three_days.as_str(), "请选择"),
        ("tongtai-mep", yesterday.as_str(), "现在之后"),
        ("tongtai-mep", "2099-01-01T09:00", "一年之内"),
        ("tongtai-mep", "下周一", "请填写整改期限"),
    ] {
        let page = reassign(&mut manager, link, contractor, deadline).await;
        assert_eq!(
            page.status,
            StatusCode::BAD_REQUEST,
            "{contractor} {deadline}"
        );
        assert!(page.body.contains(says), "{says}: {}", page.body);
    }
    let page = manager
        .post(
            &format!("{link}/reassign"),
            &[
                ("csrf", "forged"),
                ("contractor", "tongtai-mep"),
                ("deadline", &in_three_days),
            ],
        )
        .await;
    assert!(page.status.is_client_error());
    assert_eq!(written(&server).await, before);

    // The coordinator reassigns: a fresh number in the notices' series, the new contractor,
    // notified again, and the printed notice is the new one.
    let mut coordinator = signed_in(&server, COORDINATOR).await;
    let page = reassign(&mut coordinator, link, "tongtai-mep", &in_three_days).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let number = format!("ZG-{year}-0002");
    let detail = coordinator.get(link).await.body;
    assert!(detail.contains(&number), "{detail}");
    assert!(
        detail.contains("改派施工单位"),
        "the timeline names it: {detail}"
    );
    assert!(!detail.contains("id=\"reassign\""), "{detail}");
    let print = coordinator.get(&format!("{link}/notice")).await.body;
    assert!(print.contains(&number), "{print}");
    assert!(print.contains("上海同泰机电安装工程有限公司"), "{print}");
    assert!(!print.contains(&format!("ZG-{year}-0001")), "{print}");
    let rows = all_cases(&server).await;
    let case = rows
        .iter()
        .find(|c| link.ends_with(c.case.finding.as_str()))
        .unwrap();
    assert_eq!(case.case.status, Status::Notified);
    assert_eq!(
        case.case.contractor,
        Some(ContractorId::new("tongtai-mep").unwrap())
    );
    // Reassigning again needs a new dispute or refusal.
    let page = reassign(&mut coordinator, link, "meijia-fitout", &in_three_days).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);

    // A refused notice: the manager reassigns it.
    let other = &links[1];
    let token = csrf_of(&manager.get(other).await.body);
    let notice = [
        ("csrf", token.as_str()),
        ("contractor", "hengzhu-civil"),
        ("days", "3"),
    ];
    assert_eq!(
        manager
            .post(&format!("{other}/notice"), &notice)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let refuse = vec![
        ("csrf", token.clone()),
        ("step", "refused".to_owned()),
        ("text", "拒收".to_owned()),
    ];
    assert_eq!(
        post_step(&mut manager, other, refuse).await.status,
        StatusCode::SEE_OTHER
    );
    let page = reassign(&mut manager, other, "meijia-fitout", &in_three_days).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let print = manager.get(&format!("{other}/notice")).await.body;
    assert!(print.contains(&format!("ZG-{year}-0004")), "{print}");
}

#[tokio::test]
async fn a_units_archive_holds_every_record_in_order_and_its_search_finds_chinese_words() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut phone = cases(&server, 2).await;
    let first_unit = unit(&server, 0);
    let doc = DocId::Unit(first_unit.clone());
    let mut u = phone.unit(&doc);
    let actor = phone.actor.clone();
    let ids = u.finding_ids().unwrap();
    let findings = u.findings().unwrap();
    let leak = findings
        .values()
        .find(|f| f.description.contains("渗漏"))
        .unwrap()
        .id
        .clone();
    let hollow = ids.iter().find(|i| **i != leak).unwrap().clone();
    let start = now_ms() - 3 * DAY_MS;
    // A pre-handover round with three results, a day before the rest.
    let round = u
        .start_round(&actor, Timestamp(start - DAY_MS), RoundKind::PreHandover)
        .unwrap();
    for (item, outcome, finding) in [
        ("bathroom.ponding_test", Outcome::Defect, Some(leak.clone())),
        ("kitchen.drain", Outcome::Pass, None),
        ("bathroom.floor_drain", Outcome::Pass, None),
    ] {
        u.record_result(
            &actor,
            Timestamp(start - DAY_MS + 60_000),
            &round,
            &item.parse().unwrap(),
            outcome,
            finding,
        )
        .unwrap();
    }
    // The leak: a notice, refused, a fine; the owner's claim.
    let events = [
        (
            start,
            EventKind::NoticeIssued {
                notice_no: "ZG-2026-0777".into(),
                contractor: ContractorId::new("hengzhu-civil").unwrap(),
                repair_deadline: Timestamp(start + 3 * DAY_MS),
            },
        ),
        (
            start + 60_000,
            EventKind::NoticeRefused {
                reason: "拒不整改防水层".into(),
            },
        ),
        (
            start + 120_000,
            EventKind::FineDrafted {
                fine: FineId::random(),
                contractor: ContractorId::new("hengzhu-civil").unwrap(),
                condition: PenaltyCondition::Refused,
                amount_fen: 800_000,
            },
        ),
        (
            start + 180_000,
            EventKind::ClaimRecorded {
                claim: ClaimId::random(),
                damage: "楼下住户天花板水渍".into(),
                claimed_fen: 120_000,
            },
        ),
    ];
    // The round from the phone; the office's steps through the office.
    phone.put_unit(&doc, u);
    assert!(phone.sync().await.refused.is_empty());
    let office = common::at_the_office(&actor);
    common::office_edit(&server, &doc, |u| {
        for (at, kind) in events {
            u.append_event(&office, Timestamp(at), &leak, kind).unwrap();
        }
    })
    .await;

    let mut b = signed_in(&server, FRONT_DESK).await;
    let path = format!("/archives/units/{first_unit}");
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    let table = &body[body.find("id=\"archive\"").unwrap()..];
    // Everything, oldest first: the round, the complaints, the notice, the refusal, the fine,
    // the claim.
    let order = [
        "交付前验收 第 1 轮",
        "合格 2 · 不合格 1 · 不适用 0",
        "ZG-2026-0777",
        "拒不整改防水层",
        "8,000.00",
        "1,200.00",
        "楼下住户天花板水渍",
    ];
    let mut at = 0;
    for text in order {
        let found = table[at..]
            .find(text)
            .unwrap_or_else(|| panic!("{text} after {at}: {table}"));
        at += found;
    }
    // The two complaints (recorded now) come after the rest (days ago).
    let recorded_at = table.find("客厅墙面空鼓").unwrap();
    assert!(recorded_at > table.find("楼下住户天花板水渍").unwrap());
    for kind in ["投诉/问题", "整改", "罚款", "索赔", "验收/验房"] {
        assert!(table.contains(kind), "{kind}");
    }
    let rows = |html: &str| html.matches("class=\"archive-row\"").count();
    let total = rows(body);
    assert_eq!(total, 1 + 2 + 4, "a round, two recordings, four events");

    // The search: Chinese words of a description or of a note.
    let search = |q: &str| format!("{path}?q={}", urlencode(q));
    let leak_rows = b.get(&search("渗漏")).await.body;
    assert_eq!(
        rows(&leak_rows),
        5,
        "the leak's recording and its four events: {leak_rows}"
    );
    assert!(!leak_rows.contains("客厅墙面空鼓"));
    let hollow_rows = b.get(&search("空鼓")).await.body;
    assert_eq!(rows(&hollow_rows), 1);
    assert!(hollow_rows.contains(&format!("/cases/{first_unit}/{hollow}")));
    let note = b.get(&search("天花板")).await.body;
    assert_eq!(rows(&note), 1, "{note}");
    let none = b.get(&search("不存在的词")).await.body;
    assert_eq!(rows(&none), 0);
    assert!(none.contains("没有符合条件的记录"));
    assert_eq!(
        b.get(&search(&"长".repeat(101))).await.status,
        StatusCode::BAD_REQUEST
    );

    // Linked from the case page and from the case list's unit column.
    let link = first_case_link(&b.get("/cases").await.body);
    assert!(
        b.get(&link)
            .await
            .body
            .contains(&format!("href=\"{path}\""))
    );
    assert!(
        b.get("/cases")
            .await
            .body
            .contains(&format!("<td><a href=\"{path}\">"))
    );
    // The unit box of the archives page goes there.
    let page = b.get(&format!("/archives/units?unit={first_unit}")).await;
    assert_eq!(page.location.as_deref(), Some(path.as_str()));
    assert_eq!(
        b.get("/archives/units?unit=bad%20id").await.status,
        StatusCode::BAD_REQUEST
    );

    // Contractors have none; an unknown unit is not found.
    let mut contractor = signed_in(&server, CONTRACTOR).await;
    assert_eq!(contractor.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        b.get("/archives/units/licheng-b9-9999").await.status,
        StatusCode::NOT_FOUND
    );
}

fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Records a complaint through the intake form as `b`; returns the new case's link.
async fn intake(b: &mut Browser, unit: &str, name: &str, phone: &str, description: &str) -> String {
    let token = csrf_of(&b.get("/intake").await.body);
    let form = [
        ("csrf", token.as_str()),
        ("project", "licheng"),
        ("building", ""),
        ("unit", unit),
        ("owner_name", name),
        ("owner_phone", phone),
        ("origin", "owner_call"),
        ("item", "kitchen.drain"),
        ("category", ""),
        ("severity", "S2"),
        ("description", description),
    ];
    let page = b.post("/intake", &form).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.location.unwrap()
}

#[tokio::test]
async fn an_owners_cases_are_found_by_phone_or_name_across_units() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let _phone = cases(&server, 1).await;
    let mut desk = signed_in(&server, FRONT_DESK).await;
    let first = intake(
        &mut desk,
        "1-1201",
        "王先生",
        "138 1234 5678",
        "厨房下水管漏水",
    )
    .await;
    let second = intake(
        &mut desk,
        "2-801",
        "王先生",
        "+86 138-1234-5678",
        "出租房卫生间门变形",
    )
    .await;
    let other = intake(&mut desk, "1-1201", "李女士", "13900001111", "阳台地漏堵塞").await;
    assert!(first.starts_with("/cases/licheng-b1-1201/"), "{first}");
    assert!(second.starts_with("/cases/licheng-b2-801/"), "{second}");

    let owner_rows = |html: &str| -> Vec<String> {
        html.match_indices("<td><a href=\"/cases/")
            .map(|(at, m)| {
                let rest = &html[at + m.len() - "/cases/".len()..];
                rest[..rest.find('"').unwrap()].to_owned()
            })
            .collect()
    };
    let mut manager = signed_in(&server, MANAGER).await;
    for query in [
        "phone=13812345678",
        "phone=138%201234%205678",
        "name=%E7%8E%8B%E5%85%88%E7%94%9F",
    ] {
        let page = manager.get(&format!("/archives/owners?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        let mut got = owner_rows(&page.body);
        got.sort();
        let mut want = vec![first.clone(), second.clone()];
        want.sort();
        assert_eq!(got, want, "{query}");
        assert!(
            page.body
                .contains("href=\"/archives/units/licheng-b2-801\"")
        );
    }
    let page = manager.get("/archives/owners?phone=13900001111").await;
    assert_eq!(owner_rows(&page.body), vec![other.clone()]);

    // What came of a complaint shows beside it: the notice and its contractor, the claim with
    // what was paid and what remains, the callback.
    let token = csrf_of(&manager.get(&other).await.body);
    let post = |path: &str| format!("{other}{path}");
    for (path, form) in [
        (
            "/notice",
            vec![("contractor", "hengzhu-civil"), ("days", "3")],
        ),
        ("/step", vec![("step", "repair_reported"), ("text", "")]),
        ("/step", vec![("step", "accepted"), ("text", "")]),
        ("/claims", vec![("damage", "地板泡水"), ("amount", "3000")]),
        (
            "/callback",
            vec![("channel", "phone"), ("level", "satisfied"), ("note", "")],
        ),
    ] {
        let mut full = vec![("csrf", token.as_str())];
        full.extend(form);
        let page = manager.post(&post(path), &full).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}: {}", page.body);
    }
    let case = manager.get(&other).await.body;
    let agree = case.find("/agree\"").unwrap();
    let claim = &case[case[..agree].rfind("/claims/").unwrap() + "/claims/".len()..agree];
    for (path, amount) in [("agree", "2500"), ("pay", "1000")] {
        let page = manager
            .post(
                &post(&format!("/claims/{claim}/{path}")),
                &[("csrf", token.as_str()), ("amount", amount)],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}: {}", page.body);
    }
    let page = manager.get("/archives/owners?phone=13900001111").await.body;
    let row = &page[page.find("class=\"owner-case\"").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    for says in [
        "ZG-",
        "浙江恒筑建设集团有限公司",
        "验收通过",
        "地板泡水 索赔 3,000.00 · 确认 2,500.00 · 已付 1,000.00 · 尚余 1,500.00",
        "满意",
    ] {
        assert!(row.contains(says), "“{says}” not in {row}");
    }
    let page = manager.get("/archives/owners?phone=13700000000").await;
    assert!(owner_rows(&page.body).is_empty());
    // Only the form, before a search; a number that is not one is refused with a sentence.
    let page = manager.get("/archives/owners").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(owner_rows(&page.body).is_empty());
    let page = manager.get("/archives/owners?phone=12ab").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("联系电话无效"), "{}", page.body);
    // The archives are in the top bar.
    assert!(page.body.contains("id=\"nav-archives\""));
    // A contractor finds nothing here.
    let mut contractor = signed_in(&server, CONTRACTOR).await;
    let page = contractor.get("/archives/owners?phone=13812345678").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}
