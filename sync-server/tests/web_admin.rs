//! Administration in the office web, over real HTTP: only administrators reach the pages and
//! actions; users are added and roles changed with every field checked and nothing written on
//! bad input; a revoked device is refused by the sync API; an enrollment code comes as text and
//! as a QR code and enrolls a device once; a CSV import is all or nothing, with a preview; the
//! checklist template is shown; cookies are `Secure` when the configuration says so.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use common::web::{Browser, Page, csrf_of, staff};
use common::{Device, TestServer};
use plumbline_shared::ids::UserId;
use plumbline_shared::role::Role;
use plumbline_sync_server::config::Config;
use plumbline_sync_server::store::Membership;
use plumbline_sync_server::{build_state, launch, setup};
use reqwest::StatusCode;

const PASSWORD: &str = "good-password-1";

const ADMIN: &str = "guanli";
const MANAGER: &str = "zhaomin";
const COORDINATOR: &str = "sunli";
const INSPECTOR: &str = "liuyang";
const FRONT_DESK: &str = "chenjing";
const CUSTOMER_REP: &str = "zhoujie";
const CONTRACTOR: &str = "zhougang";

/// Everyone but the administrator: each must be refused.
const NOT_ADMINS: [&str; 6] = [
    MANAGER,
    COORDINATOR,
    INSPECTOR,
    FRONT_DESK,
    CUSTOMER_REP,
    CONTRACTOR,
];

const PAGES: [&str; 4] = [
    "/admin/users",
    "/admin/devices",
    "/admin/projects",
    "/admin/templates",
];

async fn everyone(server: &TestServer) {
    for (login, role) in [
        (ADMIN, Role::Admin),
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

/// The person's own form token (every signed-in page carries it in the sign-out form).
async fn token(b: &mut Browser) -> String {
    csrf_of(&b.get("/dashboard").await.body)
}

/// Posts `form` with the person's own form token first.
async fn act(b: &mut Browser, path: &str, form: &[(&str, &str)]) -> Page {
    let token = token(b).await;
    let mut full = vec![("csrf", token.as_str())];
    full.extend_from_slice(form);
    b.post(path, &full).await
}

/// Asserts that `page` refused with `status` and says `text`.
#[track_caller]
fn refused_with(page: &Page, status: StatusCode, text: &str) {
    assert_eq!(page.status, status, "{text}: {}", page.body);
    assert!(page.body.contains(text), "expected “{text}”: {}", page.body);
}

async fn user_exists(server: &TestServer, login: &str) -> bool {
    server
        .state
        .store
        .user(&UserId::new(login).unwrap())
        .await
        .unwrap()
        .is_some()
}

async fn memberships(server: &TestServer, login: &str) -> Vec<Membership> {
    server
        .state
        .store
        .user(&UserId::new(login).unwrap())
        .await
        .unwrap()
        .unwrap()
        .1
}

/// A form's fields, as `(name, value)` pairs.
type Form<'a> = Vec<(&'a str, &'a str)>;

/// A good add-user form for `login` with `role`, as `(field, value)` pairs.
fn new_user<'a>(login: &'a str, role: &'a str, contractor: &'a str) -> Form<'a> {
    vec![
        ("login", login),
        ("display_name", "新同事"),
        ("password", "a-new-password"),
        ("project", "licheng"),
        ("role", role),
        ("contractor", contractor),
    ]
}

#[tokio::test]
async fn only_administrators_reach_the_administration_pages_and_actions() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let phone = server.device("wangli", Role::Inspector).await;

    let mut anonymous = Browser::new(&server);
    for path in PAGES {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(page.location.as_deref(), Some("/login"));
    }

    let mut admin = signed_in(&server, ADMIN).await;
    assert!(
        admin
            .get("/dashboard")
            .await
            .body
            .contains("href=\"/admin\"")
    );
    for path in PAGES {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    }

    let device = phone.actor.device.to_string();
    for login in NOT_ADMINS {
        let mut b = signed_in(&server, login).await;
        assert!(
            !b.get("/dashboard").await.body.contains("href=\"/admin\""),
            "{login} sees the administration link"
        );
        for path in PAGES {
            let page = b.get(path).await;
            refused_with(&page, StatusCode::FORBIDDEN, "只有管理员可以使用管理页面");
        }
        let actions: [(String, Vec<(&str, &str)>); 5] = [
            ("/admin/users".into(), new_user("xinren", "inspector", "")),
            (
                format!("/admin/users/{INSPECTOR}/role"),
                vec![
                    ("project", "licheng"),
                    ("role", "admin"),
                    ("contractor", ""),
                ],
            ),
            (format!("/admin/users/{INSPECTOR}/code"), vec![]),
            (format!("/admin/devices/{device}/revoke"), vec![]),
            ("/admin/projects/licheng/import".into(), vec![]),
        ];
        for (path, form) in actions {
            let page = act(&mut b, &path, &form).await;
            refused_with(&page, StatusCode::FORBIDDEN, "只有管理员可以使用管理页面");
        }
    }
    // Nothing any of them tried happened.
    assert!(!user_exists(&server, "xinren").await);
    assert_eq!(
        memberships(&server, INSPECTOR).await[0].role,
        Role::Inspector
    );
    let devices = server.state.store.devices().await.unwrap();
    assert!(devices.iter().all(|d| d.revoked_at.is_none()));
}

#[tokio::test]
async fn adding_a_user_checks_every_field_and_bad_input_adds_no_one() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut admin = signed_in(&server, ADMIN).await;

    let cases: Vec<(Form, StatusCode, &str)> = vec![
        (
            new_user("x", "inspector", ""),
            StatusCode::BAD_REQUEST,
            "账号须为 2 到 32 个字符",
        ),
        (
            new_user("王丽", "inspector", ""),
            StatusCode::BAD_REQUEST,
            "账号须为 2 到 32 个字符",
        ),
        (
            vec![
                ("login", "xinren"),
                ("display_name", "  "),
                ("password", "a-new-password"),
                ("project", "licheng"),
                ("role", "inspector"),
                ("contractor", ""),
            ],
            StatusCode::BAD_REQUEST,
            "请填写姓名",
        ),
        (
            vec![
                ("login", "xinren"),
                ("display_name", "新同事"),
                ("password", "short"),
                ("project", "licheng"),
                ("role", "inspector"),
                ("contractor", ""),
            ],
            StatusCode::BAD_REQUEST,
            "初始密码须为 8 到 256 个字符",
        ),
        (
            new_user("xinren", "chief", ""),
            StatusCode::BAD_REQUEST,
            "请选择角色",
        ),
        (
            new_user("xinren", "contractor", ""),
            StatusCode::BAD_REQUEST,
            "施工单位账号须选择该项目的一家施工单位",
        ),
        (
            new_user("xinren", "contractor", "no-such-company"),
            StatusCode::BAD_REQUEST,
            "施工单位账号须选择该项目的一家施工单位",
        ),
        (
            new_user("xinren", "inspector", "hengzhu-civil"),
            StatusCode::BAD_REQUEST,
            "只有施工单位账号需要选择施工单位",
        ),
        (
            new_user(INSPECTOR, "inspector", ""),
            StatusCode::CONFLICT,
            "已存在",
        ),
    ];
    for (form, status, text) in cases {
        let page = act(&mut admin, "/admin/users", &form).await;
        refused_with(&page, status, text);
        assert!(!user_exists(&server, "xinren").await, "{text}");
    }
    let mut other = new_user("xinren", "inspector", "");
    other[3] = ("project", "another-project");
    let page = act(&mut admin, "/admin/users", &other).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "请选择您管理的项目");

    // A forged form (someone else's token) is refused before anything is read.
    let mut forged = vec![("csrf", "not-the-token")];
    forged.extend(new_user("xinren", "inspector", ""));
    let page = admin.post("/admin/users", &forged).await;
    refused_with(&page, StatusCode::FORBIDDEN, "表单已过期");
    // An oversized form is answered, not stored.
    let long = "名".repeat(10_000);
    let mut huge = new_user("xinren", "inspector", "");
    huge[1] = ("display_name", &long);
    let page = act(&mut admin, "/admin/users", &huge).await;
    refused_with(&page, StatusCode::PAYLOAD_TOO_LARGE, "表单内容过长");
    assert!(!user_exists(&server, "xinren").await);

    // In English too.
    admin.get("/lang/en").await;
    let page = act(&mut admin, "/admin/users", &new_user("x", "inspector", "")).await;
    refused_with(
        &page,
        StatusCode::BAD_REQUEST,
        "A login has 2 to 32 characters",
    );
    admin.get("/lang/zh-CN").await;

    // A good form adds the person (login in lower case), who can then sign in.
    let page = act(
        &mut admin,
        "/admin/users",
        &new_user(" XinRen ", "inspector", ""),
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        memberships(&server, "xinren").await,
        vec![Membership {
            project: server.project.id.clone(),
            role: Role::Inspector,
            contractor: None,
        }]
    );
    let mut newcomer = Browser::new(&server);
    let page = newcomer.sign_in("xinren", "a-new-password").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    // A contractor's foreman with the company.
    let page = act(
        &mut admin,
        "/admin/users",
        &new_user("gongzhang", "contractor", "hengzhu-civil"),
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        memberships(&server, "gongzhang").await[0]
            .contractor
            .as_ref()
            .map(|c| c.as_str()),
        Some("hengzhu-civil")
    );
    let list = admin.get("/admin/users").await.body;
    assert!(list.contains("id=\"user-xinren\""), "{list}");
    assert!(list.contains("id=\"user-gongzhang\""));
}

#[tokio::test]
async fn a_role_is_changed_for_others_only_and_bad_changes_change_nothing() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut admin = signed_in(&server, ADMIN).await;
    let path = format!("/admin/users/{INSPECTOR}/role");

    for (form, status, text) in [
        (
            vec![("project", "licheng"), ("role", "boss"), ("contractor", "")],
            StatusCode::BAD_REQUEST,
            "请选择角色",
        ),
        (
            vec![
                ("project", "licheng"),
                ("role", "contractor"),
                ("contractor", ""),
            ],
            StatusCode::BAD_REQUEST,
            "施工单位账号须选择该项目的一家施工单位",
        ),
        (
            vec![
                ("project", "elsewhere"),
                ("role", "manager"),
                ("contractor", ""),
            ],
            StatusCode::BAD_REQUEST,
            "请选择您管理的项目",
        ),
    ] {
        let page = act(&mut admin, &path, &form).await;
        refused_with(&page, status, text);
        assert_eq!(
            memberships(&server, INSPECTOR).await[0].role,
            Role::Inspector
        );
    }
    let page = act(
        &mut admin,
        "/admin/users/nobody/role",
        &[
            ("project", "licheng"),
            ("role", "manager"),
            ("contractor", ""),
        ],
    )
    .await;
    refused_with(&page, StatusCode::NOT_FOUND, "找不到");
    let page = act(
        &mut admin,
        &format!("/admin/users/{ADMIN}/role"),
        &[
            ("project", "licheng"),
            ("role", "inspector"),
            ("contractor", ""),
        ],
    )
    .await;
    refused_with(&page, StatusCode::BAD_REQUEST, "不能更改自己的角色");
    assert_eq!(memberships(&server, ADMIN).await[0].role, Role::Admin);

    let page = act(
        &mut admin,
        &path,
        &[
            ("project", "licheng"),
            ("role", "coordinator"),
            ("contractor", ""),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        memberships(&server, INSPECTOR).await[0].role,
        Role::Coordinator
    );
    let list = admin.get("/admin/users").await.body;
    let row = &list[list.find(&format!("id=\"user-{INSPECTOR}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("总协调员"), "{row}");
}

/// The manifest step of a sync, as `phone`: the status the server answers with.
async fn manifest_status(phone: &mut Device) -> StatusCode {
    let req = phone.manifest_request(false);
    let body = plumbline_shared::api::to_postcard(&req);
    phone.post("/sync/manifest", body).await.status()
}

#[tokio::test]
async fn a_revoked_device_is_refused_by_the_sync_api_and_revoking_twice_says_so() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut phone = server.device("wangli", Role::Inspector).await;
    phone.sync().await;
    assert_eq!(manifest_status(&mut phone).await, StatusCode::OK);

    let mut admin = signed_in(&server, ADMIN).await;
    let device = phone.actor.device.to_string();
    let list = admin.get("/admin/devices").await.body;
    let row = &list[list
        .find(&format!("id=\"device-{device}\""))
        .unwrap_or_else(|| panic!("{list}"))..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("wangli phone") && row.contains("正常"),
        "{row}"
    );

    let revoke = format!("/admin/devices/{device}/revoke");
    let page = admin.post(&revoke, &[("csrf", "forged")]).await;
    refused_with(&page, StatusCode::FORBIDDEN, "表单已过期");
    assert_eq!(manifest_status(&mut phone).await, StatusCode::OK);
    let page = act(&mut admin, "/admin/devices/d-nosuchdevice/revoke", &[]).await;
    refused_with(&page, StatusCode::NOT_FOUND, "找不到");

    let page = act(&mut admin, &revoke, &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(manifest_status(&mut phone).await, StatusCode::UNAUTHORIZED);
    let list = admin.get("/admin/devices").await.body;
    let row = &list[list.find(&format!("id=\"device-{device}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("已注销") && !row.contains("<form"), "{row}");

    let page = act(&mut admin, &revoke, &[]).await;
    refused_with(&page, StatusCode::CONFLICT, "无需再次注销");
    assert_eq!(manifest_status(&mut phone).await, StatusCode::UNAUTHORIZED);
}

/// The text of the element with `id`.
fn text_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}: {html}"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    rest[start..start + end].to_owned()
}

#[tokio::test]
async fn an_enrollment_code_comes_as_text_and_qr_and_enrolls_one_device() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut admin = signed_in(&server, ADMIN).await;

    let page = act(&mut admin, &format!("/admin/users/{INSPECTOR}/code"), &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<svg"), "{}", page.body);
    assert!(page.body.contains("<path"));
    let code = text_of(&page.body, "code");
    assert_eq!(code.len(), 11, "{code}");
    let server_text = text_of(&page.body, "server");
    assert_eq!(server_text, format!("http://{}", server.addr));
    let uri = text_of(&page.body, "uri")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert_eq!(
        uri,
        format!(
            "plumbline://enroll?server=http%3A%2F%2F{}&code={code}",
            server.addr.to_string().replace(':', "%3A")
        )
    );

    let phone = Device::enroll(
        &server.url(""),
        &code,
        "刘洋的手机",
        UserId::new(INSPECTOR).unwrap(),
        Role::Inspector,
        common::clock(),
    )
    .await;
    assert!(!phone.token.is_empty());
    // Once only.
    let again = reqwest::Client::new()
        .post(server.url("/enroll"))
        .json(&serde_json::json!({"code": code, "device_name": "另一台"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);

    let page = act(&mut admin, "/admin/users/nobody/code", &[]).await;
    refused_with(&page, StatusCode::NOT_FOUND, "找不到");
    let page = admin
        .post(
            &format!("/admin/users/{INSPECTOR}/code"),
            &[("csrf", "forged")],
        )
        .await;
    refused_with(&page, StatusCode::FORBIDDEN, "表单已过期");
}

/// Posts the import form of the demo project as multipart, with `file` as the CSV.
async fn upload(b: &mut Browser, token: &str, action: &str, file: &[u8]) -> Page {
    let boundary = "plumbline-test-boundary-7MA4YWxk";
    let mut body = Vec::new();
    for (name, value) in [("csrf", token), ("action", action)] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"units.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = b
        .http
        .post(format!("{}/admin/projects/licheng/import", b.base))
        .header("cookie", b.cookie_header())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    b.keep(res).await
}

const HEADER: &str = "building_id,building_name,floors,unit_id,unit_label,floor,position,handover";

async fn unit_count(server: &TestServer) -> usize {
    plumbline_sync_server::project_read::load_project(&server.state, &server.project.id)
        .await
        .unwrap()
        .unwrap()
        .units()
        .count()
}

#[tokio::test]
async fn a_csv_import_is_previewed_then_imported_all_or_nothing() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut admin = signed_in(&server, ADMIN).await;
    let before = unit_count(&server).await;
    assert_eq!(before, 144);
    let projects = admin.get("/admin/projects").await.body;
    assert!(
        projects.contains("<span class=\"unit-count\">144</span>"),
        "{projects}"
    );
    let token = token(&mut admin).await;

    // Two good rows and two bad ones: both bad lines named, nothing imported.
    let bad = format!(
        "{HEADER}\n\
         licheng-b9,9栋,2,licheng-b9-0101,9-101,1,1,2027-03-01\n\
         licheng-b9,9栋,2,licheng-b9-0102,9-102,1,2,2027-03-01\n\
         licheng-b9,9栋,2,licheng-b9-0201,9-201,7,1,2027-03-01\n\
         licheng-b9,9栋,2,licheng-b9-0202,9-202,2,2,2027-13-01\n"
    );
    for action in ["preview", "import"] {
        let page = upload(&mut admin, &token, action, bad.as_bytes()).await;
        refused_with(&page, StatusCode::BAD_REQUEST, "没有导入任何数据");
        let lines: Vec<String> = page
            .body
            .match_indices("<td class=\"line\">")
            .map(|(at, m)| {
                let rest = &page.body[at + m.len()..];
                rest[..rest.find('<').unwrap()].to_owned()
            })
            .collect();
        assert_eq!(lines, ["4", "5"], "{}", page.body);
        assert_eq!(unit_count(&server).await, before);
    }
    // Not UTF-8 (GBK), empty, too large, forged, an unknown action: refused, nothing imported.
    let gbk = [
        HEADER.as_bytes(),
        b"\nlicheng-b9,\xbe\xc5\xb6\xb0,2,x,y,1,1,2027-03-01\n",
    ]
    .concat();
    let page = upload(&mut admin, &token, "import", &gbk).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "UTF-8");
    let page = upload(&mut admin, &token, "import", b"").await;
    refused_with(&page, StatusCode::BAD_REQUEST, "请选择要导入的 CSV 文件");
    let huge = vec![b'a'; 1024 * 1024 + 1];
    let page = upload(&mut admin, &token, "import", &huge).await;
    refused_with(&page, StatusCode::PAYLOAD_TOO_LARGE, "文件超过 1 MiB");
    let good = format!(
        "{HEADER}\n\
         licheng-b9,9栋,2,licheng-b9-0101,9-101,1,1,2027-03-01\n\
         licheng-b9,9栋,2,licheng-b9-0102,9-102,1,2,2027-03-01\n"
    );
    let page = upload(&mut admin, "forged", "import", good.as_bytes()).await;
    refused_with(&page, StatusCode::FORBIDDEN, "表单已过期");
    let page = upload(&mut admin, &token, "delete", good.as_bytes()).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "请选择“预览”或“导入”");
    assert_eq!(unit_count(&server).await, before);

    // The preview says what would be added and writes nothing.
    let page = upload(&mut admin, &token, "preview", good.as_bytes()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("尚未导入"), "{}", page.body);
    assert!(
        page.body.contains("新增 2 户：新楼栋 1 栋"),
        "{}",
        page.body
    );
    assert_eq!(unit_count(&server).await, before);

    let page = upload(&mut admin, &token, "import", good.as_bytes()).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("已导入"), "{}", page.body);
    assert_eq!(unit_count(&server).await, before + 2);
    let projects = admin.get("/admin/projects").await.body;
    assert!(
        projects.contains("<span class=\"unit-count\">146</span>"),
        "{projects}"
    );
    assert!(projects.contains("<span class=\"building-count\">3</span>"));
    assert!(projects.contains("id=\"building-licheng-b9\""));

    // The same file again: its units exist now, so nothing more is imported.
    let page = upload(&mut admin, &token, "import", good.as_bytes()).await;
    refused_with(&page, StatusCode::BAD_REQUEST, "没有导入任何数据");
    assert_eq!(unit_count(&server).await, before + 2);
}

#[tokio::test]
async fn the_checklist_template_is_shown_read_only_in_both_languages() {
    let server = TestServer::start().await;
    everyone(&server).await;
    let mut admin = signed_in(&server, ADMIN).await;
    let template = plumbline_shared::template::residential();
    let (room, item) = template.items().next().unwrap();
    let page = admin.get("/admin/templates").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&room.zh), "{}", page.body);
    assert!(page.body.contains(&item.zh));
    assert!(
        !page
            .body
            .contains("<form method=\"post\" action=\"/admin/templates")
    );
    let row = &page.body[page.body.find(&format!("id=\"item-{}\"", item.id)).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains(item.default_severity.label_zh()), "{row}");
    admin.get("/lang/en").await;
    let page = admin.get("/admin/templates").await;
    assert!(page.body.contains(&item.en), "{}", page.body);
    assert!(page.body.contains("Default severity"));
}

/// A server like [`TestServer::start`]'s, but configured to mark cookies `Secure`.
async fn secure_server() -> (String, tokio::sync::oneshot::Sender<()>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_data_dir(dir.path(), "127.0.0.1:0".parse().unwrap()).unwrap();
    config.web.secure_cookies = true;
    let state = build_state(config, common::clock()).await.unwrap();
    let project = plumbline_shared::demo::demo_project(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
    )
    .unwrap();
    setup::create_project(&state, &project).await.unwrap();
    plumbline_sync_server::account_admin::add_user(
        &state,
        &UserId::new(ADMIN).unwrap(),
        ADMIN,
        Some(PASSWORD),
        Membership {
            project: project.id.clone(),
            role: Role::Admin,
            contractor: None,
        },
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        launch(state, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (base, tx, dir)
}

#[tokio::test]
async fn cookies_are_secure_when_configured_and_not_by_default() {
    let server = TestServer::start().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let plain = http
        .get(format!("http://{}/login", server.addr))
        .send()
        .await
        .unwrap();
    let cookie = plain.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(!cookie.contains("Secure"), "{cookie}");

    let (base, _stop, _dir) = secure_server().await;
    let login = http.get(format!("{base}/login")).send().await.unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let signed = http
        .post(format!("{base}/login"))
        .header("cookie", format!("plumbline_login={token}"))
        .form(&[("login", ADMIN), ("password", PASSWORD), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("plumbline_session="))
        .unwrap();
    assert!(session.contains("Secure"), "{session}");
}

/// Posts the new-project form as `b`; the answer.
async fn new_project(b: &mut Browser, fields: &[(&str, &str)]) -> Page {
    let token = csrf_of(&b.get("/admin/projects").await.body);
    let mut form = vec![("csrf", token.as_str())];
    form.extend_from_slice(fields);
    b.post("/admin/projects/new", &form).await
}

/// An administrator creates a project on the projects page: the standard checklist, the
/// default settings, the contractor companies of the project named, and its creator as its
/// administrator, who then sees it on the page (where its units CSV goes in). A taken id, an
/// empty name, a bad id and a project the administrator does not administer as the source
/// are refused with a sentence, and nothing is created; other roles may not create at all.
#[tokio::test]
async fn an_administrator_creates_a_project_and_a_bad_one_creates_nothing() {
    let server = TestServer::start().await;
    staff(&server, ADMIN, Role::Admin).await;
    staff(&server, MANAGER, Role::Manager).await;
    let mut b = signed_in(&server, ADMIN).await;
    let page = b.get("/admin/projects").await;
    assert!(page.body.contains("id=\"new-project\""), "{}", page.body);
    let good = [
        ("id", "licheng-2"),
        ("name_zh", "郦城二期"),
        ("name_en", "Licheng II"),
        ("contractors_from", "licheng"),
    ];
    let created = new_project(&mut b, &good).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = plumbline_shared::ids::ProjectId::new("licheng-2").unwrap();
    let project = plumbline_sync_server::project_read::load_project(&server.state, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(project.name_zh, "郦城二期");
    assert_eq!(project.template, "residential");
    assert!(project.buildings.is_empty());
    assert_eq!(project.contractors, server.project.contractors);
    let listed = b.get("/admin/projects").await.body;
    assert!(
        listed.contains("licheng-2") && listed.contains("郦城二期"),
        "{listed}"
    );

    let docs = server.state.store.all_docs().await.unwrap().len();
    let other = plumbline_shared::ids::ProjectId::new("other-project").unwrap();
    common::other_project(&server.state, &other).await;
    let docs = docs + 1;
    let refusals: [(&[(&str, &str)], &str); 4] = [
        (&good, "已有项目"),
        (
            &[
                ("id", "licheng-3"),
                ("name_zh", " "),
                ("name_en", "Licheng III"),
            ],
            "项目名称不能为空",
        ),
        (
            &[
                ("id", "Licheng 3"),
                ("name_zh", "郦城三期"),
                ("name_en", "Licheng III"),
            ],
            "项目编号只能由小写字母",
        ),
        (
            &[
                ("id", "licheng-3"),
                ("name_zh", "郦城三期"),
                ("name_en", "Licheng III"),
                ("contractors_from", "other-project"),
            ],
            "沿用承包单位的项目无效",
        ),
    ];
    for (fields, says) in refusals {
        let page = new_project(&mut b, fields).await;
        assert_eq!(
            page.status,
            StatusCode::BAD_REQUEST,
            "{says}: {}",
            page.body
        );
        assert!(page.body.contains(says), "{says}: {}", page.body);
        assert_eq!(
            server.state.store.all_docs().await.unwrap().len(),
            docs,
            "{says}"
        );
    }
    let mut manager = signed_in(&server, MANAGER).await;
    let token = csrf_of(&manager.get("/cases").await.body);
    let page = manager
        .post(
            "/admin/projects/new",
            &[
                ("csrf", &token),
                ("id", "licheng-9"),
                ("name_zh", "九期"),
                ("name_en", "IX"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

/// `plumbline-sync-server admin create-project` with a units CSV: the project and its units in
/// one go; a file with a bad row, or a taken id, creates nothing and says why.
#[test]
fn the_command_line_creates_a_project_with_its_units_and_a_bad_file_creates_nothing() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("units.csv");
    let header = "building_id,building_name,floors,unit_id,unit_label,floor,position,handover\n";
    std::fs::write(
        &csv,
        format!(
            "{header}lanting-b1,1栋,2,lanting-b1-101,1-101,1,1,2027-03-01\n\
             lanting-b1,1栋,2,lanting-b1-201,1-201,2,1,2027-03-01\n"
        ),
    )
    .unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{header}lanting-b2,2栋,2,lanting-b2-101,2-101,9,1,2027-03-01\n"),
    )
    .unwrap();
    let run = |id: &str, file: &std::path::Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_plumbline-sync-server"))
            .arg("admin")
            .arg("--data")
            .arg(&data)
            .args([
                "create-project",
                "--id",
                id,
                "--name-zh",
                "兰亭",
                "--name-en",
                "Lanting",
            ])
            .arg("--units")
            .arg(file)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, said) = run("lanting", &csv);
    assert!(ok, "{said}");
    assert!(
        said.contains("created project lanting") && said.contains("1 buildings, 2 units"),
        "{said}"
    );
    let (ok, said) = run("lanting-2", &bad);
    assert!(
        !ok && said.contains("nothing was created") && said.contains("line 2"),
        "{said}"
    );
    let (ok, said) = run("lanting", &csv);
    assert!(
        !ok && said.contains("there is a project `lanting` already"),
        "{said}"
    );
}
