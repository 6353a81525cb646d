//! Every route of the office web, read from the router's own table, walked by every kind of
//! person: a contractor's foreman, a manager of another project, a visitor with no session, and
//! each office role of the project. Nobody outside learns what a case says or changes
//! anything; nobody inside meets a server error.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use plumbline_shared::clock::Clock;
use plumbline_shared::ids::{ProjectId, UserId};
use plumbline_shared::role::Role;
use plumbline_sync_server::account_admin;
use plumbline_sync_server::store::Membership;
use plumbline_sync_server::web::routes;
use reqwest::{Method, StatusCode};

use crate::common::web::{
    Browser, Page, case_links, cases, cases_doc, cases_heads, csrf_of, post_step, sign_walk, staff,
};
use crate::common::{TestServer, anchor};

const PASSWORD: &str = "good-password-1";

/// What the other company's case says: its description and its notice's number.
const SECRETS: [&str; 2] = ["客厅墙面空鼓", "ZG-2026-0002"];

async fn signed_in(server: &TestServer, login: &str) -> Browser {
    let mut b = Browser::new(server);
    let page = b.sign_in(login, PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{login}: {}", page.body);
    b
}

/// `path` with its parameters filled in from `values` (name → value).
fn filled(path: &str, values: &[(&str, String)]) -> String {
    let mut out = path.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    assert!(!out.contains('{'), "no value for a parameter of {path}");
    out
}

/// Requests `path` with `method` (a POST with the person's form token and nothing else).
async fn request(b: &mut Browser, method: &Method, path: &str, token: &str) -> Page {
    if method == Method::POST {
        b.post(path, &[("csrf", token)]).await
    } else {
        b.get(path).await
    }
}

#[tokio::test]
async fn nobody_outside_learns_or_changes_anything_and_nobody_inside_meets_an_error() {
    let server = TestServer::start_with_clock(Clock::manual(anchor())).await;
    let mut phone = cases(&server, 2).await; // an S1 leak, then an S3 hollow wall
    // The owner signed the unit's list: the 验房确认单 pages have a walk to show.
    let walk = sign_walk(&server, &mut phone, &cases_doc(&server)).await;
    staff(&server, "zhaomin", Role::Manager).await;
    let mut manager = signed_in(&server, "zhaomin").await;
    let links = case_links(&manager.get("/cases").await.body);
    let token = csrf_of(&manager.get("/cases").await.body);
    let (mut leak, mut wall) = (links[0].clone(), links[1].clone());
    if !manager
        .get(&leak)
        .await
        .body
        .contains("卫生间闭水试验渗漏到楼下</h1>")
    {
        std::mem::swap(&mut leak, &mut wall);
    }
    // The leak goes to 恒筑 (the foreman's company), which refuses it and is fined; the wall to
    // 通泰, another company.
    for (link, company) in [(&leak, "hengzhu-civil"), (&wall, "tongtai-mep")] {
        let page = manager
            .post(
                &format!("{link}/notice"),
                &[
                    ("csrf", token.as_str()),
                    ("contractor", company),
                    ("days", "3"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
    assert!(manager.get(&wall).await.body.contains("ZG-2026-0002"));
    let refusal = vec![
        ("csrf", token.clone()),
        ("step", "refused".to_owned()),
        ("text", "不是我方".to_owned()),
    ];
    assert_eq!(
        post_step(&mut manager, &leak, refusal).await.status,
        StatusCode::SEE_OTHER
    );
    staff(&server, "liuyang", Role::Inspector).await;
    let mut inspector = signed_in(&server, "liuyang").await;
    let inspector_token = csrf_of(&inspector.get("/cases").await.body);
    let page = inspector
        .post(
            &format!("{leak}/fines"),
            &[
                ("csrf", inspector_token.as_str()),
                ("penalty", "1:hengzhu-civil"),
                ("amount", "5000"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    // The people who walk.
    staff(&server, "zhougang", Role::Contractor).await;
    let elsewhere = ProjectId::new("another-project").unwrap();
    crate::common::other_project(&server.state, &elsewhere).await;
    account_admin::add_user(
        &server.state,
        &UserId::new("wai").unwrap(),
        "wai",
        Some(PASSWORD),
        Membership {
            project: elsewhere,
            role: Role::Manager,
            contractor: None,
        },
    )
    .await
    .unwrap();
    let office = [
        ("liqiang", Role::Coordinator),
        ("chenjing", Role::FrontDesk),
        ("sunyue", Role::CustomerRep),
        ("guanli", Role::Admin),
    ];
    for (login, role) in office {
        staff(&server, login, role).await;
    }

    let unit = leak.split('/').nth(2).unwrap().to_owned();
    let values = |finding: &str| {
        vec![
            ("unit", unit.clone()),
            ("finding", finding.to_owned()),
            ("fine", "FK-2026-0001".to_owned()),
            ("claim", "c-none".to_owned()),
            ("hash", "0".repeat(64)),
            ("code", "zh-CN".to_owned()),
            ("user", "zhaomin".to_owned()),
            ("device", "some-device".to_owned()),
            ("project", server.project.id.to_string()),
            ("walk", walk.id.to_string()),
        ]
    };
    let wall_finding = wall.rsplit('/').next().unwrap().to_owned();
    let leak_finding = leak.rsplit('/').next().unwrap().to_owned();
    let table = routes();
    assert!(table.len() > 40, "{table:?}");
    let before = cases_heads(&server).await;

    // Outsiders: the foreman of 恒筑 (about 通泰's case, and his own), a manager of another
    // project, a visitor with no session. Logging out is walked last.
    let mut outsiders = vec![
        ("zhougang", Some(signed_in(&server, "zhougang").await)),
        ("wai", Some(signed_in(&server, "wai").await)),
        ("visitor", None),
    ];
    for (who, browser) in &mut outsiders {
        let mut b = browser.take().unwrap_or_else(|| Browser::new(&server));
        let token = csrf_of(&b.get("/login").await.body);
        let token = if *who == "visitor" {
            token
        } else {
            // A signed-in person's pages carry their own token.
            let page = b.get("/dashboard").await;
            if page.body.contains("name=\"csrf\"") {
                csrf_of(&page.body)
            } else {
                token
            }
        };
        let mut walked = 0;
        for route in table.iter().filter(|r| r.path != "/logout") {
            for finding in [&wall_finding, &leak_finding] {
                let path = filled(&route.path, &values(finding));
                for method in &route.methods {
                    let page = request(&mut b, method, &path, &token).await;
                    walked += 1;
                    assert!(
                        !page.status.is_server_error(),
                        "{who}: {method} {path} answered {}",
                        page.status
                    );
                    // Nothing about the other company's case, to anybody outside.
                    for secret in SECRETS {
                        assert!(
                            !page.body.contains(secret),
                            "{who}: {method} {path} shows “{secret}”"
                        );
                    }
                    // A form of theirs is never accepted.
                    if method == Method::POST && route.path != "/login" {
                        assert!(
                            page.status.is_client_error()
                                || page.status == StatusCode::SEE_OTHER
                                    && page
                                        .location
                                        .as_deref()
                                        .is_some_and(|l| l.starts_with("/login")),
                            "{who}: POST {path} answered {} {:?}",
                            page.status,
                            page.location
                        );
                    }
                }
            }
        }
        assert!(walked > 80, "{who} walked {walked}");
        assert_eq!(cases_heads(&server).await, before, "{who} changed a case");
    }

    // Inside: every office role of the project, every page and every form (empty): an answer,
    // never an error.
    for (login, role) in office {
        let mut b = signed_in(&server, login).await;
        let token = csrf_of(&b.get("/dashboard").await.body);
        for route in table.iter().filter(|r| r.path != "/logout") {
            let path = filled(&route.path, &values(&leak_finding));
            for method in &route.methods {
                let page = request(&mut b, method, &path, &token).await;
                assert!(
                    !page.status.is_server_error(),
                    "{login} ({role:?}): {method} {path} answered {}: {}",
                    page.status,
                    page.body
                );
            }
        }
    }
    // An empty form changes no case, whoever sends it.
    assert_eq!(cases_heads(&server).await, before);
}
