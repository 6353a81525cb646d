//! A second sync client, in another language, written from `docs/protocol.md` and
//! `openapi.json` alone (`tests/js-client/client.mjs`: Node and automerge's JavaScript
//! package), against this server on loopback: it enrolls with a one-time code, pulls the
//! project and a unit, reads the checklist template, adds a finding signed as its own device,
//! pushes it, finds it in the case list and reconnects quietly in one round trip.
//!
//! It is the proof that the specification is enough to write a client; when it fails after a
//! change to the protocol or the documents, the change has to reach `docs/protocol.md` (and
//! then the client) too. Its packages come from `cargo xtask test` (`npm ci` in
//! `tests/js-client`).
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use crate::common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TestServer;
use plumbline_shared::ids::UserId;
use plumbline_shared::role::{Membership, Role};
use plumbline_sync_server::account_admin;
use plumbline_sync_server::store::{CaseFilter, Page};
use serde_json::Value;

fn client_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/js-client")
}

#[tokio::test]
async fn a_client_written_from_the_spec_enrolls_adds_a_finding_and_sees_it_in_the_case_list() {
    let dir = client_dir();
    assert!(
        dir.join("node_modules/@automerge/automerge").is_dir(),
        "the JavaScript client's packages are not installed: run `cargo xtask test-tools` \
         (or `npm ci` in tests/js-client)"
    );
    let server = TestServer::start().await;
    let project = server.project.id.clone();
    let unit = server.project.units().nth(3).unwrap().1.id.clone();
    let user = UserId::new("li.na").unwrap();
    account_admin::add_user(
        &server.state,
        &user,
        "李娜",
        Some("password-123"),
        Membership {
            project: project.clone(),
            role: Role::Inspector,
            contractor: None,
        },
    )
    .await
    .unwrap();
    let code = account_admin::enrollment_code(&server.state, &user)
        .await
        .unwrap();
    let description = "卫生间地漏返水（第二客户端）";

    let child = Command::new("node")
        .arg(dir.join("client.mjs"))
        .args(["--server", &format!("http://{}", server.addr)])
        .args(["--code", &code])
        .args(["--project", project.as_str()])
        .args(["--unit", unit.as_str()])
        .args(["--description", description])
        // The server's clock is the test's, not today's: the device's must agree with it.
        .args(["--now", &server.clock.now().0.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (a system prerequisite of `cargo xtask test`)");
    let pid = child.id();
    let run = tokio::task::spawn_blocking(move || child.wait_with_output());
    let Ok(out) = tokio::time::timeout(Duration::from_secs(120), run).await else {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        panic!("the client did not finish within two minutes");
    };
    let out = out.unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the client failed:\n{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("its last line is not JSON ({e}): {stdout}\n{stderr}"));

    // What the client says, checked against what the server holds.
    let finding = report["finding"].as_str().unwrap();
    let cases = server
        .state
        .store
        .cases(
            &CaseFilter {
                projects: vec![project],
                unit: Some(unit),
                ..Default::default()
            },
            Page {
                offset: 0,
                limit: 50,
            },
        )
        .await
        .unwrap();
    let case = cases
        .iter()
        .find(|c| c.case.finding.as_str() == finding)
        .unwrap_or_else(|| panic!("finding {finding} is not among the cases: {cases:#?}"));
    assert_eq!(case.case.description, description);
    assert_eq!(case.case.created_by, user);
    assert_eq!(report["case_status"], "open", "{report}");
    let devices = server.state.store.devices().await.unwrap();
    assert!(
        devices
            .iter()
            .any(|d| d.user == user && Some(d.device.as_str()) == report["device"].as_str()),
        "{report}: not one of {devices:#?}"
    );
    assert_eq!(report["quiet_round_trips"], 1, "{report}");
}
