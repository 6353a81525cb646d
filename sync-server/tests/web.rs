//! The office web over real HTTP: signing in (throttled, CSRF-checked), the case list with
//! its filters, paging and CSV export, the language switch, signing out.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use common::TestServer;
use common::web::{Browser, cases, csrf_of, figure, first_case_link, post_step, read_pdf, staff};
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;
use reqwest::StatusCode;

#[tokio::test]
async fn staff_sign_in_and_pages_need_a_session() {
    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    let mut b = Browser::new(&server);

    let page = b.get("/cases").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login"));
    let login = b.get("/login").await;
    assert!(login.body.contains("登录"), "Chinese by default");
    assert!(login.body.contains("<html lang=\"zh-CN\""));

    let page = b.sign_in("zhaomin", "good-password-1").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/cases"));
    assert!(b.cookies.contains_key("plumbline_session"));
    let list = b.get("/cases").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("没有符合条件的案件"), "{}", list.body);

    // Signing out needs the form token; then the session is gone.
    let token = csrf_of(&list.body);
    let page = b.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        b.get("/cases").await.status,
        StatusCode::OK,
        "still signed in"
    );
    let page = b.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(page.location.as_deref(), Some("/login"));
    assert_eq!(b.get("/cases").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_in_refuses_forged_forms_and_locks_after_repeated_failures() {
    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    let mut b = Browser::new(&server);

    // A form posted without the token of the page it came from.
    b.get("/login").await;
    let page = b
        .post(
            "/login",
            &[
                ("login", "zhaomin"),
                ("password", "good-password-1"),
                ("csrf", "x"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!b.cookies.contains_key("plumbline_session"));

    // Wrong passwords: the same answer for a name that exists and one that does not.
    let page = b.sign_in("zhaomin", "wrong").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("账号或密码不正确"));
    let page = b.sign_in("nobody", "wrong").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("账号或密码不正确"));

    for _ in 0..3 {
        b.sign_in("zhaomin", "wrong").await;
    }
    let page = b.sign_in("zhaomin", "wrong").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    // Locked: even the right password is refused for now.
    let page = b.sign_in("zhaomin", "good-password-1").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("稍后再试"));
    assert!(!b.cookies.contains_key("plumbline_session"));
}

#[tokio::test]
async fn the_case_list_filters_pages_searches_chinese_and_exports() {
    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    cases(&server, 55).await;
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;

    let all = b.get("/cases").await;
    assert_eq!(
        all.body.matches("<tr class=").count(),
        50,
        "a page holds 50"
    );
    assert!(all.body.contains("第 1/2 页，共 55 条"), "{}", all.body);
    let second = b.get("/cases?page=2").await;
    assert_eq!(second.body.matches("<tr class=").count(), 5);

    let s1 = b.get("/cases?severity=S1").await;
    assert_eq!(s1.body.matches("<tr class=").count(), 1);
    assert!(s1.body.contains("卫生间闭水试验渗漏到楼下"));
    // A Chinese substring from the middle of a description.
    let q = b.get("/cases?q=%E7%A9%BA%E9%BC%93").await; // 空鼓
    assert_eq!(q.body.matches("<tr class=").count(), 1, "{}", q.body);
    assert!(q.body.contains("客厅墙面空鼓"));
    let none = b.get("/cases?status=closed").await;
    assert!(none.body.contains("没有符合条件的案件"));
    let overdue = b.get("/cases?overdue=1").await;
    assert!(
        overdue.body.contains("没有符合条件的案件"),
        "nothing is notified yet"
    );

    // Room, category and building come from the template and the project: chosen from lists,
    // and a value that is neither is refused with a message.
    let bathroom = b.get("/cases?room=bathroom&category=waterproofing").await;
    assert!(
        bathroom.body.contains("第 1/2 页，共 55 条"),
        "all 55 are bathroom leaks"
    );
    let kitchen = b.get("/cases?room=kitchen").await;
    assert!(kitchen.body.contains("没有符合条件的案件"));
    let building = server.project.buildings[0].id.clone();
    let in_b1 = b.get(&format!("/cases?building={building}")).await;
    assert!(
        in_b1.body.contains("共 55 条"),
        "unit 0 is in the first building"
    );
    assert!(
        in_b1
            .body
            .contains(&format!("<option value=\"{building}\" selected")),
        "{}",
        in_b1.body
    );
    let other = server.project.buildings[1].id.clone();
    let in_b2 = b.get(&format!("/cases?building={other}")).await;
    assert!(in_b2.body.contains("没有符合条件的案件"));
    for bad in ["/cases?room=attic", "/cases?category=nonsense"] {
        let page = b.get(bad).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // A filter that makes no sense gets a message, not an error page of the framework.
    let bad = b.get("/cases?status=nonsense").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("筛选条件“status”无效"), "{}", bad.body);
    let bad = b.get("/cases?page=abc").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // The export holds every matching row (not one page), with Chinese headers, for Excel.
    let res = b
        .http
        .get(format!("{}/cases/export.csv?severity=S4", b.base))
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with("房号,房间,检查项,类别,严重程度,问题描述,状态"));
    assert_eq!(text.lines().count(), 1 + 53);

    // The same rows as an Excel workbook, read back cell by cell; the Chinese search applies.
    let res = b
        .http
        .get(format!(
            "{}/cases/export.xlsx?q={}",
            b.base,
            urlencode("闭水试验")
        ))
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = res.bytes().await.unwrap().to_vec();
    let rows = xlsx_rows(bytes);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][..5], ["房号", "房间", "检查项", "类别", "严重程度"]);
    assert_eq!(rows[1][5], "卫生间闭水试验渗漏到楼下");
    assert_eq!(rows[1][4], "严重");
    assert_eq!(rows[1][1], "卫生间");
}

/// Every row of the first sheet of a workbook, as text.
fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["问题清单"]);
    let range = book.worksheet_range("问题清单").unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn english_on_a_switch_and_contractors_are_kept_out() {
    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    staff(&server, "zhougang", Role::Contractor).await;
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let page = b.get("/lang/en").await;
    assert_eq!(page.location.as_deref(), Some("/cases"));
    let list = b.get("/cases").await;
    assert!(list.body.contains("<html lang=\"en\""));
    assert!(list.body.contains("No cases match."));

    // A contractor has no office pages; another project is not theirs either.
    let mut c = Browser::new(&server);
    c.sign_in("zhougang", "good-password-1").await;
    let page = c.get("/cases").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("您的角色不能执行此操作"));
    let other = ProjectId::new("other-project").unwrap();
    let page = b.get(&format!("/cases?project={other}")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_notice_is_issued_printed_and_reaches_the_device_and_roles_are_enforced() {
    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    staff(&server, "chenjing", Role::FrontDesk).await;
    let mut phone = cases(&server, 1).await;
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let list = b.get("/cases").await;
    let link = first_case_link(&list.body);
    let detail = b.get(&link).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    assert!(detail.body.contains("卫生间闭水试验渗漏到楼下"));
    assert!(
        detail.body.contains("登记问题"),
        "the timeline names the event: {}",
        detail.body
    );
    let token = csrf_of(&detail.body);

    // Bad input: a message, nothing stored.
    let unit = server.project.units().next().unwrap().1.id.clone();
    let doc = DocId::Unit(unit);
    let heads = server.state.store.doc_heads(&doc).await.unwrap();
    for form in [
        vec![
            ("csrf", token.as_str()),
            ("contractor", "hengzhu-civil"),
            ("days", "0"),
        ],
        vec![
            ("csrf", token.as_str()),
            ("contractor", "no-such-company"),
            ("days", "3"),
        ],
        vec![
            ("csrf", "forged"),
            ("contractor", "hengzhu-civil"),
            ("days", "3"),
        ],
    ] {
        let page = b.post(&format!("{link}/notice"), &form).await;
        assert!(page.status.is_client_error(), "{form:?}: {}", page.status);
    }
    assert_eq!(server.state.store.doc_heads(&doc).await.unwrap(), heads);

    // The front desk may not issue notices: refused on the server, whatever the page shows.
    let mut desk = Browser::new(&server);
    desk.sign_in("chenjing", "good-password-1").await;
    let desk_page = desk.get(&link).await;
    let desk_token = csrf_of(&desk_page.body);
    let page = desk
        .post(
            &format!("{link}/notice"),
            &[
                ("csrf", &desk_token),
                ("contractor", "hengzhu-civil"),
                ("days", "3"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(server.state.store.doc_heads(&doc).await.unwrap(), heads);

    // The manager issues it: numbered per year, printable, and the device gets it.
    let page = b
        .post(
            &format!("{link}/notice"),
            &[
                ("csrf", &token),
                ("contractor", "hengzhu-civil"),
                ("days", "3"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = b.get(&link).await;
    assert!(
        detail.body.contains("已通知") || detail.body.contains("Notified"),
        "{}",
        detail.body
    );
    assert!(detail.body.contains("ZG-2026-0001"), "{}", detail.body);
    let print = b.get(&format!("{link}/notice")).await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(print.body.contains("工程整改通知单"));
    assert!(print.body.contains("郦城"));
    // Names, not ids: the unit as people say it, the contractor's name; blanks to sign.
    let unit_id = link.split('/').nth(2).unwrap();
    let (building, unit) = server
        .project
        .units()
        .find(|(_, u)| u.id.as_str() == unit_id)
        .unwrap();
    // 1栋 and 1-1201 say 1栋1201.
    let unit_name = format!("{}{}", building.name, unit.label.split_once('-').unwrap().1);
    let contractor = &server
        .project
        .contractors
        .iter()
        .find(|c| c.id.as_str() == "hengzhu-civil")
        .unwrap()
        .name;
    assert!(print.body.contains(&unit_name), "{}", print.body);
    assert!(
        !print.body.contains(&format!(">{unit_id}<")),
        "{}",
        print.body
    );
    assert!(print.body.contains(contractor.as_str()));
    assert!(print.body.contains("签收人") && print.body.contains("复查意见"));
    assert!(print.body.contains(&format!("{link}/notice/pdf")));
    let pdf = b.download(&format!("{link}/notice/pdf")).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let (text, _) = read_pdf(&pdf.bytes().await.unwrap(), "notice");
    for fact in [
        "工程整改通知单",
        "ZG-2026-0001",
        unit_name.as_str(),
        contractor.as_str(),
        "整改要求",
        "签发人",
        "签收人",
        "复查意见",
    ] {
        assert!(text.contains(fact), "the notice PDF says {fact:?}:\n{text}");
    }

    phone.sync().await;
    let finding = phone
        .unit(&doc)
        .findings()
        .unwrap()
        .into_values()
        .next()
        .unwrap();
    assert!(
        finding
            .events
            .iter()
            .any(|e| e.kind.name() == "notice_issued"),
        "the device has the notice after its sync"
    );
    let cases = b.get("/cases?status=notified").await;
    assert_eq!(cases.body.matches("<tr class=").count(), 1);
}

#[tokio::test]
async fn a_dissatisfied_callback_reopens_the_case() {
    let server = TestServer::start().await;
    staff(&server, "chenjing", Role::FrontDesk).await;
    let mut phone = cases(&server, 1).await;
    // The inspector runs the case to an accepted repair on the phone (recording the
    // contractor's answers as the office may).
    let unit = server.project.units().next().unwrap().1.id.clone();
    let doc = DocId::Unit(unit);
    let u = phone.unit(&doc);
    let actor = phone.actor.clone();
    let id = u.finding_ids().unwrap()[0].clone();
    let five_minutes_ago = common::now().0 - 5 * 60_000;
    common::accept_repair(&server, &doc, &actor, &id, Timestamp(five_minutes_ago)).await;
    let mut b = Browser::new(&server);
    b.sign_in("chenjing", "good-password-1").await;
    let list = b.get("/cases").await;
    let link = first_case_link(&list.body);
    let token = csrf_of(&b.get(&link).await.body);
    let page = b
        .post(
            &format!("{link}/callback"),
            &[
                ("csrf", &token),
                ("channel", "phone"),
                ("level", "nonsense"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let page = b
        .post(
            &format!("{link}/callback"),
            &[
                ("csrf", &token),
                ("channel", "phone"),
                ("level", "dissatisfied"),
                ("note", "业主不满意"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let detail = b.get(&link).await;
    assert!(detail.body.contains("回访"), "{}", detail.body);
    let reopened = b.get("/cases?status=reopened").await;
    assert_eq!(
        reopened.body.matches("<tr class=").count(),
        1,
        "{}",
        reopened.body
    );
}

#[tokio::test]
async fn a_case_shows_its_photos_as_thumbnails_as_they_arrive() {
    use plumbline_shared::doc::evidence::{EvidenceRef, Thumbnail};
    use plumbline_shared::ids::BlobHash;

    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    let mut phone = cases(&server, 1).await;
    let doc = DocId::Unit(server.project.units().next().unwrap().1.id.clone());
    let (full, small) = (common::jpeg(40_000, 7), common::jpeg(2_000, 11));
    let (full_hash, small_hash) = (BlobHash::of(&full), BlobHash::of(&small));
    let mut u = phone.unit(&doc);
    let finding = u.findings().unwrap().into_iter().next().unwrap().0;
    let actor = phone.actor.clone();
    let at = common::now();
    let photo = EvidenceRef {
        thumbnail: Some(Thumbnail {
            hash: small_hash.clone(),
            bytes: small.len() as u64,
            width: 320,
            height: 240,
        }),
        ..common::photo(&actor, at, full_hash.clone(), full.len() as u64)
    };
    u.attach_evidence(&actor, at, &finding, photo).unwrap();
    phone.put_unit(&doc, u);
    assert!(phone.sync().await.refused.is_empty());

    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let link = first_case_link(&b.get("/cases").await.body);
    // Nothing uploaded yet: the page says so and shows no image.
    let page = b.get(&link).await.body;
    assert!(page.contains("尚未上传"), "{page}");
    assert!(!page.contains("<img"), "{page}");

    // The thumbnail came first: it is shown, the photo is still on its way.
    common::upload(&phone, &small).await;
    let page = b.get(&link).await.body;
    assert!(
        page.contains(&format!("src=\"/photos/{small_hash}\"")),
        "{page}"
    );
    assert!(
        !page.contains(&format!("href=\"/photos/{full_hash}\"")),
        "{page}"
    );
    assert!(page.contains("尚未上传"), "{page}");
    let thumb = b.get(&format!("/photos/{small_hash}")).await;
    assert_eq!(thumb.status, StatusCode::OK);

    // Both arrived: the server's own thumbnail of the photo links to the full-size photo.
    common::upload(&phone, &full).await;
    let page = b.get(&link).await.body;
    assert!(
        page.contains(&format!("src=\"/photos/{full_hash}/thumb\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"/photos/{full_hash}\"")),
        "{page}"
    );
    assert!(!page.contains("尚未上传"), "{page}");
}

/// Whether a case page shows the status 已验收 (accepted).
fn shows_accepted(html: &str) -> bool {
    html.contains("已验收")
}

#[tokio::test]
async fn office_steps_take_a_case_to_acceptance_and_steps_out_of_order_are_refused() {
    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    staff(&server, "chenjing", Role::FrontDesk).await;
    let _phone = cases(&server, 1).await;
    let doc = DocId::Unit(server.project.units().next().unwrap().1.id.clone());
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let link = first_case_link(&b.get("/cases").await.body);
    let token = csrf_of(&b.get(&link).await.body);
    let step = |name: &'static str, text: &'static str| {
        vec![
            ("csrf", token.clone()),
            ("step", name.to_owned()),
            ("text", text.to_owned()),
        ]
    };
    let notice = [
        ("csrf", token.as_str()),
        ("contractor", "hengzhu-civil"),
        ("days", "3"),
    ];
    assert_eq!(
        b.post(&format!("{link}/notice"), &notice).await.status,
        StatusCode::SEE_OTHER
    );

    // Out of order: accepting a repair nobody reported is refused, and nothing is written.
    let heads = server.state.store.doc_heads(&doc).await.unwrap();
    let page = post_step(&mut b, &link, step("accepted", "")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("没有待验收的整改"), "{}", page.body);
    // Bad input: a rejection needs its reason; an unknown step; a forged token.
    let page = post_step(&mut b, &link, step("rejected", "  ")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("请填写说明"), "{}", page.body);
    assert_eq!(
        post_step(&mut b, &link, step("teleported", "x"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let mut forged = step("on_site", "");
    forged[0].1 = "forged".into();
    assert!(
        post_step(&mut b, &link, forged)
            .await
            .status
            .is_client_error()
    );
    assert_eq!(server.state.store.doc_heads(&doc).await.unwrap(), heads);

    // The front desk is not offered acceptance, and the server refuses it anyway.
    let mut desk = Browser::new(&server);
    desk.sign_in("chenjing", "good-password-1").await;
    let desk_page = desk.get(&link).await.body;
    assert!(desk_page.contains("value=\"on_site\""), "{desk_page}");
    assert!(!desk_page.contains("value=\"accepted\""), "{desk_page}");
    let desk_token = csrf_of(&desk_page);
    let page = desk
        .post(
            &format!("{link}/step"),
            &[("csrf", desk_token.as_str()), ("step", "accepted")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(server.state.store.doc_heads(&doc).await.unwrap(), heads);

    // In order: on site, repair reported, accepted.
    for (name, text) in [
        ("on_site", "项目经理已到场"),
        ("repair_reported", "已重新做防水层"),
        ("accepted", "闭水试验 48 小时无渗漏"),
    ] {
        let page = post_step(&mut b, &link, step(name, text)).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{name}: {}", page.body);
    }
    let detail = b.get(&link).await.body;
    assert!(shows_accepted(&detail), "{detail}");
    let start = detail.find("id=\"timeline\"").unwrap();
    let timeline = &detail[start..start + detail[start..].find("</table>").unwrap()];
    for label in ["施工单位响应", "报告整改完成", "验收合格"] {
        assert!(
            timeline.contains(label),
            "the timeline shows {label}: {timeline}"
        );
    }
    let cases = server
        .state
        .store
        .cases(
            &plumbline_sync_server::store::CaseFilter {
                projects: vec![server.project.id.clone()],
                ..Default::default()
            },
            plumbline_sync_server::store::Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        cases[0].case.status,
        plumbline_shared::workflow::Status::Accepted
    );
}

#[tokio::test]
async fn the_dashboard_counts_what_its_lists_hold() {
    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    let _phone = cases(&server, 3).await;
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    assert_eq!(b.get("/").await.location.as_deref(), Some("/dashboard"));

    // Ask for more evidence on one case: it joins that queue.
    let link = first_case_link(&b.get("/cases").await.body);
    let token = csrf_of(&b.get(&link).await.body);
    let page = b
        .post(
            &format!("{link}/step"),
            &[
                ("csrf", token.as_str()),
                ("step", "evidence_requested"),
                ("evidence", "wrong_room"),
                ("text", "照片拍的是厨房"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    let page = b.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::OK);
    let (open, open_link) = figure(&page.body, "待处理");
    assert_eq!(open, 3);
    let (evidence, evidence_link) = figure(&page.body, "待补充证据");
    assert_eq!(evidence, 1);
    assert_eq!(figure(&page.body, "4小时响应超时").0, 0);
    assert_eq!(figure(&page.body, "整改逾期").0, 0);
    // Each figure links to the list of exactly those cases.
    for (count, href) in [(open, open_link), (evidence, evidence_link)] {
        let list = b.get(&href).await.body;
        assert_eq!(
            list.matches("href=\"/cases/licheng").count() as u64,
            count,
            "{href}"
        );
    }
    // Other filters in the dashboard's address do not change its figures.
    let filtered = b.get("/dashboard?status=closed&q=nothing").await;
    assert_eq!(figure(&filtered.body, "待处理").0, 3);
    // A queue the list does not know is refused with a message.
    assert_eq!(
        b.get("/cases?queue=nonsense").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_list_filters_by_origin_and_by_the_day_recorded() {
    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    let _phone = cases(&server, 2).await;
    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let today = common::now().date_cst();
    let yesterday = today.pred_opt().unwrap();
    let rows = |html: &str| html.matches("href=\"/cases/licheng").count();
    for (query, expected) in [
        ("origin=inspection".to_owned(), 2),
        ("origin=owner_call".to_owned(), 0),
        (format!("from={today}"), 2),
        (format!("to={today}"), 2),
        (format!("to={yesterday}"), 0),
        (format!("from={yesterday}&to={yesterday}"), 0),
    ] {
        let page = b.get(&format!("/cases?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert_eq!(rows(&page.body), expected, "{query}");
    }
    for bad in [
        "origin=carrier_pigeon",
        "from=2026-13-40",
        "from=2026-11-27&to=2026-11-01",
    ] {
        let page = b.get(&format!("/cases?{bad}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
    }

    // Cancel one as not a defect: the checkbox reaches the event.
    let link = first_case_link(&b.get("/cases").await.body);
    let token = csrf_of(&b.get(&link).await.body);
    let form = [
        ("csrf", token.as_str()),
        ("step", "cancelled"),
        ("text", "业主误报，属正常现象"),
        ("not_a_defect", "1"),
    ];
    let page = b.post(&format!("{link}/step"), &form).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(rows(&b.get("/cases?status=cancelled").await.body), 1);
    let doc = DocId::Unit(server.project.units().next().unwrap().1.id.clone());
    let stored = server.state.store.load_doc(&doc).await.unwrap().unwrap();
    let unit = plumbline_shared::doc::unit::UnitDoc::from_trusted(
        plumbline_sync_server::doc_cache::assemble(&doc, &stored).unwrap(),
    );
    let cancelled = unit
        .findings()
        .unwrap()
        .into_values()
        .flat_map(|f| f.events)
        .find_map(|e| match e.kind {
            plumbline_shared::event::EventKind::Cancelled { not_a_defect, .. } => {
                Some(not_a_defect)
            }
            _ => None,
        });
    assert_eq!(cancelled, Some(true));
}

/// A notice nobody answered for five hours is past its response window, and one answered in time
/// whose repair deadline passed yesterday is past its repair deadline: each counted in its own
/// dashboard queue, as of now, and listed behind it; `overdue=1` (older links) lists both. A
/// refused notice is in neither (its clock stopped). All three need an emergency repair (penalty
/// conditions 2, 1 and 3). Statuses are stored as their plain names: a filter comparing against
/// JSON-quoted names matched nothing, and these figures stayed at zero.
#[tokio::test]
async fn overdue_notices_and_needed_emergency_repairs_are_counted_and_listed() {
    use plumbline_shared::event::{EventKind, ResponseMode};
    let server = TestServer::start().await;
    staff(&server, "zhaomin", Role::Manager).await;
    let mut phone = cases(&server, 3).await;
    let unit = server.project.units().next().unwrap().1.id.clone();
    let doc = DocId::Unit(unit);
    let actor = phone.actor.clone();
    let ids = phone.unit(&doc).finding_ids().unwrap();
    let now = common::now().0;
    let hour = 3_600_000;
    let five_hours_ago = Timestamp(now - 5 * hour);
    let four_days_ago = Timestamp(now - 96 * hour);
    let office = common::at_the_office(&actor);
    common::office_edit(&server, &doc, |u| {
        for (i, id) in ids[..2].iter().enumerate() {
            let notice = EventKind::NoticeIssued {
                notice_no: format!("ZG-2026-09{i:02}"),
                contractor: "hengzhu-civil".parse().unwrap(),
                repair_deadline: Timestamp(now + 72 * hour),
            };
            u.append_event(&office, five_hours_ago, id, notice).unwrap();
        }
        let refused = EventKind::NoticeRefused {
            reason: "不是我们的活".into(),
        };
        u.append_event(&office, Timestamp(now - 60_000), &ids[1], refused)
            .unwrap();
        // The third: answered within the hour, its three days to repair ran out yesterday.
        let notice = EventKind::NoticeIssued {
            notice_no: "ZG-2026-0902".into(),
            contractor: "hengzhu-civil".parse().unwrap(),
            repair_deadline: Timestamp(now - 24 * hour),
        };
        u.append_event(&office, four_days_ago, &ids[2], notice)
            .unwrap();
        let responded = EventKind::ContractorResponded {
            mode: ResponseMode::OnSite,
            note: String::new(),
        };
        u.append_event(
            &office,
            Timestamp(four_days_ago.0 + hour),
            &ids[2],
            responded,
        )
        .unwrap();
    })
    .await;

    let mut b = Browser::new(&server);
    b.sign_in("zhaomin", "good-password-1").await;
    let dashboard = b.get("/dashboard").await;
    let (no_response, no_response_link) = figure(&dashboard.body, "4小时响应超时");
    let (late_repair, late_repair_link) = figure(&dashboard.body, "整改逾期");
    let (needed, needed_link) = figure(&dashboard.body, "需启动应急维修");
    assert!(
        !dashboard.body.contains("响应或整改逾期"),
        "the two queues are counted apart"
    );
    assert_eq!(
        no_response, 1,
        "the unanswered notice; the refused one is no longer waiting"
    );
    assert_eq!(late_repair, 1, "the answered notice whose repair is late");
    assert_eq!(
        needed, 3,
        "no response in four hours, a refusal, a late repair"
    );
    assert_eq!(
        no_response_link,
        "/cases?project=licheng&queue=response_overdue&page=1"
    );
    assert_eq!(
        late_repair_link,
        "/cases?project=licheng&queue=repair_overdue&page=1"
    );
    // Each figure lists exactly its cases: the case links of each list, in any order.
    let listed = |html: &str| -> Vec<String> {
        let mut found: Vec<String> = ids
            .iter()
            .map(|id| id.to_string())
            .filter(|id| html.contains(&format!("/{id}\"")))
            .collect();
        found.sort();
        found
    };
    for (count, link, expected) in [
        (no_response, &no_response_link, vec![&ids[0]]),
        (late_repair, &late_repair_link, vec![&ids[2]]),
        (needed, &needed_link, ids.iter().collect()),
    ] {
        let list = b.get(link).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert_eq!(
            list.body.matches("<tr class=").count() as u64,
            count,
            "{link}: {}",
            list.body
        );
        let mut expected: Vec<String> = expected.iter().map(|id| id.to_string()).collect();
        expected.sort();
        assert_eq!(listed(&list.body), expected, "{link}");
    }
    // The older link, and the case list's checkbox: both kinds together.
    let list = b.get("/cases?overdue=1").await;
    assert_eq!(list.body.matches("<tr class=").count(), 2, "{}", list.body);
    let mut both = vec![ids[0].to_string(), ids[2].to_string()];
    both.sort();
    assert_eq!(listed(&list.body), both);
}
