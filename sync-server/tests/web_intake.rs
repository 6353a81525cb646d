//! The front desk's complaint intake and the merging of duplicates in the office web, over
//! real HTTP: who may record a complaint and who may merge, bad input answered with a message
//! and nothing written, an emergency (S1) reaching the queue a person sees now, probable
//! duplicates flagged on the case page and counted by the dashboard exactly as their list holds
//! them, and a merged pair counting once.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use common::TestServer;
use common::web::{Browser, Page, case_links, csrf_of, figure, post_step, staff};
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::UnitId;
use plumbline_shared::role::Role;
use plumbline_shared::workflow::Status;
use plumbline_sync_server::store::{CaseFilter, Page as Paging};
use reqwest::StatusCode;

const PASSWORD: &str = "good-password-1";

const MANAGER: &str = "zhaomin";
const COORDINATOR: &str = "sunli";
const INSPECTOR: &str = "liuyang";
const FRONT_DESK: &str = "chenjing";
const CUSTOMER_REP: &str = "zhoujie";
const CONTRACTOR: &str = "zhougang";

/// The unit most complaints here are about, and another one.
const UNIT: &str = "licheng-b1-1201";
const OTHER_UNIT: &str = "licheng-b2-1201";

const URGENT: &str = "紧急投诉（S1）待派单";
const DUPLICATES: &str = "疑似重复";

async fn everyone(server: &TestServer) {
    for (login, role) in [
        (MANAGER, Role::Manager),
        (COORDINATOR, Role::Coordinator),
        (INSPECTOR, Role::Inspector),
        (FRONT_DESK, Role::FrontDesk),
        (CUSTOMER_REP, Role::CustomerRep),
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

/// What a write would change: the heads of both units' documents and the number of case rows.
async fn snapshot(server: &TestServer) -> (Vec<Option<Vec<automerge::ChangeHash>>>, u64) {
    let mut heads = Vec::new();
    for unit in [UNIT, OTHER_UNIT] {
        let doc = DocId::Unit(UnitId::new(unit).unwrap());
        heads.push(server.state.store.doc_heads(&doc).await.unwrap());
    }
    let all = CaseFilter {
        projects: vec![server.project.id.clone()],
        ..Default::default()
    };
    (heads, server.state.store.case_count(&all).await.unwrap())
}

/// A complete, valid intake form: an owner's call about the kitchen drain of `1-1201`.
fn complaint(csrf: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_owned()),
        ("project", "licheng".into()),
        ("building", String::new()),
        ("unit", "1-1201".into()),
        ("owner_name", "王先生".into()),
        ("owner_phone", "138 1234 5678".into()),
        ("origin", "owner_call".into()),
        ("item", "kitchen.drain".into()),
        ("category", String::new()),
        ("severity", "S2".into()),
        ("description", "厨房下水管接口漏水，橱柜底板泡水".into()),
    ]
}

/// `form` with `field` set to `value`.
fn with(
    mut form: Vec<(&'static str, String)>,
    field: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    for (k, v) in form.iter_mut() {
        if *k == field {
            *v = value.to_owned();
        }
    }
    form
}

async fn post(b: &mut Browser, path: &str, form: &[(&'static str, String)]) -> Page {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(path, &form).await
}

/// Records a complaint through the form as `b`; returns the new case's link.
async fn intake(b: &mut Browser, change: &[(&'static str, &str)]) -> String {
    let token = csrf_of(&b.get("/intake").await.body);
    let mut form = complaint(&token);
    for (field, value) in change {
        form = with(form, field, value);
    }
    let page = post(b, "/intake", &form).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let link = page.location.unwrap();
    assert!(link.starts_with("/cases/"), "{link}");
    link
}

/// The finding id at the end of a case link.
fn finding_of(link: &str) -> &str {
    link.rsplit('/').next().unwrap()
}

/// Asserts that `page` refused with `status` and says `text`.
#[track_caller]
fn refused_with(page: &Page, status: StatusCode, text: &str) {
    assert_eq!(page.status, status, "{text}: {}", page.body);
    assert!(page.body.contains(text), "{text}: {}", page.body);
}

#[tokio::test]
async fn the_front_desk_records_a_call_and_lands_on_the_new_case() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut desk = signed_in(&server, FRONT_DESK).await;
    let dashboard = desk.get("/dashboard").await.body;
    assert!(dashboard.contains("href=\"/intake\""), "{dashboard}");
    let form = desk.get("/intake").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("业主来电") && form.body.contains("业主来访"));
    assert!(form.body.contains("S1 严重 · 紧急"), "{}", form.body);
    assert!(
        form.body.contains("<option value=\"1-1201\""),
        "the unit labels are offered"
    );

    let link = intake(&mut desk, &[]).await;
    assert!(link.starts_with(&format!("/cases/{UNIT}/")), "{link}");
    let case = desk.get(&link).await.body;
    assert!(case.contains("厨房下水管接口漏水"), "{case}");
    assert!(case.contains("业主来电"), "{case}");
    assert!(
        case.contains("王** · 138****5678"),
        "the owner, masked, is on the case: {case}"
    );
    assert!(!case.contains("13812345678"), "{case}");
    let contact = desk.get(&format!("{link}/contact")).await.body;
    assert!(
        contact.contains("王先生") && contact.contains("href=\"tel:13812345678\""),
        "the full contact, normalised, is one recorded look away: {contact}"
    );
    assert!(case.contains("id=\"status\">待处理"), "{case}");
    // Recorded by the front desk, in its role, through the office web.
    let row = server
        .state
        .store
        .cases(
            &CaseFilter {
                projects: vec![server.project.id.clone()],
                ..Default::default()
            },
            Paging {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(row.len(), 1);
    assert_eq!(row[0].case.created_by.as_str(), FRONT_DESK);
    assert_eq!(row[0].case.origin.as_str(), "owner_call");
    assert_eq!(row[0].case.category, "plumbing");

    // The building and the unit's label within it name the same unit; a visit this time, and
    // the item's own category and default severity when none is chosen.
    let link = intake(
        &mut desk,
        &[
            ("building", "licheng-b1"),
            ("unit", "1201"),
            ("origin", "owner_visit"),
            ("severity", ""),
            ("owner_phone", "0755-12345678"),
        ],
    )
    .await;
    assert!(link.starts_with(&format!("/cases/{UNIT}/")), "{link}");
    let case = desk.get(&link).await.body;
    assert!(case.contains("业主来访"), "{case}");
    assert!(case.contains("075*****5678"), "{case}");
    let contact = desk.get(&format!("{link}/contact")).await.body;
    assert!(contact.contains("075512345678"), "{contact}");
}

#[tokio::test]
async fn intake_is_for_the_roles_that_may_record_and_bad_input_changes_nothing() {
    let server = TestServer::start().await;
    everyone(&server).await;

    // Inspectors, the front desk, customer representatives and managers may record.
    for login in [INSPECTOR, FRONT_DESK, CUSTOMER_REP, MANAGER] {
        let mut b = signed_in(&server, login).await;
        assert!(
            b.get("/cases").await.body.contains("id=\"nav-intake\""),
            "{login}"
        );
        assert_eq!(b.get("/intake").await.status, StatusCode::OK, "{login}");
    }
    let mut manager = signed_in(&server, MANAGER).await;
    intake(&mut manager, &[]).await;

    // A coordinator and a contractor may not: no link, no form, and a post changes nothing.
    let before = snapshot(&server).await;
    for login in [COORDINATOR, CONTRACTOR] {
        let mut b = signed_in(&server, login).await;
        let list = b.get("/dashboard").await.body;
        assert!(!list.contains("nav-intake"), "{login}: {list}");
        refused_with(
            &b.get("/intake").await,
            StatusCode::FORBIDDEN,
            "您的角色不能执行此操作",
        );
        let token = csrf_of(&list);
        let page = post(&mut b, "/intake", &complaint(&token)).await;
        refused_with(&page, StatusCode::FORBIDDEN, "您的角色不能执行此操作");
    }
    assert_eq!(snapshot(&server).await, before);

    let mut desk = signed_in(&server, FRONT_DESK).await;
    // Another project is not the front desk's.
    refused_with(
        &desk.get("/intake?project=other-project").await,
        StatusCode::FORBIDDEN,
        "您的角色不能执行此操作",
    );
    let token = csrf_of(&desk.get("/intake").await.body);
    let page = post(
        &mut desk,
        "/intake",
        &with(complaint(&token), "project", "other-project"),
    )
    .await;
    refused_with(&page, StatusCode::FORBIDDEN, "您的角色不能执行此操作");
    // A wrong form token.
    let page = post(&mut desk, "/intake", &complaint("not-the-token")).await;
    refused_with(&page, StatusCode::FORBIDDEN, "表单已过期");
    assert_eq!(snapshot(&server).await, before);

    let long = "漏".repeat(1_001);
    let cases: &[(&str, &str, &str)] = &[
        ("unit", "", "请填写房号"),
        ("unit", "9-9999", "本项目没有这个房号"),
        ("unit", "1201", "本项目没有这个房号"),
        ("building", "licheng-b9", "所选楼栋不属于本项目"),
        ("owner_name", "  ", "请填写业主姓名"),
        ("owner_name", &"王".repeat(41), "业主姓名最多 40 个字"),
        ("owner_phone", "", "请填写联系电话"),
        ("owner_phone", "12345", "联系电话无效"),
        ("owner_phone", "1381234567", "联系电话无效"),
        ("owner_phone", "2381234567８", "联系电话无效"),
        ("origin", "inspection", "请选择来源"),
        ("origin", "", "请选择来源"),
        ("item", "kitchen.no_such_item", "请从检查项目表中选择"),
        ("item", "", "请从检查项目表中选择"),
        ("category", "no-such-category", "问题类别无效"),
        ("severity", "S9", "紧急程度须为 S1 到 S4"),
        ("description", "   ", "请填写问题描述"),
        ("description", &long, "问题描述最多 1000 字"),
    ];
    for (field, value, message) in cases {
        let page = post(&mut desk, "/intake", &with(complaint(&token), field, value)).await;
        refused_with(&page, StatusCode::BAD_REQUEST, message);
        // The form comes back with what was typed.
        if *field != "owner_name" {
            assert!(
                page.body.contains("value=\"王先生\""),
                "{field}: {}",
                page.body
            );
        }
        assert_eq!(snapshot(&server).await, before, "{field} = {value}");
    }
    // A form that is not a form at all.
    let page = desk
        .post(
            "/intake",
            &[("csrf", token.as_str()), ("csrf", token.as_str())],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);

    // In English, the same refusal in English.
    desk.get("/lang/en").await;
    let page = post(
        &mut desk,
        "/intake",
        &with(complaint(&token), "owner_phone", "12345"),
    )
    .await;
    refused_with(
        &page,
        StatusCode::BAD_REQUEST,
        "enter an 11-digit mobile number starting with 1",
    );
    assert_eq!(snapshot(&server).await, before);
}

#[tokio::test]
async fn an_emergency_taken_at_the_front_desk_is_in_the_urgent_queue_until_a_notice_goes_out() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut desk = signed_in(&server, FRONT_DESK).await;
    let mut manager = signed_in(&server, MANAGER).await;
    let (count, href) = figure(&manager.get("/dashboard").await.body, URGENT);
    assert_eq!(count, 0);

    let urgent = intake(
        &mut desk,
        &[
            ("severity", "S1"),
            ("description", "卫生间漏水到楼下，业主要求马上处理"),
        ],
    )
    .await;
    intake(&mut desk, &[("severity", "S3")]).await;

    let dashboard = manager.get("/dashboard").await.body;
    let (count, href_now) = figure(&dashboard, URGENT);
    assert_eq!((count, &href_now), (1, &href));
    assert_eq!(
        case_links(&manager.get(&href).await.body),
        vec![urgent.clone()]
    );
    // An emergency is a severity, not a failed contractor: that queue stays empty.
    assert_eq!(figure(&dashboard, "需启动应急维修").0, 0);

    // Once a notice is out, the contractor's four hours run and the queue lets go of it.
    let token = csrf_of(&manager.get(&urgent).await.body);
    let page = manager
        .post(
            &format!("{urgent}/notice"),
            &[
                ("csrf", &token),
                ("contractor", "tongtai-mep"),
                ("days", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (count, _) = figure(&manager.get("/dashboard").await.body, URGENT);
    assert_eq!(count, 0);
    assert!(case_links(&manager.get(&href).await.body).is_empty());
}

#[tokio::test]
async fn duplicates_are_flagged_counted_as_listed_and_a_merge_counts_the_pair_once() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut desk = signed_in(&server, FRONT_DESK).await;
    let mut inspector = signed_in(&server, INSPECTOR).await;

    // The owner calls about the kitchen drain, then comes in about it; a bathroom complaint on
    // the same unit and the same kitchen item on another unit are not duplicates of it.
    let call = intake(&mut desk, &[]).await;
    let visit = intake(
        &mut desk,
        &[
            ("origin", "owner_visit"),
            ("description", "业主来访：厨房漏水还没修"),
        ],
    )
    .await;
    let bathroom = intake(&mut desk, &[("item", "bathroom.ponding_test")]).await;
    let elsewhere = intake(&mut desk, &[("unit", "2-1201")]).await;
    assert!(elsewhere.contains(OTHER_UNIT), "{elsewhere}");

    // The case page flags the other one.
    let page = inspector.get(&visit).await.body;
    assert!(page.contains("id=\"duplicates\""), "{page}");
    assert!(
        page.contains(&format!("id=\"duplicate-{}\"", finding_of(&call))),
        "{page}"
    );
    for link in [&bathroom, &elsewhere] {
        let page = inspector.get(link).await.body;
        assert!(!page.contains("id=\"duplicates\""), "{link}: {page}");
    }

    // The dashboard counts exactly the cases its list holds.
    let dashboard = inspector.get("/dashboard").await.body;
    let (count, href) = figure(&dashboard, DUPLICATES);
    assert_eq!(count, 2);
    let mut listed = case_links(&inspector.get(&href).await.body);
    listed.sort();
    let mut expected = vec![call.clone(), visit.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    let (open, open_link) = figure(&dashboard, "待处理");
    assert_eq!(open, 4);
    assert_eq!(case_links(&inspector.get(&open_link).await.body).len(), 4);

    // The front desk may not merge; nor may anyone with a stale token.
    let before = snapshot(&server).await;
    let token = csrf_of(&desk.get(&visit).await.body);
    let merge_form = |token: &str, other: &str| {
        vec![
            ("csrf", token.to_owned()),
            ("other_unit", UNIT.to_owned()),
            ("other", finding_of(other).to_owned()),
            ("keep", "this".to_owned()),
        ]
    };
    let page = post(
        &mut desk,
        &format!("{visit}/merge"),
        &merge_form(&token, &call),
    )
    .await;
    refused_with(&page, StatusCode::FORBIDDEN, "您的角色不能执行此操作");
    let page = post(
        &mut inspector,
        &format!("{visit}/merge"),
        &merge_form("stale", &call),
    )
    .await;
    refused_with(&page, StatusCode::FORBIDDEN, "表单已过期");
    assert_eq!(snapshot(&server).await, before);

    // Refused with a reason, nothing written: itself, another unit, no such case, no choice.
    let token = csrf_of(&inspector.get(&visit).await.body);
    let to = format!("{visit}/merge");
    let page = post(&mut inspector, &to, &merge_form(&token, &visit)).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "案件不能与自身合并");
    let across = with(merge_form(&token, &elsewhere), "other_unit", OTHER_UNIT);
    let page = post(&mut inspector, &to, &across).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "不能合并不同房号的案件");
    let page = post(&mut inspector, &to, &merge_form(&token, &elsewhere)).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "只能合并同一房号的案件");
    let page = post(
        &mut inspector,
        &to,
        &with(merge_form(&token, &call), "keep", "both"),
    )
    .await;
    refused_with(&page, StatusCode::BAD_REQUEST, "请选择保留哪一个案件");
    assert_eq!(snapshot(&server).await, before);

    // The inspector keeps the visit and merges the call into it.
    let page = post(&mut inspector, &to, &merge_form(&token, &call)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some(visit.as_str()));
    let (heads, rows) = snapshot(&server).await;
    assert_ne!(heads, before.0);
    assert_eq!(rows, before.1, "both cases are kept");

    // Both timelines are kept, each with its side of the merge, and they link to each other.
    let merged = inspector.get(&call).await.body;
    assert!(merged.contains("id=\"status\">已合并"), "{merged}");
    assert!(
        merged.contains("登记问题") && merged.contains("合并到其他案件"),
        "{merged}"
    );
    assert!(merged.contains(&format!("href=\"{visit}\"")), "{merged}");
    let survivor = inspector.get(&visit).await.body;
    assert!(survivor.contains("id=\"status\">待处理"), "{survivor}");
    assert!(
        survivor.contains("登记问题") && survivor.contains("合并了其他案件"),
        "{survivor}"
    );
    assert!(survivor.contains("id=\"merged-from\""), "{survivor}");
    assert!(survivor.contains(&format!("href=\"{call}\"")), "{survivor}");
    assert!(!survivor.contains("id=\"duplicates\""), "{survivor}");

    // The pair counts once: no longer a probable duplicate, one open case fewer, the merged
    // one out of the list (it is listed under its own status) and out of the figures.
    let dashboard = inspector.get("/dashboard").await.body;
    assert_eq!(figure(&dashboard, DUPLICATES).0, 0);
    assert!(case_links(&inspector.get(&href).await.body).is_empty());
    let (open, _) = figure(&dashboard, "待处理");
    assert_eq!(open, 3);
    assert!(!dashboard.contains("<th>已合并</th>"), "{dashboard}");
    let all = case_links(&inspector.get("/cases").await.body);
    assert_eq!(all.len(), 3);
    assert!(!all.contains(&call));
    assert_eq!(
        case_links(&inspector.get("/cases?status=merged").await.body),
        vec![call.clone()]
    );
    let rows = server
        .state
        .store
        .cases(
            &CaseFilter {
                projects: vec![server.project.id.clone()],
                status: Some(Status::Merged),
                ..Default::default()
            },
            Paging {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].case.counts);
    assert_eq!(
        rows[0].case.merged_into.as_ref().unwrap().as_str(),
        finding_of(&visit)
    );

    // A merged case cannot be merged again, and a cancelled one cannot be merged at all.
    let before = snapshot(&server).await;
    let token = csrf_of(&inspector.get(&bathroom).await.body);
    let page = post(
        &mut inspector,
        &format!("{bathroom}/merge"),
        &merge_form(&token, &call),
    )
    .await;
    refused_with(&page, StatusCode::BAD_REQUEST, "已经合并到其他案件");
    assert_eq!(snapshot(&server).await, before);
    let page = post_step(
        &mut inspector,
        &bathroom,
        vec![
            ("csrf", token.clone()),
            ("step", "cancelled".into()),
            ("text", "业主撤回投诉".into()),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let before = snapshot(&server).await;
    let page = post(&mut inspector, &to, &merge_form(&token, &bathroom)).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "已取消的案件不能合并");
    assert_eq!(snapshot(&server).await, before);
}

/// The owner's contact is written once, with the complaint: an inspector's phone that rewrites
/// it is refused, and the case keeps the number the front desk took down.
#[tokio::test]
async fn a_device_cannot_rewrite_the_owner_of_a_complaint() {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;

    let server = TestServer::start().await;
    everyone(&server).await;
    let mut desk = signed_in(&server, FRONT_DESK).await;
    let link = intake(&mut desk, &[]).await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let doc = DocId::Unit(UnitId::new(UNIT).unwrap());
    let mut unit = phone.unit(&doc);
    let am = unit.automerge_mut();
    am.set_actor(plumbline_shared::doc::actor_for(&phone.actor.device));
    let (_, findings) = am.get(automerge::ROOT, "findings").unwrap().unwrap();
    let (_, finding) = am.get(&findings, finding_of(&link)).unwrap().unwrap();
    am.put(
        &finding,
        "owner",
        r#"{"name":"李四","phone":"13900000000"}"#,
    )
    .unwrap();
    am.commit();
    phone.put_unit(&doc, unit);
    let report = phone.sync().await;
    assert!(
        report
            .refused
            .iter()
            .any(|(d, why)| d == &doc && why.contains("the owner's contact is written once")),
        "{:?}",
        report.refused
    );
    let contact = desk.get(&format!("{link}/contact")).await.body;
    assert!(
        contact.contains("王先生") && !contact.contains("李四"),
        "{contact}"
    );
}

/// An owner's contact never enters a replicated document: the phone's copy of the unit, its
/// whole history included, holds only 王** and 138****5678. The office sees the full contact
/// on a page of its own, and every look (on the case, by an owner search) is recorded for the
/// manager; a foreman never sees it, and a device cannot write a full contact.
#[tokio::test]
async fn an_owner_s_contact_stays_on_the_server_and_every_look_at_it_is_signed_for() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut desk = signed_in(&server, FRONT_DESK).await;
    let link = intake(&mut desk, &[]).await;
    let finding: plumbline_shared::ids::FindingId = finding_of(&link).parse().unwrap();

    // The inspector's phone: the masked form only, and nothing of the full one in any change.
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    let doc = DocId::Unit(UnitId::new(UNIT).unwrap());
    let mut unit = phone.unit(&doc);
    let owner = unit.finding(&finding).unwrap().owner.unwrap();
    assert_eq!(
        (owner.name.as_str(), owner.phone.as_str()),
        ("王**", "138****5678")
    );
    let everything = unit.automerge_mut().save_nocompress();
    let text = String::from_utf8_lossy(&everything);
    assert!(
        !text.contains("13812345678") && !text.contains("王先生"),
        "the full contact is in the document"
    );

    // A device that writes a full contact is refused.
    let mut forged = phone.unit(&doc);
    let actor = phone.actor.clone();
    let mut new = common::web::finding(plumbline_shared::severity::Severity::S3, "阳台渗水");
    new.origin = plumbline_shared::event::Origin::OwnerCall;
    let full = plumbline_shared::doc::finding::OwnerContact::new("李四", "13900000000").unwrap();
    forged
        .record_complaint(&actor, common::now(), new, full)
        .unwrap();
    // `record_complaint` masks; put the full one back the way a forged app would.
    {
        use automerge::ReadDoc;
        use automerge::transaction::Transactable;
        let am = forged.automerge_mut();
        let (_, findings) = am.get(automerge::ROOT, "findings").unwrap().unwrap();
        let ids: Vec<String> = am.keys(&findings).collect();
        let new_id = ids.iter().find(|k| k.as_str() != finding.as_str()).unwrap();
        let (_, f) = am.get(&findings, new_id.as_str()).unwrap().unwrap();
        am.put(&f, "owner", r#"{"name":"李四","phone":"13900000000"}"#)
            .unwrap();
        am.commit();
    }
    phone.put_unit(&doc, forged);
    let report = phone.sync().await;
    assert!(
        report
            .refused
            .iter()
            .any(|(d, why)| d == &doc
                && why.contains("an owner's contact is taken on the office pages")),
        "{:?}",
        report.refused
    );

    // The case page: masked. The contact page: full, and the look recorded.
    let case = desk.get(&link).await.body;
    assert!(
        case.contains("138****5678") && !case.contains("13812345678"),
        "{case}"
    );
    assert!(case.contains("id=\"owner-contact-link\""), "{case}");
    let contact = desk.get(&format!("{link}/contact")).await;
    assert_eq!(contact.status, StatusCode::OK);
    assert!(contact.body.contains("13812345678"), "{}", contact.body);
    // An owner search lists the case: recorded too.
    let search = desk.get("/archives/owners?phone=13812345678").await.body;
    assert!(search.contains("厨房下水管接口漏水"), "{search}");

    // A foreman: no contact. The front desk: no access log. The manager: both looks.
    let mut foreman = signed_in(&server, CONTRACTOR).await;
    let refused = foreman.get(&format!("{link}/contact")).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert!(!refused.body.contains("13812345678"));
    assert_eq!(
        desk.get("/archives/contact-log").await.status,
        StatusCode::FORBIDDEN
    );
    let mut manager = signed_in(&server, MANAGER).await;
    let archive = manager.get("/archives/owners").await.body;
    assert!(archive.contains("id=\"contact-log-link\""), "{archive}");
    let log = manager.get("/archives/contact-log").await;
    assert_eq!(log.status, StatusCode::OK);
    let rows: Vec<&str> = log.body.split("class=\"contact-view\"").skip(1).collect();
    assert_eq!(rows.len(), 2, "{}", log.body);
    assert!(
        rows[0].contains("业主档案查询") && rows[0].contains(FRONT_DESK),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("在案件中查看") && rows[1].contains(finding.as_str()),
        "{}",
        rows[1]
    );
}

/// A contact written in full before contacts moved to the server is masked in its document at
/// the server's start, and kept in full on the server.
#[tokio::test]
async fn a_contact_written_in_full_before_is_masked_in_its_document_and_kept_on_the_server() {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;

    let server = TestServer::start().await;
    everyone(&server).await;
    let mut desk = signed_in(&server, FRONT_DESK).await;
    let link = intake(&mut desk, &[]).await;
    let finding: plumbline_shared::ids::FindingId = finding_of(&link).parse().unwrap();
    let doc = DocId::Unit(UnitId::new(UNIT).unwrap());
    // The document as an older server wrote it: the contact in full; and its row not yet
    // marked masked, as the migration leaves it.
    common::office_edit(&server, &doc, |u| {
        let am = u.automerge_mut();
        let (_, findings) = am.get(automerge::ROOT, "findings").unwrap().unwrap();
        let (_, f) = am.get(&findings, finding.as_str()).unwrap().unwrap();
        am.put(&f, "owner", r#"{"name":"王先生","phone":"13812345678"}"#)
            .unwrap();
        am.commit();
    })
    .await;
    let db = server
        .state
        .config
        .db
        .url
        .strip_prefix("sqlite:")
        .unwrap()
        .to_owned();
    rusqlite::Connection::open(db)
        .unwrap()
        .execute("UPDATE owner_contacts SET masked_in_doc = 0", [])
        .unwrap();

    let masked = plumbline_sync_server::contact_masking::mask_legacy_contacts(&server.state)
        .await
        .unwrap();
    assert_eq!(masked, 1);
    let unit = common::server_unit(&server, &doc).await;
    let owner = unit.finding(&finding).unwrap().owner.unwrap();
    assert_eq!(owner.phone, "138****5678");
    // Done once: a second pass finds nothing, and the full contact is still the server's.
    assert_eq!(
        plumbline_sync_server::contact_masking::mask_legacy_contacts(&server.state)
            .await
            .unwrap(),
        0
    );
    let kept = server
        .state
        .store
        .owner_contact(&finding)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.contact.phone, "13812345678");
}
