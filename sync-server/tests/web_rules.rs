//! The workflow's rules through the office web, each where a clerk found it wrong: a second
//! person for every approval of a fine, a reason for a dissatisfied owner, the night's
//! emergency repair before the morning's notice, notice numbers without gaps, a foreman who
//! prints only his own company's notices, and a case page that offers exactly what the rules
//! allow for the person now.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use plumbline_shared::clock::Clock;
use plumbline_shared::doc::unit::FieldEdit;
use plumbline_shared::event::{CallbackChannel, EventKind, Satisfaction};
use plumbline_shared::ids::{BlobHash, ContractorId, FindingId, UserId};
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::time::{HOUR_MS, Timestamp};
use plumbline_shared::workflow::may::{Person, may};
use plumbline_shared::workflow::{CaseState, Status};
use plumbline_sync_server::web::case_actions::Step;
use reqwest::StatusCode;

use crate::common::web::{
    Browser, Page, case_links, cases, cases_doc, cases_heads, csrf_of, figure, post_step, staff,
};
use crate::common::{Device, TestServer, anchor};

const PASSWORD: &str = "good-password-1";

async fn signed_in(server: &TestServer, login: &str, role: Role) -> Browser {
    staff(server, login, role).await;
    let mut b = Browser::new(server);
    let page = b.sign_in(login, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{login}: {}", page.body);
    b
}

/// Posts `form` (with the page's token) to `path` under the case at `link`.
async fn act(b: &mut Browser, link: &str, path: &str, form: &[(&str, &str)]) -> Page {
    let token = csrf_of(&b.get(link).await.body);
    let mut full = vec![("csrf", token.as_str())];
    full.extend_from_slice(form);
    b.post(&format!("{link}{path}"), &full).await
}

async fn step(b: &mut Browser, link: &str, name: &str, text: &str, cost: &str) -> Page {
    let token = csrf_of(&b.get(link).await.body);
    post_step(
        b,
        link,
        vec![
            ("csrf", token),
            ("step", name.to_owned()),
            ("text", text.to_owned()),
            ("cost", cost.to_owned()),
        ],
    )
    .await
}

/// Issues a notice on the case at `link` to `contractor`, three days to repair.
async fn notice_to(b: &mut Browser, link: &str, contractor: &str) -> Page {
    act(
        b,
        link,
        "/notice",
        &[("contractor", contractor), ("days", "3")],
    )
    .await
}

fn ok(page: &Page) {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

fn refused(page: &Page, status: StatusCode, says: &str) {
    assert_eq!(page.status, status, "{}", page.body);
    assert!(page.body.contains(says), "expected “{says}”: {}", page.body);
}

/// The case at `link` as the phone derives it after a sync, at the server's now.
async fn derived(server: &TestServer, phone: &mut Device, link: &str) -> CaseState {
    phone.sync().await;
    let finding = link.rsplit('/').next().unwrap();
    let record = phone.unit(&cases_doc(server)).read().unwrap();
    let f = record
        .findings
        .values()
        .find(|f| f.id.as_str() == finding)
        .unwrap();
    f.state(
        server.clock.now(),
        &server.state.settings_of(&server.project.id),
    )
}

/// The step codes the page's step form offers.
fn offered_steps(html: &str) -> Vec<String> {
    let Some(at) = html.find("id=\"step-form\"") else {
        return Vec::new();
    };
    let form = &html[at..html[at..].find("</form>").map_or(html.len(), |e| at + e)];
    form.match_indices("<option value=\"")
        .map(|(i, m)| {
            let rest = &form[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .filter(|code| Step::parse(code).is_some())
        .collect()
}

#[tokio::test]
async fn a_fine_slip_needs_a_second_person_for_each_approval() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let _phone = cases(&server, 1).await;
    let mut li = signed_in(&server, "liqiang", Role::Coordinator).await;
    let mut zhang = signed_in(&server, "zhangwei", Role::Coordinator).await;
    let link = case_links(&li.get("/cases").await.body).remove(0);
    ok(&notice_to(&mut li, &link, "hengzhu-civil").await);
    ok(&step(&mut li, &link, "refused", "不是我方施工", "").await);
    // 李强 drafts the slip (condition 1, the refusal) …
    ok(&act(
        &mut li,
        &link,
        "/fines",
        &[("penalty", "1:hengzhu-civil"), ("amount", "5000")],
    )
    .await);
    let approve = "/fines/FK-2026-0001/approve";
    // … and is offered no approval of it, and refused one: nothing written.
    let page = li.get(&link).await.body;
    assert!(!page.contains(approve), "{page}");
    let before = cases_heads(&server).await;
    let page = act(&mut li, &link, approve, &[("step", "leader")]).await;
    refused(&page, StatusCode::BAD_REQUEST, "须由另一人审批");
    assert_eq!(cases_heads(&server).await, before);
    // 张伟, a second coordinator, is offered it and approves.
    assert!(zhang.get(&link).await.body.contains(approve));
    ok(&act(&mut zhang, &link, approve, &[("step", "leader")]).await);
    assert!(zhang.get(&link).await.body.contains("待经理审批"));
}

#[tokio::test]
async fn a_dissatisfied_owner_s_callback_needs_the_reason() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let _phone = cases(&server, 1).await;
    let mut zhao = signed_in(&server, "zhaomin", Role::Manager).await;
    let link = case_links(&zhao.get("/cases").await.body).remove(0);
    ok(&notice_to(&mut zhao, &link, "hengzhu-civil").await);
    ok(&step(&mut zhao, &link, "repair_reported", "", "").await);
    ok(&step(&mut zhao, &link, "accepted", "", "").await);
    let mut desk = signed_in(&server, "chenjing", Role::FrontDesk).await;
    let before = cases_heads(&server).await;
    let callback = |note: &'static str| {
        [
            ("channel", "phone"),
            ("level", "dissatisfied"),
            ("note", note),
        ]
    };
    let page = act(&mut desk, &link, "/callback", &callback("  ")).await;
    refused(&page, StatusCode::BAD_REQUEST, "请填写原因");
    assert_eq!(cases_heads(&server).await, before);
    ok(&act(&mut desk, &link, "/callback", &callback("卫生间仍渗水")).await);
    let page = desk.get(&link).await.body;
    assert!(page.contains("已重开"), "{page}");
    // The timeline says what was said, not just "callback".
    assert!(
        page.contains("不满意（电话）；原因/备注：卫生间仍渗水"),
        "{page}"
    );
}

#[tokio::test]
async fn the_night_s_emergency_repair_is_charged_to_the_contractor_of_the_morning_s_notice() {
    // 02:00: a leak; the emergency team goes in before anyone knows whose work it was.
    let clock = Clock::manual(Timestamp(anchor().0 - 7 * HOUR_MS));
    let server = TestServer::start_with_clock(clock.clone()).await;
    let _phone = cases(&server, 1).await;
    let mut li = signed_in(&server, "liqiang", Role::Coordinator).await;
    let link = case_links(&li.get("/cases").await.body).remove(0);
    ok(&step(&mut li, &link, "emergency_started", "物业应急队", "").await);
    clock.advance(3 * HOUR_MS);
    ok(&step(&mut li, &link, "emergency_finished", "", "1800").await);
    // 09:00: the notice to the plumbing contractor names who pays.
    clock.advance(4 * HOUR_MS);
    let page = li.get(&link).await.body;
    assert!(page.contains("id=\"notice-form\""), "{page}");
    ok(&notice_to(&mut li, &link, "hengzhu-civil").await);
    let page = li.get(&link).await.body;
    assert!(page.contains("ZG-2026-0001"), "{page}");
    assert!(!page.contains("class=\"anomaly\""), "{page}");
    // Its clocks never ran: nothing is overdue, even a day later.
    clock.advance(24 * HOUR_MS);
    let mut li = Browser::new(&server); // the night's session has expired
    ok(&li.sign_in("liqiang", PASSWORD).await);
    let page = li.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ZG-2026-0001"), "{}", page.body);
    assert!(!page.body.contains("class=\"overdue\""), "{}", page.body);
    // The contractor's scorecard carries the cost.
    let cards = li.get("/reports/scorecards").await;
    assert_eq!(cards.status, StatusCode::OK, "{}", cards.body);
    let cards = cards.body;
    let key = "id=\"fig-score.hengzhu-civil.emergency_cost\"";
    let at = cards.find(key).unwrap_or_else(|| panic!("{cards}"));
    assert!(cards[at..].contains("1,800.00"), "{}", &cards[at..at + 300]);
}

#[tokio::test]
async fn a_refused_notice_takes_no_number_and_notices_at_once_take_the_next_ones() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let _phone = cases(&server, 3).await;
    let mut zhao = signed_in(&server, "zhaomin", Role::Manager).await;
    let links = case_links(&zhao.get("/cases").await.body);
    let notice = [("contractor", "hengzhu-civil"), ("days", "3")];
    ok(&act(&mut zhao, &links[0], "/notice", &notice).await);
    // A second notice on the same case is refused, and uses up no number.
    let page = act(&mut zhao, &links[0], "/notice", &notice).await;
    refused(&page, StatusCode::BAD_REQUEST, "不能办理这一步");
    // Two notices sent at once, by two people, on two cases: the next two numbers.
    let mut li = signed_in(&server, "liqiang", Role::Coordinator).await;
    let (a, b) = tokio::join!(
        act(&mut zhao, &links[1], "/notice", &notice),
        act(&mut li, &links[2], "/notice", &notice),
    );
    ok(&a);
    ok(&b);
    let mut numbers = Vec::new();
    for link in &links {
        let page = zhao.get(link).await.body;
        let at = page.find("ZG-2026-").unwrap();
        numbers.push(page[at..at + 12].to_owned());
    }
    numbers.sort();
    assert_eq!(numbers, ["ZG-2026-0001", "ZG-2026-0002", "ZG-2026-0003"]);
}

#[tokio::test]
async fn a_foreman_prints_his_own_company_s_notices_only() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let _phone = cases(&server, 2).await;
    let mut zhao = signed_in(&server, "zhaomin", Role::Manager).await;
    let links = case_links(&zhao.get("/cases").await.body);
    ok(&notice_to(&mut zhao, &links[0], "hengzhu-civil").await);
    ok(&notice_to(&mut zhao, &links[1], "tongtai-mep").await);
    // 周刚 is 恒筑's foreman.
    let mut zhou = signed_in(&server, "zhougang", Role::Contractor).await;
    let own = zhou.get(&format!("{}/notice", links[0])).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("ZG-2026-0001"), "{}", own.body);
    // No code to scan on the foreman's copy: the case page it would open is the office's.
    assert!(!own.body.contains("id=\"notice-qr\""), "{}", own.body);
    let theirs = zhou.get(&format!("{}/notice", links[1])).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert!(!theirs.body.contains("ZG-2026-0002"));
    // And no office form of the case is his, whatever step it names.
    let token = csrf_of(&zhou.get("/dashboard").await.body);
    let page = post_step(
        &mut zhou,
        &links[1],
        vec![
            ("csrf", token),
            ("step", "on_site".into()),
            ("text", String::new()),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_case_page_offers_exactly_what_the_rules_allow_in_each_status() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let mut phone = cases(&server, 3).await;
    let mut zhao = signed_in(&server, "zhaomin", Role::Manager).await;
    let links = case_links(&zhao.get("/cases").await.body);
    let manager = UserId::new("zhaomin").unwrap();
    let person = Person {
        user: &manager,
        role: Role::Manager,
    };
    let mut seen = std::collections::BTreeSet::new();
    // Each case walked through the statuses; at each, the page against the rules.
    let walks: [&[(&str, &str)]; 3] = [
        &[
            ("notice", ""),
            ("on_site", ""),
            ("repair_reported", ""),
            ("accepted", ""),
            ("callback", "卫生间仍渗水"),
            ("closed", "完成"),
        ],
        &[
            ("notice", ""),
            ("disputed", "不是我方"),
            ("emergency_started", "应急队"),
        ],
        &[("cancelled", "重复登记")],
    ];
    for (link, walk) in links.iter().zip(walks) {
        for (i, (name, text)) in std::iter::once(&("", "")).chain(walk.iter()).enumerate() {
            if i > 0 {
                let page = match *name {
                    "notice" => notice_to(&mut zhao, link, "hengzhu-civil").await,
                    "callback" => {
                        act(
                            &mut zhao,
                            link,
                            "/callback",
                            &[
                                ("channel", "visit"),
                                ("level", "dissatisfied"),
                                ("note", text),
                            ],
                        )
                        .await
                    }
                    step_name => step(&mut zhao, link, step_name, text, "").await,
                };
                ok(&page);
            }
            let state = derived(&server, &mut phone, link).await;
            seen.insert(state.status);
            let page = zhao.get(link).await.body;
            let expected: Vec<String> = Step::ALL
                .into_iter()
                .filter(|s| may(&s.event_probe(), person, &state).is_ok())
                .map(|s| s.code().to_owned())
                .collect();
            assert_eq!(offered_steps(&page), expected, "{:?}", state.status);
            let notice = EventKind::NoticeIssued {
                notice_no: String::new(),
                contractor: ContractorId::new("hengzhu-civil").unwrap(),
                repair_deadline: Timestamp(i64::MAX),
            };
            assert_eq!(
                page.contains("id=\"notice-form\""),
                may(&notice, person, &state).is_ok(),
                "{:?}",
                state.status
            );
            let callback = EventKind::Callback {
                channel: CallbackChannel::Phone,
                level: Satisfaction::Satisfied,
                note: String::new(),
            };
            assert_eq!(
                page.contains("id=\"callback-form\""),
                may(&callback, person, &state).is_ok(),
                "{:?}",
                state.status
            );
        }
    }
    for status in [
        Status::Open,
        Status::Notified,
        Status::InRepair,
        Status::RepairReported,
        Status::Accepted,
        Status::Reopened,
        Status::Disputed,
        Status::EmergencyRepair,
        Status::Cancelled,
    ] {
        assert!(
            seen.contains(&status),
            "{status:?} was not walked: {seen:?}"
        );
    }
}

#[tokio::test]
async fn photos_synced_after_the_acceptance_wait_in_the_engineer_s_queue_until_reviewed() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let mut phone = cases(&server, 1).await;
    let mut zhao = signed_in(&server, "zhaomin", Role::Manager).await;
    let link = case_links(&zhao.get("/cases").await.body).remove(0);
    ok(&notice_to(&mut zhao, &link, "hengzhu-civil").await);
    ok(&step(&mut zhao, &link, "repair_reported", "", "").await);
    ok(&step(&mut zhao, &link, "accepted", "", "").await);
    let queue = "验收后新增照片待复核";
    assert_eq!(figure(&zhao.get("/dashboard").await.body, queue).0, 0);

    // Another inspector's phone, offline during the acceptance, syncs a photo of the ceiling.
    server.clock.advance(HOUR_MS);
    phone.sync().await;
    let doc = cases_doc(&server);
    let mut unit = phone.unit(&doc);
    let finding = link.rsplit('/').next().unwrap().parse().unwrap();
    let actor = phone.actor.clone();
    let at = server.clock.now();
    let photo = crate::common::photo(&actor, at, BlobHash::of(b"the ceiling, still wet"), 400_000);
    unit.attach_evidence(&actor, at, &finding, photo)
        .unwrap()
        .unwrap();
    phone.put_unit(&doc, unit);
    assert!(phone.sync().await.refused.is_empty());

    // The dashboard counts it, the queue lists it, the page offers the review.
    let (n, href) = figure(&zhao.get("/dashboard").await.body, queue);
    assert_eq!(n, 1);
    let href = href.replace("&amp;", "&");
    assert_eq!(
        case_links(&zhao.get(&href).await.body),
        std::slice::from_ref(&link)
    );
    assert!(offered_steps(&zhao.get(&link).await.body).contains(&"evidence_reviewed".to_owned()));
    ok(&step(
        &mut zhao,
        &link,
        "evidence_reviewed",
        "照片为修复前所拍，已修好",
        "",
    )
    .await);
    assert_eq!(figure(&zhao.get("/dashboard").await.body, queue).0, 0);
    assert!(!offered_steps(&zhao.get(&link).await.body).contains(&"evidence_reviewed".to_owned()));
}

#[tokio::test]
async fn a_phone_s_edits_show_on_the_timeline_field_by_field_and_an_unrecorded_edit_is_refused() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let mut phone = cases(&server, 1).await;
    let mut zhao = signed_in(&server, "zhaomin", Role::Manager).await;
    let link = case_links(&zhao.get("/cases").await.body).remove(0);
    let doc = cases_doc(&server);
    let finding: FindingId = link.rsplit('/').next().unwrap().parse().unwrap();
    let actor = phone.actor.clone();

    // An hour later the inspector lowers the severity and rewrites the description.
    server.clock.advance(HOUR_MS);
    let at = server.clock.now();
    let mut unit = phone.unit(&doc);
    unit.edit_field(&actor, at, &finding, FieldEdit::Severity(Severity::S2))
        .unwrap();
    unit.edit_field(
        &actor,
        at,
        &finding,
        FieldEdit::Description("卫生间闭水试验渗漏，楼下顶棚有水渍".into()),
    )
    .unwrap();
    // Writing the value it already holds records nothing.
    unit.edit_field(&actor, at, &finding, FieldEdit::Severity(Severity::S2))
        .unwrap();
    phone.put_unit(&doc, unit);
    assert!(phone.sync().await.refused.is_empty());

    let page = zhao.get(&link).await.body;
    let timeline = &page[page.find("id=\"timeline\"").unwrap()..];
    assert_eq!(timeline.matches("修改问题信息").count(), 2, "{timeline}");
    assert!(timeline.contains("严重程度：严重 → 重要"), "{timeline}");
    assert!(
        timeline.contains(
            "问题描述：“卫生间闭水试验渗漏到楼下” → “卫生间闭水试验渗漏，楼下顶棚有水渍”"
        ),
        "{timeline}"
    );
    assert!(timeline.contains(actor.device.as_str()), "{timeline}");
    assert!(timeline.contains("2026-11-27 10:00"), "{timeline}");
    zhao.get("/lang/en").await;
    let english = zhao.get(&link).await.body;
    assert!(english.contains("Severity: Critical → Major"), "{english}");
    zhao.get("/lang/zh-CN").await;

    // A device that writes the field without the event (an old or forged client) is refused,
    // and the field keeps its recorded value.
    let mut unit = phone.unit(&doc);
    {
        use automerge::{ObjType, ROOT, ReadDoc, Value, transaction::Transactable};
        let am = unit.automerge_mut();
        am.set_actor(plumbline_shared::doc::actor_for(&actor.device));
        let Some((Value::Object(ObjType::Map), findings)) = am.get(ROOT, "findings").unwrap()
        else {
            panic!("no findings map")
        };
        let Some((Value::Object(ObjType::Map), f)) = am.get(&findings, finding.as_str()).unwrap()
        else {
            panic!("no finding")
        };
        am.put(&f, "severity", "S4").unwrap();
        am.commit();
    }
    phone.put_unit(&doc, unit);
    let before = cases_heads(&server).await;
    let report = phone.sync().await;
    assert_eq!(report.refused.len(), 1, "{report:?}");
    assert!(report.refused[0].1.contains("field_edited"), "{report:?}");
    assert_eq!(cases_heads(&server).await, before);
    assert!(!zhao.get(&link).await.body.contains("轻微/观感"));
}
