//! Fine slips (罚款单) and owner claims (索赔) in the office web, over real HTTP: who may draft,
//! approve and void a slip and record, agree and pay a claim; approvals in their order; bad
//! input answered with a message and nothing written; the printed slip; the dashboard's queue
//! of slips awaiting approval.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use chrono::Datelike;
use common::TestServer;
use common::web::{
    Browser, Page, cases, cases_heads, csrf_of, figure, first_case_link, post_step, read_pdf, staff,
};
use plumbline_shared::role::Role;
use reqwest::StatusCode;

const PASSWORD: &str = "good-password-1";

/// The office staff of these tests, one per role, and a contractor's foreman.
const MANAGER: &str = "zhaomin";
const COORDINATOR: &str = "sunli";
const INSPECTOR: &str = "liuyang";
const FRONT_DESK: &str = "chenjing";
const CUSTOMER_REP: &str = "zhoujie";
const CONTRACTOR: &str = "zhougang";

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

/// The number the n-th slip drafted this year gets.
fn fine_no(n: u32) -> String {
    format!("FK-{}-{n:04}", common::now().date_cst().year())
}

/// Every case link of a list page, in order.
fn case_links(html: &str) -> Vec<String> {
    html.match_indices("<td><a href=\"/cases/")
        .map(|(at, m)| {
            let rest = &html[at + m.len() - "/cases/".len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// Posts `form` with the person's own form token first.
async fn act(b: &mut Browser, link: &str, path: &str, form: &[(&str, &str)]) -> Page {
    let token = csrf_of(&b.get(link).await.body);
    let mut full = vec![("csrf", token.as_str())];
    full.extend_from_slice(form);
    b.post(&format!("{link}{path}"), &full).await
}

/// The manager issues a notice to 恒筑 on the case and records that the contractor refused it:
/// penalty condition 1 holds against 恒筑.
async fn refused(manager: &mut Browser, link: &str) {
    let page = act(
        manager,
        link,
        "/notice",
        &[("contractor", "hengzhu-civil"), ("days", "3")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let token = csrf_of(&manager.get(link).await.body);
    let page = post_step(
        manager,
        link,
        vec![
            ("csrf", token),
            ("step", "refused".into()),
            ("text", "施工单位认为不属于其施工范围".into()),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
}

/// The row of a slip on the case page.
fn fine_row<'a>(html: &'a str, fine: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"fine-{fine}\""))
        .unwrap_or_else(|| panic!("no row for {fine}: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// Asserts that `page` refused with `status` and says `text`.
#[track_caller]
fn refused_with(page: &Page, status: StatusCode, text: &str) {
    assert_eq!(page.status, status, "{text}: {}", page.body);
    assert!(page.body.contains(text), "{text}: {}", page.body);
}

#[tokio::test]
async fn fine_slips_are_drafted_by_the_roles_allowed_and_bad_input_changes_nothing() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let _phone = cases(&server, 1).await;
    let mut manager = signed_in(&server, MANAGER).await;
    let mut inspector = signed_in(&server, INSPECTOR).await;
    let link = first_case_link(&manager.get("/cases").await.body);

    // No condition holds yet: the page says so, and the server refuses a slip anyway.
    let page = inspector.get(&link).await.body;
    assert!(page.contains("id=\"no-penalty\""), "{page}");
    assert!(page.contains("没有成立的处罚条件"), "{page}");
    let before = cases_heads(&server).await;
    let page = act(
        &mut inspector,
        &link,
        "/fines",
        &[("penalty", "1:hengzhu-civil"), ("amount", "5000")],
    )
    .await;
    refused_with(&page, StatusCode::BAD_REQUEST, "不成立");
    assert_eq!(cases_heads(&server).await, before);

    refused(&mut manager, &link).await;
    let page = inspector.get(&link).await.body;
    assert!(page.contains("id=\"fine-form\""), "{page}");
    assert!(page.contains("value=\"1:hengzhu-civil\""), "{page}");
    assert!(page.contains("拒绝接受整改通知"), "{page}");

    // Bad input: each answered with what is wrong, and nothing written.
    let before = cases_heads(&server).await;
    for (form, message) in [
        (vec![("amount", "6000")], "请选择处罚条件"),
        (vec![("penalty", "1:hengzhu-civil")], "请填写金额"),
        (
            vec![("penalty", "1:hengzhu-civil"), ("amount", "  ")],
            "请填写金额",
        ),
        (
            vec![("penalty", "1:hengzhu-civil"), ("amount", "六千")],
            "金额须为以元为单位的数字",
        ),
        (
            vec![("penalty", "1:hengzhu-civil"), ("amount", "6000.123")],
            "最多两位小数",
        ),
        (
            vec![("penalty", "1:hengzhu-civil"), ("amount", "4999.99")],
            "罚款金额不得低于 5,000 元",
        ),
        (
            vec![("penalty", "1:hengzhu-civil"), ("amount", "-6000")],
            "金额须为以元为单位的数字",
        ),
        (
            vec![("penalty", "1:hengzhu-civil"), ("amount", "20000000")],
            "不能超过 1000 万元",
        ),
        (
            vec![("penalty", "9:hengzhu-civil"), ("amount", "6000")],
            "处罚条件无效",
        ),
        (
            vec![("penalty", "nonsense"), ("amount", "6000")],
            "处罚条件无效",
        ),
        (
            vec![("penalty", "2:hengzhu-civil"), ("amount", "6000")],
            "不成立",
        ),
        (
            vec![("penalty", "1:tongtai-mep"), ("amount", "6000")],
            "不成立",
        ),
    ] {
        let page = act(&mut inspector, &link, "/fines", &form).await;
        refused_with(&page, StatusCode::BAD_REQUEST, message);
    }
    // A forged token, and a form with no token at all.
    let good = [
        ("penalty", "1:hengzhu-civil"),
        ("amount", "6000"),
        ("csrf", "forged"),
    ];
    let page = inspector.post(&format!("{link}/fines"), &good).await;
    refused_with(&page, StatusCode::FORBIDDEN, "表单已过期");
    let page = inspector.post(&format!("{link}/fines"), &good[..2]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(cases_heads(&server).await, before);

    // The same rule in English.
    inspector.get("/lang/en").await;
    let page = act(
        &mut inspector,
        &link,
        "/fines",
        &[("penalty", "1:hengzhu-civil"), ("amount", "100")],
    )
    .await;
    refused_with(
        &page,
        StatusCode::BAD_REQUEST,
        "A fine may not be below 5,000 yuan.",
    );
    inspector.get("/lang/zh-CN").await;

    // Roles the rules do not allow to draft: refused on the server, and not offered the form.
    for login in [MANAGER, FRONT_DESK, CUSTOMER_REP, CONTRACTOR] {
        let mut b = signed_in(&server, login).await;
        if login != CONTRACTOR {
            let page = b.get(&link).await.body;
            assert!(!page.contains("id=\"fine-form\""), "{login}: {page}");
        }
        let token = csrf_of(&b.get("/dashboard").await.body);
        let page = b
            .post(
                &format!("{link}/fines"),
                &[
                    ("csrf", token.as_str()),
                    ("penalty", "1:hengzhu-civil"),
                    ("amount", "6000"),
                ],
            )
            .await;
        refused_with(&page, StatusCode::FORBIDDEN, "您的角色不能执行此操作");
    }
    assert_eq!(cases_heads(&server).await, before);

    // The inspector drafts one: the first number of the year (refused attempts took none).
    let page = act(
        &mut inspector,
        &link,
        "/fines",
        &[("penalty", "1:hengzhu-civil"), ("amount", "6,000")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = inspector.get(&link).await.body;
    let row = fine_row(&detail, &fine_no(1));
    for text in [
        "浙江恒筑建设集团有限公司",
        "1. 拒绝接受整改通知",
        "6,000.00",
        "待组长审批",
    ] {
        assert!(row.contains(text), "{text}: {row}");
    }
    assert!(detail.contains("开具罚款单"), "the timeline names it");

    // The coordinator may draft too, but not a second slip for the same refusal.
    let mut coordinator = signed_in(&server, COORDINATOR).await;
    let before = cases_heads(&server).await;
    let page = act(
        &mut coordinator,
        &link,
        "/fines",
        &[("penalty", "1:hengzhu-civil"), ("amount", "8000")],
    )
    .await;
    refused_with(&page, StatusCode::BAD_REQUEST, &fine_no(1));
    assert!(page.body.contains("同一条件只开一张"), "{}", page.body);
    assert_eq!(cases_heads(&server).await, before);
}

/// A case with condition 1 and a slip drafted by the inspector; its link.
async fn case_with_a_fine(server: &TestServer, amount: &str) -> String {
    let _phone = cases(server, 1).await;
    let mut manager = signed_in(server, MANAGER).await;
    let link = first_case_link(&manager.get("/cases").await.body);
    refused(&mut manager, &link).await;
    let mut inspector = signed_in(server, INSPECTOR).await;
    let page = act(
        &mut inspector,
        &link,
        "/fines",
        &[("penalty", "1:hengzhu-civil"), ("amount", amount)],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    link
}

#[tokio::test]
async fn approvals_go_leader_then_manager_each_by_its_role() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let link = case_with_a_fine(&server, "5000").await;
    let fine = fine_no(1);
    let approve = format!("/fines/{fine}/approve");
    let mut manager = signed_in(&server, MANAGER).await;
    let mut coordinator = signed_in(&server, COORDINATOR).await;

    // Each role is offered only the approval it gives, and only when it is that one's turn.
    let page = coordinator.get(&link).await.body;
    assert!(
        fine_row(&page, &fine).contains("value=\"leader\""),
        "{page}"
    );
    let page = manager.get(&link).await.body;
    assert!(!fine_row(&page, &fine).contains("/approve"), "{page}");

    // Out of order: the manager before the leader.
    let before = cases_heads(&server).await;
    let page = act(&mut manager, &link, &approve, &[("step", "manager")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "先由组长（总协调员）审批");
    // Roles: each step only by its own role, whatever the form says.
    for (login, step) in [
        (MANAGER, "leader"),
        (COORDINATOR, "manager"),
        (INSPECTOR, "leader"),
        (FRONT_DESK, "leader"),
        (CUSTOMER_REP, "manager"),
        (CONTRACTOR, "leader"),
    ] {
        let mut b = signed_in(&server, login).await;
        let token = csrf_of(&b.get("/dashboard").await.body);
        let page = b
            .post(
                &format!("{link}{approve}"),
                &[("csrf", token.as_str()), ("step", step)],
            )
            .await;
        refused_with(&page, StatusCode::FORBIDDEN, "您的角色不能执行此操作");
    }
    // Bad input: an unknown step, an unknown slip, a slip number that is no id, a forged token.
    let page = act(&mut coordinator, &link, &approve, &[("step", "chief")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "审批步骤无效");
    let page = act(
        &mut coordinator,
        &link,
        "/fines/FK-2026-9999/approve",
        &[("step", "leader")],
    )
    .await;
    refused_with(&page, StatusCode::NOT_FOUND, "本案件没有这张罚款单");
    let page = act(
        &mut coordinator,
        &link,
        "/fines/no%20such/approve",
        &[("step", "leader")],
    )
    .await;
    refused_with(&page, StatusCode::NOT_FOUND, "本案件没有这张罚款单");
    let page = coordinator
        .post(
            &format!("{link}{approve}"),
            &[("csrf", "forged"), ("step", "leader")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(cases_heads(&server).await, before);

    // In order: the leader, then the manager; neither twice.
    let page = act(&mut coordinator, &link, &approve, &[("step", "leader")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = coordinator.get(&link).await.body;
    let row = fine_row(&detail, &fine);
    assert!(row.contains("待经理审批"), "{row}");
    assert!(
        row.contains("组长（总协调员）审批：sunli（总协调员）"),
        "{row}"
    );
    let before = cases_heads(&server).await;
    let page = act(&mut coordinator, &link, &approve, &[("step", "leader")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "组长（总协调员）已审批过");
    assert_eq!(cases_heads(&server).await, before);

    let page = act(&mut manager, &link, &approve, &[("step", "manager")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = manager.get(&link).await.body;
    let row = fine_row(&detail, &fine);
    assert!(row.contains("已审批"), "{row}");
    assert!(row.contains("经理审批：zhaomin（经理）"), "{row}");
    assert!(!row.contains("/approve"), "nothing left to approve: {row}");
    let before = cases_heads(&server).await;
    let page = act(&mut manager, &link, &approve, &[("step", "manager")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "经理已审批过");
    assert_eq!(cases_heads(&server).await, before);
}

#[tokio::test]
async fn a_voided_fine_stays_visible_with_its_reason_and_is_voided_once() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let link = case_with_a_fine(&server, "5000").await;
    let fine = fine_no(1);
    let void = format!("/fines/{fine}/void");
    let mut manager = signed_in(&server, MANAGER).await;
    let mut coordinator = signed_in(&server, COORDINATOR).await;
    let page = act(
        &mut coordinator,
        &link,
        &format!("/fines/{fine}/approve"),
        &[("step", "leader")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    // Roles that may not void, then bad input.
    let before = cases_heads(&server).await;
    for login in [INSPECTOR, FRONT_DESK, CUSTOMER_REP, CONTRACTOR] {
        let mut b = signed_in(&server, login).await;
        let token = csrf_of(&b.get("/dashboard").await.body);
        let page = b
            .post(
                &format!("{link}{void}"),
                &[("csrf", token.as_str()), ("reason", "不该罚")],
            )
            .await;
        refused_with(&page, StatusCode::FORBIDDEN, "您的角色不能执行此操作");
    }
    let page = act(&mut manager, &link, &void, &[]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "作废罚款单须填写原因");
    let page = act(&mut manager, &link, &void, &[("reason", "   ")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "作废罚款单须填写原因");
    let long = "长".repeat(501);
    let page = act(&mut manager, &link, &void, &[("reason", &long)]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "作废原因最多 500 字");
    let page = act(
        &mut manager,
        &link,
        "/fines/FK-1999-0001/void",
        &[("reason", "x")],
    )
    .await;
    refused_with(&page, StatusCode::NOT_FOUND, "本案件没有这张罚款单");
    let page = manager
        .post(
            &format!("{link}{void}"),
            &[("csrf", "forged"), ("reason", "x")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(cases_heads(&server).await, before);

    // The manager voids it: it stays on the case, marked void, with its reason.
    let reason = "金额计算有误，重新开具";
    let page = act(&mut manager, &link, &void, &[("reason", reason)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = manager.get(&link).await.body;
    let row = fine_row(&detail, &fine);
    assert!(row.contains("已作废"), "{row}");
    assert!(row.contains(reason), "{row}");
    assert!(row.contains("zhaomin（经理）"), "who voided it: {row}");
    assert!(!row.contains("/void"), "{row}");
    assert!(
        row.contains("组长（总协调员）审批：sunli"),
        "the approval it had stays: {row}"
    );
    assert!(detail.contains("罚款作废"), "the timeline names it");

    // Void once; no approval on a void slip.
    let before = cases_heads(&server).await;
    let page = act(&mut coordinator, &link, &void, &[("reason", "再作废一次")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "已作废，不能再次作废");
    let page = act(
        &mut manager,
        &link,
        &format!("/fines/{fine}/approve"),
        &[("step", "manager")],
    )
    .await;
    refused_with(&page, StatusCode::BAD_REQUEST, "已作废，不能审批");
    assert_eq!(cases_heads(&server).await, before);

    // The printed slip carries the void mark and why.
    let print = manager.get(&format!("{link}/fines/{fine}")).await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(print.body.contains("id=\"void-mark\""), "{}", print.body);
    assert!(print.body.contains(reason), "{}", print.body);
    let pdf = manager.download(&format!("{link}/fines/{fine}/pdf")).await;
    let (text, _) = read_pdf(&pdf.bytes().await.unwrap(), "fine-slip-void");
    assert!(text.contains("作废") && text.contains(reason), "{text}");

    // A void slip no longer stands in the way of a new one for the same condition.
    let mut inspector = signed_in(&server, INSPECTOR).await;
    let page = act(
        &mut inspector,
        &link,
        "/fines",
        &[("penalty", "1:hengzhu-civil"), ("amount", "5500")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = inspector.get(&link).await.body;
    assert!(fine_row(&detail, &fine_no(2)).contains("待组长审批"));
    assert!(fine_row(&detail, &fine).contains("已作废"));
}

#[tokio::test]
async fn the_printed_fine_slip_shows_the_amount_in_figures_and_capitals_and_who_signed() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let link = case_with_a_fine(&server, "12,345.67").await;
    let fine = fine_no(1);
    let mut coordinator = signed_in(&server, COORDINATOR).await;
    let page = act(
        &mut coordinator,
        &link,
        &format!("/fines/{fine}/approve"),
        &[("step", "leader")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    let detail = coordinator.get(&link).await.body;
    assert!(
        detail.contains(&format!("href=\"{link}/fines/{fine}\"")),
        "the case links its slip: {detail}"
    );
    let print = coordinator.get(&format!("{link}/fines/{fine}")).await;
    assert_eq!(print.status, StatusCode::OK);
    // The unit by the name people use, not its id.
    let (building, unit) = server.project.units().next().unwrap();
    let unit = format!("{}{}", building.name, unit.label.split_once('-').unwrap().1);
    for text in [
        "<h1 style=\"text-align:center\">罚款单</h1>",
        &format!("<span id=\"fine-no\">{fine}</span>"),
        "郦城",
        unit.as_str(),
        "浙江恒筑建设集团有限公司",
        "卫生间闭水试验渗漏到楼下",
        "1. 拒绝接受整改通知",
        "¥12,345.67",
        "人民币壹万贰仟叁佰肆拾伍元陆角柒分",
        "liuyang（投诉代表）",
        "sunli（总协调员）",
        "待审批",
        "成本控制部、经济处、财务部、合约部",
        &format!("ZG-{}-0001", common::now().date_cst().year()),
    ] {
        assert!(print.body.contains(text), "{text}: {}", print.body);
    }
    assert!(!print.body.contains("void-mark"), "{}", print.body);

    // The same slip as a PDF file: its text holds the slip's facts.
    assert!(print.body.contains(&format!("{link}/fines/{fine}/pdf")));
    let pdf = coordinator
        .download(&format!("{link}/fines/{fine}/pdf"))
        .await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let (text, _) = read_pdf(&pdf.bytes().await.unwrap(), "fine-slip");
    for fact in [
        "罚款单",
        fine.as_str(),
        unit.as_str(),
        "浙江恒筑建设集团有限公司",
        "拒绝接受整改通知",
        "¥12,345.67",
        "人民币壹万贰仟叁佰肆拾伍元陆角柒分",
        "成本控制部、经济处、财务部、合约部",
    ] {
        assert!(text.contains(fact), "the slip's PDF says {fact:?}:\n{text}");
    }

    // In English, the words change and the capitals stay.
    coordinator.get("/lang/en").await;
    let print = coordinator.get(&format!("{link}/fines/{fine}")).await;
    for text in [
        "Fine slip",
        "Amount (Chinese capitals)",
        "人民币壹万贰仟叁佰肆拾伍元陆角柒分",
        "Pending",
    ] {
        assert!(print.body.contains(text), "{text}: {}", print.body);
    }

    // Not for contractors; an unknown slip is a message.
    let mut contractor = signed_in(&server, CONTRACTOR).await;
    let page = contractor.get(&format!("{link}/fines/{fine}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("壹万"), "{}", page.body);
    let page = coordinator.get(&format!("{link}/fines/FK-1999-0001")).await;
    refused_with(
        &page,
        StatusCode::NOT_FOUND,
        "This case has no fine slip with that number.",
    );
}

#[tokio::test]
async fn the_dashboard_queue_of_fines_awaiting_approval_counts_what_its_list_holds() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let _phone = cases(&server, 3).await;
    let mut manager = signed_in(&server, MANAGER).await;
    let mut coordinator = signed_in(&server, COORDINATOR).await;
    let mut inspector = signed_in(&server, INSPECTOR).await;
    let links = case_links(&manager.get("/cases").await.body);
    assert_eq!(links.len(), 3);
    let (awaiting, approved) = (&links[0], &links[1]);
    for link in [awaiting, approved] {
        refused(&mut manager, link).await;
        let page = act(
            &mut inspector,
            link,
            "/fines",
            &[("penalty", "1:hengzhu-civil"), ("amount", "5000")],
        )
        .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    let queue = |html: &str| figure(html, "罚款单待审批");
    let (count, href) = queue(&manager.get("/dashboard").await.body);
    assert_eq!(count, 2);
    assert_eq!(
        case_links(&manager.get(&href).await.body).len(),
        2,
        "{href}"
    );

    // The second slip is approved by both: it waits for nobody any more.
    let fine = fine_no(2);
    let page = act(
        &mut coordinator,
        approved,
        &format!("/fines/{fine}/approve"),
        &[("step", "leader")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (count, _) = queue(&manager.get("/dashboard").await.body);
    assert_eq!(count, 2, "approved by the leader only, it still waits");
    let page = act(
        &mut manager,
        approved,
        &format!("/fines/{fine}/approve"),
        &[("step", "manager")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (count, href) = queue(&manager.get("/dashboard").await.body);
    assert_eq!(count, 1);
    let listed = case_links(&manager.get(&href).await.body);
    assert_eq!(listed, vec![awaiting.clone()], "{href}");

    // Voided, the first waits for nobody either.
    let page = act(
        &mut manager,
        awaiting,
        &format!("/fines/{}/void", fine_no(1)),
        &[("reason", "重复开具")],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (count, href) = queue(&manager.get("/dashboard").await.body);
    assert_eq!(count, 0);
    assert!(
        manager.get(&href).await.body.contains("没有符合条件的案件"),
        "{href}"
    );
    // The queue in English.
    manager.get("/lang/en").await;
    let (count, _) = figure(
        &manager.get("/dashboard").await.body,
        "Fine slips awaiting approval",
    );
    assert_eq!(count, 0);
}

/// The id of the first claim on a case page.
fn first_claim(html: &str) -> String {
    let at = html.find("<tr id=\"claim-").expect("a claim row") + "<tr id=\"claim-".len();
    html[at..at + html[at..].find('"').unwrap()].to_owned()
}

fn claim_row(html: &str) -> &str {
    let start = html.find("<tr id=\"claim-").expect("a claim row");
    let rest = &html[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

#[tokio::test]
async fn claims_are_recorded_agreed_and_paid_by_the_roles_allowed() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let _phone = cases(&server, 1).await;
    let mut desk = signed_in(&server, FRONT_DESK).await;
    let mut manager = signed_in(&server, MANAGER).await;
    let link = first_case_link(&desk.get("/cases").await.body);
    let page = desk.get(&link).await.body;
    assert!(page.contains("id=\"claim-form\""), "{page}");
    assert!(page.contains("本案件没有索赔"), "{page}");

    // Roles that may not record a claim, then bad input.
    let before = cases_heads(&server).await;
    for login in [COORDINATOR, CUSTOMER_REP, CONTRACTOR] {
        let mut b = signed_in(&server, login).await;
        if login != CONTRACTOR {
            assert!(!b.get(&link).await.body.contains("id=\"claim-form\""));
        }
        let token = csrf_of(&b.get("/dashboard").await.body);
        let page = b
            .post(
                &format!("{link}/claims"),
                &[
                    ("csrf", token.as_str()),
                    ("damage", "地板泡水"),
                    ("amount", "3000"),
                ],
            )
            .await;
        refused_with(&page, StatusCode::FORBIDDEN, "您的角色不能执行此操作");
    }
    let long = "长".repeat(501);
    for (form, message) in [
        (vec![("amount", "3000")], "请填写损失内容"),
        (vec![("damage", "  "), ("amount", "3000")], "请填写损失内容"),
        (
            vec![("damage", long.as_str()), ("amount", "3000")],
            "损失内容最多 500 字",
        ),
        (vec![("damage", "地板泡水")], "请填写金额"),
        (
            vec![("damage", "地板泡水"), ("amount", "三千")],
            "金额须为以元为单位的数字",
        ),
        (
            vec![("damage", "地板泡水"), ("amount", "0")],
            "金额须大于 0",
        ),
        (
            vec![("damage", "地板泡水"), ("amount", "-3000")],
            "金额须为以元为单位的数字",
        ),
    ] {
        let page = act(&mut desk, &link, "/claims", &form).await;
        refused_with(&page, StatusCode::BAD_REQUEST, message);
    }
    let page = desk
        .post(
            &format!("{link}/claims"),
            &[
                ("csrf", "forged"),
                ("damage", "地板泡水"),
                ("amount", "3000"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(cases_heads(&server).await, before);

    // The front desk records it.
    let page = act(
        &mut desk,
        &link,
        "/claims",
        &[
            ("damage", "卫生间渗水导致楼下木地板变形"),
            ("amount", "3000"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = manager.get(&link).await.body;
    let claim = first_claim(&detail);
    let row = claim_row(&detail);
    for text in [
        "卫生间渗水导致楼下木地板变形",
        "3,000.00",
        "待确认金额",
        "chenjing（前台接待员）",
    ] {
        assert!(row.contains(text), "{text}: {row}");
    }
    assert!(row.contains("/agree"), "the manager may agree it: {row}");
    assert!(!row.contains("/pay"), "nothing agreed to pay yet: {row}");
    assert!(!claim_row(&desk.get(&link).await.body).contains("/agree"));

    // Agreeing and paying are the manager's.
    let agree = format!("/claims/{claim}/agree");
    let pay = format!("/claims/{claim}/pay");
    let before = cases_heads(&server).await;
    for login in [FRONT_DESK, INSPECTOR, COORDINATOR, CUSTOMER_REP] {
        let mut b = signed_in(&server, login).await;
        for path in [&agree, &pay] {
            let page = act(&mut b, &link, path, &[("amount", "2500")]).await;
            refused_with(&page, StatusCode::FORBIDDEN, "您的角色不能执行此操作");
        }
    }
    // Out of order and bad input.
    let page = act(&mut manager, &link, &pay, &[("amount", "2500")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "请先确认索赔金额");
    let page = act(&mut manager, &link, &agree, &[("amount", "abc")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "金额须为以元为单位的数字");
    let page = act(&mut manager, &link, &agree, &[]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "请填写金额");
    let page = act(
        &mut manager,
        &link,
        "/claims/no-such-claim/agree",
        &[("amount", "2500")],
    )
    .await;
    refused_with(&page, StatusCode::NOT_FOUND, "本案件没有这笔索赔");
    let page = manager
        .post(
            &format!("{link}{agree}"),
            &[("csrf", "forged"), ("amount", "2500")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(cases_heads(&server).await, before);

    // More than was claimed is not agreed: more damage is another claim.
    let page = act(&mut manager, &link, &agree, &[("amount", "3000.01")]).await;
    refused_with(
        &page,
        StatusCode::BAD_REQUEST,
        "确认金额不能超过索赔金额 3,000.00 元",
    );
    assert_eq!(cases_heads(&server).await, before);
    let page = act(&mut manager, &link, &agree, &[("amount", "2500")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let row_html = manager.get(&link).await.body;
    let row = claim_row(&row_html);
    assert!(row.contains("2,500.00") && row.contains("待支付"), "{row}");
    assert!(
        row.contains("value=\"2500.00\""),
        "the payment form offers the agreed amount: {row}"
    );

    let before = cases_heads(&server).await;
    let page = act(&mut manager, &link, &pay, &[("amount", "2600")]).await;
    refused_with(
        &page,
        StatusCode::BAD_REQUEST,
        "支付金额不能超过尚未支付的 2,500.00 元",
    );
    let page = act(&mut manager, &link, &pay, &[("amount", "0")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "金额须大于 0");
    assert_eq!(cases_heads(&server).await, before);
    // Paid in two instalments: the first leaves its remainder shown and the claim open.
    let page = act(&mut manager, &link, &pay, &[("amount", "1000")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let row_html = manager.get(&link).await.body;
    let row = claim_row(&row_html);
    assert!(row.contains("部分支付，尚余 1,500.00 元"), "{row}");
    assert!(row.contains("value=\"1500.00\""), "{row}");
    let page = act(&mut manager, &link, &pay, &[("amount", "1500")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = manager.get(&link).await.body;
    let row = claim_row(&detail);
    assert!(row.contains("已支付"), "{row}");
    assert!(!row.contains("/pay") && !row.contains("/agree"), "{row}");
    for label in ["登记索赔", "索赔金额确认", "索赔已支付"] {
        assert!(detail.contains(label), "the timeline shows {label}");
    }

    // Paid in full; the agreed amount no longer changes.
    let before = cases_heads(&server).await;
    let page = act(&mut manager, &link, &pay, &[("amount", "1")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "该索赔已登记支付");
    let page = act(&mut manager, &link, &agree, &[("amount", "2000")]).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "确认金额不能再改");
    assert_eq!(cases_heads(&server).await, before);
}
