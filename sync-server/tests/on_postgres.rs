//! The whole server on PostgreSQL: devices syncing over real HTTP to servers whose store is a
//! database of the throwaway test cluster ([`common::postgres`]), including two servers on one
//! database (replicas) and a restart.
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use std::convert::Infallible;
use std::time::{Duration, Instant};

use plumbline_shared::api::ManifestResponse;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::FieldEdit;
use plumbline_shared::role::Role;
use plumbline_shared::severity::Severity;
use plumbline_shared::workflow::WorkflowSettings;
use plumbline_sync_server::project_write::edit_project;
use plumbline_sync_server::store::{CaseFilter, Page};

use crate::common::{self, TestServer};

async fn case_descriptions(server: &TestServer) -> Vec<String> {
    let filter = CaseFilter {
        projects: vec![server.project.id.clone()],
        ..CaseFilter::default()
    };
    let page = Page {
        offset: 0,
        limit: 100,
    };
    let mut out: Vec<String> = server
        .state
        .store
        .cases(&filter, page)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.case.description)
        .collect();
    out.sort();
    out
}

/// `device` records a ponding leak described `description` in `doc` and syncs it; its id.
async fn record_leak(
    device: &mut common::Device,
    doc: &DocId,
    description: &str,
) -> plumbline_shared::ids::FindingId {
    let mut edited = device.unit(doc);
    let finding = edited
        .record_finding(
            &device.actor,
            common::now(),
            common::ponding_leak(Severity::S2, description),
        )
        .unwrap();
    device.put_unit(doc, edited);
    assert!(device.sync().await.refused.is_empty());
    finding
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phones_records_reach_the_office_and_outlive_a_restart() {
    let url = common::postgres::fresh_database().await;
    let server = TestServer::start_on_database(common::clock(), &url).await;
    let unit = server.project.units().next().unwrap().1.id.clone();
    let doc = DocId::Unit(unit);
    let mut phone = server.device("inspector-pg", Role::Inspector).await;
    phone.sync().await;
    let mut edited = phone.unit(&doc);
    let finding = edited
        .record_finding(
            &phone.actor,
            common::now(),
            common::ponding_leak(Severity::S2, "卫生间闭水试验渗漏"),
        )
        .unwrap();
    phone.put_unit(&doc, edited);
    let report = phone.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(case_descriptions(&server).await, ["卫生间闭水试验渗漏"]);

    // Another phone of the project receives it.
    let mut other = server.device("inspector-pg-2", Role::Inspector).await;
    other.sync().await;
    assert!(other.unit(&doc).findings().unwrap().contains_key(&finding));

    // The server stops and starts again on the same database: nothing is lost, and the phone
    // carries on where it was.
    drop(server);
    let again = TestServer::start_on_database(common::clock(), &url).await;
    assert_eq!(case_descriptions(&again).await, ["卫生间闭水试验渗漏"]);
    phone.base = again.url("");
    let mut edited = phone.unit(&doc);
    edited
        .edit_field(
            &phone.actor,
            common::now(),
            &finding,
            FieldEdit::Description("卫生间闭水试验渗漏，楼下顶棚有水迹".into()),
        )
        .unwrap();
    phone.put_unit(&doc, edited);
    let report = phone.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(
        case_descriptions(&again).await,
        ["卫生间闭水试验渗漏，楼下顶棚有水迹"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_serve_each_others_changes() {
    let url = common::postgres::fresh_database().await;
    let first = TestServer::start_on_database(common::clock(), &url).await;
    let second = TestServer::start_on_database(common::clock(), &url).await;
    let unit = first.project.units().nth(3).unwrap().1.id.clone();
    let doc = DocId::Unit(unit);
    let mut a = first.device("inspector-a", Role::Inspector).await;
    let mut b = second.device("inspector-b", Role::Inspector).await;
    a.sync().await;
    b.sync().await;

    for round in 0..3 {
        // A records through the first server; B, syncing with the second, receives it.
        let mut edited = a.unit(&doc);
        let finding = edited
            .record_finding(
                &a.actor,
                common::now(),
                common::ponding_leak(Severity::S2, &format!("A 的第{round}条")),
            )
            .unwrap();
        a.put_unit(&doc, edited);
        assert!(a.sync().await.refused.is_empty());
        b.sync().await;
        assert!(
            b.unit(&doc).findings().unwrap().contains_key(&finding),
            "round {round}: the second server did not serve the first one's change"
        );
        // And the other way round.
        let mut edited = b.unit(&doc);
        let finding = edited
            .record_finding(
                &b.actor,
                common::now(),
                common::ponding_leak(Severity::S2, &format!("B 的第{round}条")),
            )
            .unwrap();
        b.put_unit(&doc, edited);
        assert!(b.sync().await.refused.is_empty());
        a.sync().await;
        assert!(a.unit(&doc).findings().unwrap().contains_key(&finding));
    }
    // Both servers list all six cases, read from the one database.
    assert_eq!(case_descriptions(&first).await.len(), 6);
    assert_eq!(
        case_descriptions(&first).await,
        case_descriptions(&second).await
    );
}

/// Syncs until the server stored everything, counting the exchanges answered 503 (another
/// replica wrote the unit at the same moment, so nothing of the exchange was stored).
async fn sync_until_stored(device: &mut common::Device) -> usize {
    let mut busy = 0;
    loop {
        match device.try_sync().await {
            Ok(report) => {
                assert!(report.refused.is_empty(), "{:?}", report.refused);
                return busy;
            }
            Err(message) => {
                assert!(message.contains("at the same moment"), "{message}");
                busy += 1;
                assert!(busy < 100, "busy {busy} times in a row");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_taking_one_units_changes_at_once_store_them_all() {
    let url = common::postgres::fresh_database().await;
    let first = TestServer::start_on_database(common::clock(), &url).await;
    let second = TestServer::start_on_database(common::clock(), &url).await;
    let unit = first.project.units().nth(5).unwrap().1.id.clone();
    let doc = DocId::Unit(unit);
    let mut a = first.device("inspector-c", Role::Inspector).await;
    let mut b = second.device("inspector-d", Role::Inspector).await;
    a.sync().await;
    b.sync().await;

    const ROUNDS: usize = 12;
    let mut busy = 0;
    for round in 0..ROUNDS {
        for (device, who) in [(&mut a, "甲"), (&mut b, "乙")] {
            let mut edited = device.unit(&doc);
            edited
                .record_finding(
                    &device.actor,
                    common::now(),
                    common::ponding_leak(Severity::S3, &format!("{who}的第{round}条")),
                )
                .unwrap();
            device.put_unit(&doc, edited);
        }
        let (busy_a, busy_b) = tokio::join!(sync_until_stored(&mut a), sync_until_stored(&mut b));
        busy += busy_a + busy_b;
    }
    // Once quiet, both phones and the database hold the same heads: no write replaced heads it
    // had not seen.
    for _ in 0..3 {
        sync_until_stored(&mut a).await;
        sync_until_stored(&mut b).await;
    }
    let mut heads_a = a.docs.get_mut(&doc).unwrap().get_heads();
    let mut heads_b = b.docs.get_mut(&doc).unwrap().get_heads();
    let mut stored = first.state.store.doc_heads(&doc).await.unwrap().unwrap();
    heads_a.sort();
    heads_b.sort();
    stored.sort();
    assert_eq!(heads_a, heads_b);
    assert_eq!(
        stored, heads_a,
        "the stored heads miss a replica's change ({busy} busy answers)"
    );
    assert_eq!(a.unit(&doc).findings().unwrap().len(), 2 * ROUNDS);
    assert_eq!(case_descriptions(&first).await.len(), 2 * ROUNDS);
    assert_eq!(case_descriptions(&second).await.len(), 2 * ROUNDS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_moving_to_another_server_continues_where_it_was() {
    let url = common::postgres::fresh_database().await;
    let first = TestServer::start_on_database(common::clock(), &url).await;
    let second = TestServer::start_on_database(common::clock(), &url).await;
    let doc = DocId::Unit(first.project.units().nth(7).unwrap().1.id.clone());
    let mut phone = first.device("inspector-e", Role::Inspector).await;
    phone.sync().await;
    // A colleague records a finding in the unit meanwhile.
    let mut colleague = first.device("inspector-f", Role::Inspector).await;
    colleague.sync().await;
    record_leak(&mut colleague, &doc, "同事记录的").await;

    // The load balancer sends the phone to the other server: its summary alone is enough there
    // (the position the first server learnt is in the database), so the phone does not list
    // its 145 documents again to learn that one changed.
    phone.base = second.url("");
    let request = phone.manifest_request(false);
    let answer = phone.manifest(&request).await;
    match answer {
        ManifestResponse::Differs {
            changed,
            new_on_server,
            ..
        } => {
            assert_eq!(changed, vec![doc.clone()]);
            assert!(new_on_server.is_empty(), "{new_on_server:?}");
        }
        other => panic!("the second server did not know the phone's position: {other:?}"),
    }
    assert!(phone.sync().await.refused.is_empty());
    assert_eq!(phone.unit(&doc).findings().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_of_several_does_the_background_work() {
    use plumbline_sync_server::leases;
    let url = common::postgres::fresh_database().await;
    let first = TestServer::start_on_database(common::clock(), &url).await;
    // Wait until the first server's verdict scheduler holds its lease. The probe asks for a
    // lease that ends the instant it is taken, so it never keeps the scheduler out. A pass whose
    // lease query failed (a busy test machine's database) is tried again after the scheduler's
    // longest sleep, 30 s: the wait allows for one such miss.
    let store = first.state.store.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(45);
    loop {
        let now = first.clock.now();
        if !store
            .take_lease(leases::VERDICTS, "probe", now, now)
            .await
            .unwrap()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the first server's verdict scheduler never took its lease"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let second = TestServer::start_on_database(common::clock(), &url).await;
    let span = std::time::Duration::from_secs(60);
    // The second server's scheduler finds the lease taken, and so does any pass of its own.
    assert!(!leases::hold(&second.state, leases::VERDICTS, span).await);
    assert!(leases::hold(&first.state, leases::VERDICTS, span).await);
}

/// Workflow settings saved on one server apply on another of the same database at once: each
/// server keeps every project's settings in memory, and hears another's write of a project
/// document through the database (LISTEN/NOTIFY, `change_feed`) instead of keeping what it
/// read at start until a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_saved_on_one_server_apply_on_the_other_without_a_restart() {
    let url = common::postgres::fresh_database().await;
    let first = TestServer::start_on_database(common::clock(), &url).await;
    let second = TestServer::start_on_database(common::clock(), &url).await;
    let project = first.project.id.clone();
    let before = second.state.settings.of(&project);
    for hours in [5, 6] {
        let wanted = WorkflowSettings {
            response_window_ms: hours * 60 * 60 * 1000,
            ..before
        };
        assert_ne!(second.state.settings.of(&project), wanted);
        edit_project(&first.state, &project, |p| {
            p.workflow = wanted;
            Ok::<_, Infallible>(())
        })
        .await
        .unwrap();
        assert_eq!(first.state.settings.of(&project), wanted);
        let start = Instant::now();
        while second.state.settings.of(&project) != wanted {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the second server still derives with a {} h response window",
                second.state.settings.of(&project).response_window_ms / 3_600_000
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Runs a script of `deploy/` as an operator would, with the test cluster's PostgreSQL
/// programs first on `PATH`; its status, standard output and standard error.
fn deploy_script(name: &str, args: &[&str]) -> (bool, String, String) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(name);
    let path = format!(
        "{}:{}",
        common::postgres::server_binaries().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .arg(&script)
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The backup and restore scripts of `deploy/` (`docs/deploy.md`): a dump of a database a
/// server wrote restores into an empty database, a server started on it serves the same
/// records to a phone, and restoring into a database that is not empty is refused and changes
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_into_an_empty_database_and_a_server_serves_it() {
    let url = common::postgres::fresh_database().await;
    let server = TestServer::start_on_database(common::clock(), &url).await;
    let doc = DocId::Unit(server.project.units().next().unwrap().1.id.clone());
    let mut phone = server.device("inspector-backup", Role::Inspector).await;
    phone.sync().await;
    record_leak(&mut phone, &doc, "卫生间闭水试验渗漏").await;
    let heads = server.state.store.doc_heads(&doc).await.unwrap();
    drop(server);

    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("plumbline.dump");
    let dump = dump.to_str().unwrap();
    let (ok, out, err) = deploy_script("backup-postgres.sh", &[&url, dump]);
    assert!(ok, "backup failed: {out}{err}");
    assert!(out.contains("backed up the Plumbline database"), "{out}");

    let restored = common::postgres::fresh_database().await;
    let (ok, out, err) = deploy_script("restore-postgres.sh", &[dump, &restored]);
    assert!(ok, "restore failed: {out}{err}");
    assert!(out.contains("1 case records"), "{out}");
    let (ok, _, err) = deploy_script("restore-postgres.sh", &[dump, &restored]);
    assert!(
        !ok,
        "a second restore into the same database must be refused"
    );
    assert!(err.contains("refusing to restore"), "{err}");

    let back = TestServer::start_on_database(common::clock(), &restored).await;
    assert_eq!(case_descriptions(&back).await, ["卫生间闭水试验渗漏"]);
    assert_eq!(back.state.store.doc_heads(&doc).await.unwrap(), heads);
    let mut other = back
        .device("inspector-after-restore", Role::Inspector)
        .await;
    other.sync().await;
    assert_eq!(other.unit(&doc).findings().unwrap().len(), 1);
}
