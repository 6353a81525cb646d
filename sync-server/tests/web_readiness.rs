//! Handover readiness and inspection planning in the office web, over real HTTP: the page's
//! figures against counts made here from the state the test generated, each figure equal to
//! the list behind it, the red flag on either side of the 60-day boundary, and planning —
//! who may assign, bad input changing nothing, and an assignment reaching an inspector's
//! phone with its next sync.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use chrono::{Days, NaiveDate};
use common::web::{Browser, csrf_of, finding, staff};
use common::{Device, TestServer};
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::project::ProjectDoc;
use plumbline_shared::doc::round::{Outcome, RoundKind};
use plumbline_shared::event::EventKind;
use plumbline_shared::ids::{ContractorId, UnitId, UserId};
use plumbline_shared::inspection_plan::Assignment;
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::template::residential;
use plumbline_shared::time::{DAY_MS, Timestamp};
use plumbline_sync_server::{project_read, setup};
use reqwest::StatusCode;

const PASSWORD: &str = "good-password-1";
const MANAGER: &str = "zhaomin";
const COORDINATOR: &str = "sunli";
const FRONT_DESK: &str = "chenjing";
const INSPECTOR: &str = "wangli";

fn today() -> NaiveDate {
    common::now().date_cst()
}

fn now() -> Timestamp {
    common::now()
}

/// Moves every unit of building `b` (index) to a handover `days` from today, through the same
/// write the unit import uses.
async fn hand_over_in(server: &TestServer, b: usize, days: u64) {
    let mut project = stored(server).await;
    let day = today().checked_add_days(Days::new(days)).unwrap();
    for u in &mut project.buildings[b].units {
        u.handover = day;
    }
    setup::create_project(&server.state, &project)
        .await
        .unwrap();
}

async fn stored(server: &TestServer) -> Project {
    project_read::load_project(&server.state, &server.project.id)
        .await
        .unwrap()
        .unwrap()
}

async fn signed_in(server: &TestServer, login: &str) -> Browser {
    let mut b = Browser::new(server);
    let page = b.sign_in(login, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{login}: {}", page.body);
    b
}

/// The count in the cell with element id `id`, and its link.
fn cell(html: &str, id: &str) -> (u64, String) {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no cell {id}"));
    let row = &html[at..];
    let href_at = row.find("href=\"").unwrap() + 6;
    let href = row[href_at..href_at + row[href_at..].find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let count_at = href_at + row[href_at..].find("\">").unwrap() + 2;
    let count = row[count_at..count_at + row[count_at..].find('<').unwrap()]
        .trim()
        .parse()
        .unwrap();
    (count, href)
}

/// The total a case list page states ("共 N 条").
fn case_total(html: &str) -> u64 {
    let at = html.find("共 ").expect("a case total") + "共 ".len();
    html[at..at + html[at..].find(' ').unwrap()]
        .parse()
        .unwrap()
}

/// The total a unit list states, checked against its rows.
fn unit_total(html: &str) -> u64 {
    let rows = html.matches("class=\"unit\"").count() as u64;
    let at = html.find("id=\"unit-total\"").unwrap();
    let text = &html[at..];
    let n: u64 = text[text.find("共 ").unwrap() + "共 ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(n, rows, "the stated total and the rows of the unit list");
    rows
}

/// Marks `items` check items (all of them when `None`) in a new pre-handover round.
fn inspect(phone: &mut Device, unit: &UnitId, items: Option<usize>) {
    let doc = DocId::Unit(unit.clone());
    let mut u = phone.unit(&doc);
    let actor = phone.actor.clone();
    let round = u
        .start_round(&actor, now(), RoundKind::PreHandover)
        .unwrap();
    let template = residential();
    let all: Vec<_> = template.items().map(|(_, i)| i.id.clone()).collect();
    let n = items.unwrap_or(all.len());
    for item in &all[..n] {
        u.record_result(&actor, now(), &round, item, Outcome::Pass, None)
            .unwrap();
    }
    phone.put_unit(&doc, u);
}

/// One finding the test records: where, how severe, and what happens to it.
#[derive(Clone, Copy, PartialEq)]
enum Fate {
    Open,
    Overdue,
    Accepted,
    NotADefect,
    /// Merged into the finding recorded just before it (that one stays open).
    MergedIntoPrevious,
}

#[tokio::test]
async fn readiness_figures_match_the_state_and_the_lists_behind_them() {
    let server = TestServer::start().await;
    staff(&server, MANAGER, Role::Manager).await;
    let mut phone = server.device(INSPECTOR, Role::Inspector).await;
    phone.sync().await;
    let project = server.project.clone();
    let b1 = &project.buildings[0];
    let b2 = &project.buildings[1];

    // Inspection: two units of building 1 and one of building 2 walked end to end, one unit of
    // building 1 started and left after three items.
    let done = [&b1.units[0].id, &b1.units[1].id, &b2.units[5].id];
    for u in done {
        inspect(&mut phone, u, None);
    }
    inspect(&mut phone, &b1.units[2].id, Some(3));
    // A second, unfinished round on a walked unit does not undo the walk.
    inspect(&mut phone, &b1.units[0].id, Some(1));

    // Findings: (building index, unit, severity, fate).
    let plan: Vec<(usize, &UnitId, Severity, Fate)> = vec![
        (0, &b1.units[0].id, Severity::S1, Fate::Overdue),
        (0, &b1.units[0].id, Severity::S2, Fate::Open),
        (0, &b1.units[0].id, Severity::S2, Fate::MergedIntoPrevious),
        (0, &b1.units[3].id, Severity::S3, Fate::Open),
        (0, &b1.units[3].id, Severity::S3, Fate::NotADefect),
        (0, &b1.units[3].id, Severity::S4, Fate::Accepted),
        (0, &b1.units[4].id, Severity::S4, Fate::Open),
        (1, &b2.units[0].id, Severity::S2, Fate::Open),
        (1, &b2.units[1].id, Severity::S1, Fate::Open),
    ];
    let actor = phone.actor.clone();
    let start = Timestamp(now().0 - 3 * DAY_MS);
    let mut previous: Option<plumbline_shared::ids::FindingId> = None;
    let mut office = Vec::new();
    for (_, unit, severity, fate) in &plan {
        let doc = DocId::Unit((*unit).clone());
        let mut u = phone.unit(&doc);
        let id = u
            .record_finding(&actor, start, finding(*severity, "readiness"))
            .unwrap();
        match fate {
            Fate::Open => {}
            // Notices are the office's to issue: after the phone's sync, below.
            Fate::Overdue | Fate::Accepted => office.push((doc.clone(), id.clone(), *fate)),
            Fate::NotADefect => {
                u.append_event(
                    &actor,
                    Timestamp(start.0 + 60_000),
                    &id,
                    EventKind::Cancelled {
                        reason: "not a defect".into(),
                        not_a_defect: true,
                    },
                )
                .unwrap();
            }
            Fate::MergedIntoPrevious => {
                let kept = previous.clone().unwrap();
                let at = Timestamp(start.0 + 60_000);
                u.append_event(
                    &actor,
                    at,
                    &id,
                    EventKind::MergedInto {
                        other: kept.clone(),
                    },
                )
                .unwrap();
                u.append_event(
                    &actor,
                    at,
                    &kept,
                    EventKind::MergedFrom { other: id.clone() },
                )
                .unwrap();
            }
        }
        previous = Some(id);
        phone.put_unit(&doc, u);
    }
    let report = phone.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    for (doc, id, fate) in office {
        let office = common::at_the_office(&actor);
        common::office_edit(&server, &doc, |u| match fate {
            Fate::Overdue => {
                let notice = EventKind::NoticeIssued {
                    notice_no: "ZG-2026-0901".into(),
                    contractor: ContractorId::new("hengzhu-civil").unwrap(),
                    repair_deadline: Timestamp(now().0 - DAY_MS),
                };
                u.append_event(&office, Timestamp(start.0 + 60_000), &id, notice)
                    .unwrap();
            }
            _ => common::repair_accepted(u, &office, &id, start),
        })
        .await;
    }

    let mut browser = signed_in(&server, MANAGER).await;
    let page = browser.get("/readiness").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"nav-readiness\""));

    // What the page must say, counted here from the plan.
    let items = residential().item_count();
    assert_eq!(items, 87);
    let keys = [
        ("project".to_owned(), None),
        (b1.id.to_string(), Some(0)),
        (b2.id.to_string(), Some(1)),
    ];
    for (key, building) in keys {
        let in_scope = |b: usize| building.is_none_or(|x| x == b);
        let open = |s: Severity| {
            plan.iter()
                .filter(|(b, _, sev, fate)| {
                    in_scope(*b) && *sev == s && matches!(fate, Fate::Open | Fate::Overdue)
                })
                .count() as u64
        };
        let overdue = plan
            .iter()
            .filter(|(b, _, _, fate)| in_scope(*b) && *fate == Fate::Overdue)
            .count() as u64;
        let inspected = match building {
            None => 3,
            Some(0) => 2,
            _ => 1,
        };
        let units = match building {
            None => 144,
            _ => 72,
        };
        let under_way = if building == Some(1) { 0 } else { 1 };
        let mut expected = vec![
            ("inspected", inspected),
            ("uninspected", units - inspected),
            ("under_way", under_way),
            ("overdue", overdue),
        ];
        for s in Severity::ALL {
            expected.push((s.as_str(), open(s)));
        }
        for (what, want) in expected {
            let (count, link) = cell(&page.body, &format!("{key}-{what}"));
            assert_eq!(count, want, "{key} {what}");
            let list = browser.get(&link).await;
            assert_eq!(list.status, StatusCode::OK, "{link}: {}", list.body);
            let listed = if link.starts_with("/readiness/units") {
                unit_total(&list.body)
            } else {
                case_total(&list.body)
            };
            assert_eq!(listed, count, "{key} {what}: the figure and {link}");
        }
    }
    // The merged pair counts once in the S2 figure of building 1: the surviving finding.
    assert_eq!(cell(&page.body, &format!("{}-S2", b1.id)).0, 1);
}

#[tokio::test]
async fn the_flag_follows_the_sixty_day_boundary() {
    let server = TestServer::start().await;
    staff(&server, MANAGER, Role::Manager).await;
    let mut browser = signed_in(&server, MANAGER).await;
    let b1 = server.project.buildings[0].id.to_string();
    let b2 = server.project.buildings[1].id.to_string();

    hand_over_in(&server, 0, 60).await;
    hand_over_in(&server, 1, 61).await;
    let page = browser.get("/readiness").await;
    assert!(
        page.body.contains(&format!("id=\"flag-{b1}\"")),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&format!("id=\"flag-{b2}\"")));
    assert!(page.body.contains("id=\"flag-project\""));
    assert!(page.body.contains("距交付不足两个月，仍有未验收单元"));
    assert!(page.body.contains(&format!("id=\"{b1}-days\">60<")));
    assert!(page.body.contains(&format!("id=\"{b2}-days\">61<")));

    hand_over_in(&server, 0, 61).await;
    let page = browser.get("/readiness").await;
    assert!(
        !page.body.contains("id=\"flag-"),
        "no building is within 60 days"
    );
    assert!(!page.body.contains("距交付不足两个月"));

    hand_over_in(&server, 1, 60).await;
    let page = browser.get("/readiness").await;
    assert!(page.body.contains(&format!("id=\"flag-{b2}\"")));
    assert!(!page.body.contains(&format!("id=\"flag-{b1}\"")));
}

/// The assignment form's fields.
fn form<'a>(
    csrf: &'a str,
    inspector: &'a str,
    building: &'a str,
    floors: (&'a str, &'a str),
    from: &'a str,
    to: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("project", "licheng"),
        ("inspector", inspector),
        ("building", building),
        ("first_floor", floors.0),
        ("last_floor", floors.1),
        ("from", from),
        ("to", to),
    ]
}

/// The project as the phone's copy of its document holds it.
fn on_phone(phone: &mut Device, doc: &DocId) -> Project {
    let bytes = phone.docs.get_mut(doc).unwrap().save();
    ProjectDoc::load(&bytes).unwrap().project().unwrap()
}

async fn assignments(server: &TestServer) -> Vec<Assignment> {
    stored(server).await.assignments
}

#[tokio::test]
async fn planning_is_for_managers_and_coordinators_checks_its_input_and_reaches_the_phone() {
    let server = TestServer::start().await;
    staff(&server, MANAGER, Role::Manager).await;
    staff(&server, COORDINATOR, Role::Coordinator).await;
    staff(&server, FRONT_DESK, Role::FrontDesk).await;
    let mut phone = server.device(INSPECTOR, Role::Inspector).await;
    phone.sync().await;
    let b1 = server.project.buildings[0].id.to_string();
    let heads = |s: &TestServer| {
        let id = DocId::Project(s.project.id.clone());
        let store = s.state.store.clone();
        async move { store.doc_heads(&id).await.unwrap() }
    };

    // The front desk sees the page but not the forms, and a forged form is refused.
    let mut desk = signed_in(&server, FRONT_DESK).await;
    let page = desk.get("/readiness").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"new-assignment\""));
    let csrf = csrf_of(&page.body);
    let before = heads(&server).await;
    let refused = desk
        .post(
            "/readiness/assignments",
            &form(
                &csrf,
                INSPECTOR,
                &b1,
                ("3", "5"),
                "2026-12-20",
                "2026-12-22",
            ),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(heads(&server).await, before);

    let mut manager = signed_in(&server, MANAGER).await;
    let page = manager.get("/readiness").await;
    assert!(page.body.contains("id=\"new-assignment\""));
    let csrf = csrf_of(&page.body);

    // Bad input: each answered 400 with a sentence, and the project document untouched.
    let bad: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            form(
                &csrf,
                INSPECTOR,
                &b1,
                ("17", "19"),
                "2026-12-20",
                "2026-12-22",
            ),
            "不在该楼栋的 1–18 层之内",
        ),
        (
            form(
                &csrf,
                INSPECTOR,
                &b1,
                ("5", "3"),
                "2026-12-20",
                "2026-12-22",
            ),
            "起始楼层高于结束楼层",
        ),
        (
            form(&csrf, INSPECTOR, &b1, ("3", ""), "2026-12-20", "2026-12-22"),
            "请填写起止楼层",
        ),
        (
            form(&csrf, INSPECTOR, &b1, ("", ""), "2026-12-22", "2026-12-20"),
            "早于开始日期",
        ),
        (
            form(&csrf, INSPECTOR, &b1, ("", ""), "", "2026-12-20"),
            "请填写开始和结束日期",
        ),
        (
            form(&csrf, FRONT_DESK, &b1, ("", ""), "2026-12-20", "2026-12-22"),
            "不是本项目的验收人员",
        ),
        (
            form(&csrf, "nobody", &b1, ("", ""), "2026-12-20", "2026-12-22"),
            "不是本项目的验收人员",
        ),
        (
            form(
                &csrf,
                INSPECTOR,
                "licheng-b9",
                ("", ""),
                "2026-12-20",
                "2026-12-22",
            ),
            "本项目没有楼栋",
        ),
    ];
    for (fields, message) in &bad {
        let answer = manager.post("/readiness/assignments", fields).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{message}");
        assert!(answer.body.contains(message), "{message}: {}", answer.body);
        assert_eq!(
            heads(&server).await,
            before,
            "{message} changed the project"
        );
    }
    // The same refusal in English.
    manager.cookies.insert("lang".into(), "en".into());
    let answer = manager
        .post(
            "/readiness/assignments",
            &form(&csrf, FRONT_DESK, &b1, ("", ""), "2026-12-20", "2026-12-22"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.body.contains("is not an inspector"),
        "{}",
        answer.body
    );
    manager.cookies.remove("lang");

    // A good one: stored, listed, and on the inspector's phone after its next sync.
    let saved = manager
        .post(
            "/readiness/assignments",
            &form(
                &csrf,
                INSPECTOR,
                &b1,
                ("3", "5"),
                "2026-12-20",
                "2026-12-22",
            ),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored_now = assignments(&server).await;
    assert_eq!(stored_now.len(), 1);
    let id = stored_now[0].id.to_string();
    let page = manager.get("/readiness").await;
    assert_eq!(page.body.matches("class=\"assignment\"").count(), 1);
    assert!(page.body.contains("3–5 层"));

    let report = phone.sync().await;
    assert!(report.refused.is_empty());
    let doc = DocId::Project(server.project.id.clone());
    let copy = on_phone(&mut phone, &doc);
    let wang = UserId::new(INSPECTOR).unwrap();
    let mine = copy.assignments_for(&wang);
    assert_eq!(mine.len(), 1);
    assert_eq!(copy.assigned_units(mine[0]).len(), 3 * 4);
    assert!(
        copy.assignments_for(&UserId::new(MANAGER).unwrap())
            .is_empty()
    );

    // The coordinator changes it to floors 1–2, then removes it.
    let mut coordinator = signed_in(&server, COORDINATOR).await;
    let page = coordinator.get("/readiness").await;
    let csrf = csrf_of(&page.body);
    let mut change = form(
        &csrf,
        INSPECTOR,
        &b1,
        ("1", "2"),
        "2026-12-20",
        "2026-12-23",
    );
    change.push(("id", &id));
    let changed = coordinator.post("/readiness/assignments", &change).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let now_stored = assignments(&server).await;
    assert_eq!(now_stored.len(), 1);
    assert_eq!(now_stored[0].id.to_string(), id);
    assert_eq!(now_stored[0].floors.unwrap().last, 2);
    phone.sync().await;
    let copy = on_phone(&mut phone, &doc);
    assert_eq!(
        copy.assigned_units(copy.assignments_for(&wang)[0]).len(),
        2 * 4
    );

    let removed = coordinator
        .post(
            "/readiness/assignments/remove",
            &[
                ("csrf", csrf.as_str()),
                ("project", "licheng"),
                ("id", id.as_str()),
            ],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(assignments(&server).await.is_empty());
    // Removing it again, or changing it now, is refused and changes nothing.
    let before = heads(&server).await;
    let again = coordinator
        .post(
            "/readiness/assignments/remove",
            &[
                ("csrf", csrf.as_str()),
                ("project", "licheng"),
                ("id", id.as_str()),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    let late = coordinator.post("/readiness/assignments", &change).await;
    assert_eq!(late.status, StatusCode::BAD_REQUEST);
    assert!(late.body.contains("该验收任务不存在"));
    assert_eq!(heads(&server).await, before);
    phone.sync().await;
    assert!(on_phone(&mut phone, &doc).assignments_for(&wang).is_empty());
}
