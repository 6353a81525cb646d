//! The store's contract, written once and run against every backend.
//!
//! Each check below is an `async fn` taking a [`Backend`]; [`conformance!`] runs it once on the
//! embedded SQLite file (`store_conformance::sqlite::…`) and once on a PostgreSQL database of a
//! throwaway cluster (`store_conformance::postgres::…`, see [`common::postgres`]). Both go
//! through `store::connect`, the way the server opens its store, and use only the store traits:
//! a new backend joins by adding a module to the macro.
//!
//! What is checked is what the server relies on: changes stored once however often they are
//! sent, a batch landing whole or not at all, acknowledged writes still there after the store
//! is opened again, compaction that keeps what arrived after the load, gapless notice numbers
//! under concurrent writers, projection rows replaced rather than added, paging and filters that
//! add up, atomic enrollment and sign-in counting under races, sessions that expire, evidence
//! rows, and migrations (from empty, from every earlier SQLite schema, and the refusal of a
//! database migrated by a newer server).
#![allow(clippy::unwrap_used)] // tests panic on failure, by design

use std::collections::BTreeSet;
use std::sync::Arc;

use automerge::ChangeHash;
use plumbline_shared::api::HeadsDigest;
use plumbline_shared::clock::Clock;
use plumbline_shared::doc::DocId;
use plumbline_shared::doc::unit::{FieldEdit, UnitDoc};
use plumbline_shared::ids::{BlobHash, DeviceId, FindingId, ProjectId, UnitId, UserId};
use plumbline_shared::projection::project_unit;
use plumbline_shared::role::{Actor, Membership, Role};
use plumbline_shared::severity::Severity;
use plumbline_shared::time::{HOUR_MS, Timestamp};
use plumbline_shared::workflow::WorkflowSettings;
use plumbline_sync_server::doc_cache::new_changes;
use plumbline_sync_server::store::{
    self, CaseFilter, DocWrite, LoginAttempt, NewUser, NewWebSession, NumberClaim, Page, Position,
    ProjectionVersion, Series, Store, StoreError,
};

use crate::common;

/// One backend's store, opened by URL, and what keeps its data alive.
struct Backend {
    url: String,
    store: Arc<dyn Store>,
    /// The SQLite file's folder (removed when the test ends).
    _dir: Option<tempfile::TempDir>,
}

impl Backend {
    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("plumbline.db").display());
        let store = open(&url).await;
        Self {
            url,
            store,
            _dir: Some(dir),
        }
    }

    async fn postgres() -> Self {
        let url = common::postgres::fresh_database().await;
        let store = open(&url).await;
        Self {
            url,
            store,
            _dir: None,
        }
    }

    /// The same database opened again, as after a restart.
    async fn reopen(&self) -> Arc<dyn Store> {
        open(&self.url).await
    }

    fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }
}

async fn open(url: &str) -> Arc<dyn Store> {
    store::connect(url, clock())
        .await
        .unwrap_or_else(|e| panic!("opening {url}: {e:#}"))
}

/// Runs every listed check once per backend.
macro_rules! conformance {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check(super::Backend::sqlite().await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    super::$check(super::Backend::postgres().await).await;
                }
            )*
        }
    };
}

conformance!(
    changes_are_stored_once_however_often_they_are_sent,
    a_batch_lands_whole_or_not_at_all,
    a_write_made_on_heads_another_writer_replaced_is_refused,
    acknowledged_writes_are_there_after_a_reopen,
    compaction_keeps_the_changes_stored_after_the_load,
    notice_numbers_stay_gapless_under_concurrent_writers,
    projection_rows_are_replaced_not_added,
    report_rows_read_by_unit_are_the_units_share_of_the_whole,
    paging_and_filters_add_up,
    accounts_refuse_duplicates_and_roles_change_in_place,
    an_enrollment_code_enrolls_one_device_even_when_raced,
    sign_in_attempts_are_counted_one_by_one,
    web_sessions_expire_and_end,
    evidence_rows_follow_the_documents_and_the_uploads,
    device_positions_are_remembered_moved_and_forgotten,
    a_lease_has_one_holder_until_it_expires,
    a_database_migrated_by_a_newer_server_is_refused,
);

fn clock() -> Clock {
    common::clock()
}

fn at(hours: i64) -> Timestamp {
    common::anchor().plus_ms(hours * HOUR_MS)
}

fn project() -> ProjectId {
    ProjectId::new("conformance").unwrap()
}

fn unit_id(n: usize) -> UnitId {
    UnitId::new(format!("b1-{n:04}")).unwrap()
}

fn inspector() -> Actor {
    Actor {
        user: UserId::new("inspector").unwrap(),
        role: Role::Inspector,
        device: DeviceId::new("phone-1").unwrap(),
    }
}

/// A unit document being edited by `actor`, and the heads the store has of it.
struct Unit {
    doc: UnitDoc,
    stored: Vec<ChangeHash>,
    actor: Actor,
}

impl Unit {
    fn new(n: usize) -> Self {
        Self {
            doc: UnitDoc::new(&project(), &unit_id(n)),
            stored: Vec::new(),
            actor: inspector(),
        }
    }

    fn id(&self) -> DocId {
        DocId::Unit(self.doc.unit_id().unwrap())
    }

    fn record(&mut self, severity: Severity, description: &str) -> FindingId {
        self.doc
            .record_finding(
                &self.actor,
                at(0),
                common::ponding_leak(severity, description),
            )
            .unwrap()
    }

    /// The write that stores what changed since the last one, with the unit's projection.
    fn write(&mut self) -> DocWrite {
        let changes = new_changes(self.doc.automerge_mut(), &self.stored);
        let heads = self.doc.automerge_mut().get_heads();
        let projection = project_unit(&self.doc, at(1), &WorkflowSettings::default()).unwrap();
        let base = std::mem::replace(&mut self.stored, heads.clone());
        DocWrite {
            doc: self.id(),
            project: project(),
            device: Some(self.actor.device.clone()),
            changes,
            heads,
            base: Some(base),
            projection: Some(projection),
            claims: Vec::new(),
            contacts: Vec::new(),
        }
    }
}

fn all_cases() -> CaseFilter {
    CaseFilter {
        projects: vec![project()],
        ..CaseFilter::default()
    }
}

const ALL: Page = Page {
    offset: 0,
    limit: 1000,
};

async fn changes_are_stored_once_however_often_they_are_sent(b: Backend) {
    let mut unit = Unit::new(1);
    unit.record(Severity::S2, "门框松动");
    let first = unit.write();
    let sent = first.changes.len();
    assert!(sent > 0);
    b.store.write_docs(vec![first.clone()]).await.unwrap();
    // A device resends the batch after a cut connection; the server makes it on what it has
    // stored by then: nothing new is stored.
    let again = DocWrite {
        base: Some(first.heads.clone()),
        ..first.clone()
    };
    b.store.write_docs(vec![again]).await.unwrap();
    let loaded = b.store.load_doc(&unit.id()).await.unwrap().unwrap();
    assert_eq!(loaded.project, project());
    assert_eq!(loaded.changes.len(), sent);
    assert_eq!(
        b.store.doc_heads(&unit.id()).await.unwrap().unwrap(),
        sorted(first.heads.clone())
    );

    unit.record(Severity::S1, "卫生间渗水");
    let second = unit.write();
    b.store.write_docs(vec![second.clone()]).await.unwrap();
    let loaded = b.store.load_doc(&unit.id()).await.unwrap().unwrap();
    assert_eq!(loaded.changes.len(), sent + second.changes.len());
    // The stored changes rebuild the document the device has.
    let mut rebuilt = automerge::AutoCommit::new();
    for bytes in &loaded.changes {
        rebuilt
            .apply_changes([automerge::Change::from_bytes(bytes.clone()).unwrap()])
            .unwrap();
    }
    assert_eq!(sorted(rebuilt.get_heads()), sorted(second.heads.clone()));

    let summaries = b.store.doc_summaries(&[project()]).await.unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].doc, unit.id());
    assert_eq!(summaries[0].heads, HeadsDigest::of_heads(&second.heads));
    assert_eq!(b.store.all_docs().await.unwrap(), vec![unit.id()]);
    assert!(
        b.store
            .doc_summaries(&[ProjectId::new("elsewhere").unwrap()])
            .await
            .unwrap()
            .is_empty()
    );
    let work = b.store.device_work(&inspector().device, 10).await.unwrap();
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].doc, unit.id());
    assert_eq!(work[0].changes as usize, sent + second.changes.len());
}

async fn a_batch_lands_whole_or_not_at_all(b: Backend) {
    let mut good = Unit::new(1);
    good.record(Severity::S2, "墙面空鼓");
    let mut bad = Unit::new(2);
    bad.record(Severity::S2, "地砖破损");
    let mut bad_write = bad.write();
    // Number 2 of a series whose last number is 0: another writer must have taken 1.
    bad_write.claims.push(NumberClaim {
        series: Series::Notice,
        year: 2026,
        number: 2,
    });
    let err = b
        .store
        .write_docs(vec![good.write(), bad_write])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NumberTaken { number: 2, .. }),
        "{err:?}"
    );
    assert!(b.store.load_doc(&good.id()).await.unwrap().is_none());
    assert!(b.store.load_doc(&bad.id()).await.unwrap().is_none());
    assert_eq!(b.store.case_count(&all_cases()).await.unwrap(), 0);
    assert_eq!(b.store.next_number(Series::Notice, 2026).await.unwrap(), 1);
}

async fn a_write_made_on_heads_another_writer_replaced_is_refused(b: Backend) {
    // Two replicas hold the same stored unit and each records a finding on it.
    let mut first = Unit::new(8);
    first.record(Severity::S2, "原有");
    b.store.write_docs(vec![first.write()]).await.unwrap();
    let mut second = Unit {
        doc: UnitDoc::from_trusted(first.doc.automerge().clone()),
        stored: first.stored.clone(),
        actor: Actor {
            device: DeviceId::new("phone-2").unwrap(),
            ..inspector()
        },
    };
    first.record(Severity::S2, "甲服务器");
    second.record(Severity::S2, "乙服务器");
    let won = first.write();
    b.store.write_docs(vec![won.clone()]).await.unwrap();
    let lost = second.write();
    let err = b.store.write_docs(vec![lost.clone()]).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Stale { doc } if *doc == second.id()),
        "{err:?}"
    );
    // Nothing of the refused write is stored: heads and rows are the first writer's.
    assert_eq!(
        b.store.doc_heads(&first.id()).await.unwrap().unwrap(),
        sorted(won.heads.clone())
    );
    assert_eq!(b.store.case_count(&all_cases()).await.unwrap(), 2);
    // The loser loads what is stored, merges, and writes on the stored heads.
    let stored = b.store.load_doc(&second.id()).await.unwrap().unwrap();
    for bytes in &stored.changes {
        second
            .doc
            .automerge_mut()
            .apply_changes([automerge::Change::from_bytes(bytes.clone()).unwrap()])
            .unwrap();
    }
    second.stored = won.heads.clone();
    b.store.write_docs(vec![second.write()]).await.unwrap();
    assert_eq!(b.store.case_count(&all_cases()).await.unwrap(), 3);
    // A document that did not exist may be created once: a second creator is refused too.
    let mut created = Unit::new(9);
    created.record(Severity::S3, "新");
    let mut rival = Unit::new(9);
    rival.record(Severity::S3, "另一个新");
    b.store.write_docs(vec![created.write()]).await.unwrap();
    let err = b.store.write_docs(vec![rival.write()]).await.unwrap_err();
    assert!(matches!(err, StoreError::Stale { .. }), "{err:?}");
}

async fn acknowledged_writes_are_there_after_a_reopen(b: Backend) {
    let mut unit = Unit::new(7);
    unit.record(Severity::S1, "外窗渗水");
    let write = unit.write();
    b.store.write_docs(vec![write.clone()]).await.unwrap();
    let again = b.reopen().await;
    let loaded = again.load_doc(&unit.id()).await.unwrap().unwrap();
    assert_eq!(loaded.changes.len(), write.changes.len());
    assert_eq!(again.case_count(&all_cases()).await.unwrap(), 1);
}

async fn compaction_keeps_the_changes_stored_after_the_load(b: Backend) {
    let mut unit = Unit::new(3);
    for text in ["一", "二", "三"] {
        unit.record(Severity::S3, text);
        b.store.write_docs(vec![unit.write()]).await.unwrap();
    }
    assert_eq!(b.store.docs_to_compact(3).await.unwrap(), vec![unit.id()]);
    let loaded = b.store.load_doc(&unit.id()).await.unwrap().unwrap();
    let mut snapshot_doc = automerge::AutoCommit::new();
    for bytes in &loaded.changes {
        snapshot_doc
            .apply_changes([automerge::Change::from_bytes(bytes.clone()).unwrap()])
            .unwrap();
    }
    let snapshot = snapshot_doc.save();
    // A change arrives between the load and the compaction.
    unit.record(Severity::S3, "四");
    let late = unit.write();
    b.store.write_docs(vec![late.clone()]).await.unwrap();
    b.store
        .compact_doc(&unit.id(), snapshot, loaded.last_seq)
        .await
        .unwrap();

    let after = b.store.load_doc(&unit.id()).await.unwrap().unwrap();
    assert!(after.snapshot.is_some());
    assert_eq!(after.changes.len(), late.changes.len());
    let mut doc = automerge::AutoCommit::load(after.snapshot.as_deref().unwrap()).unwrap();
    for bytes in &after.changes {
        doc.apply_changes([automerge::Change::from_bytes(bytes.clone()).unwrap()])
            .unwrap();
    }
    assert_eq!(sorted(doc.get_heads()), sorted(late.heads.clone()));
    assert!(b.store.docs_to_compact(3).await.unwrap().is_empty());

    // A second compactor (another replica) that loaded before the first one compacted comes
    // late with its older snapshot: it must not put it back over the newer one.
    let newer = b.store.load_doc(&unit.id()).await.unwrap().unwrap();
    let mut whole = automerge::AutoCommit::load(newer.snapshot.as_deref().unwrap()).unwrap();
    for bytes in &newer.changes {
        whole
            .apply_changes([automerge::Change::from_bytes(bytes.clone()).unwrap()])
            .unwrap();
    }
    b.store
        .compact_doc(&unit.id(), whole.save(), newer.last_seq)
        .await
        .unwrap();
    b.store
        .compact_doc(&unit.id(), snapshot_doc.save(), loaded.last_seq)
        .await
        .unwrap();
    let last = b.store.load_doc(&unit.id()).await.unwrap().unwrap();
    let mut doc = automerge::AutoCommit::load(last.snapshot.as_deref().unwrap()).unwrap();
    assert!(last.changes.is_empty());
    assert_eq!(sorted(doc.get_heads()), sorted(late.heads));
}

async fn notice_numbers_stay_gapless_under_concurrent_writers(b: Backend) {
    const WRITERS: usize = 12;
    let mut tasks = Vec::new();
    for n in 0..WRITERS {
        let store = b.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut unit = Unit::new(100 + n);
            unit.record(Severity::S2, "整改");
            let mut write = unit.write();
            loop {
                let number = store.next_number(Series::Notice, 2026).await.unwrap();
                write.claims = vec![NumberClaim {
                    series: Series::Notice,
                    year: 2026,
                    number,
                }];
                match store.write_docs(vec![write.clone()]).await {
                    Ok(()) => return number,
                    Err(StoreError::NumberTaken { .. }) => continue,
                    Err(e) => panic!("{e:?}"),
                }
            }
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=WRITERS as u32).collect::<Vec<_>>());
    assert_eq!(
        b.store.next_number(Series::Notice, 2026).await.unwrap(),
        WRITERS as u32 + 1
    );
    // Each series and year counts on its own.
    assert_eq!(b.store.next_number(Series::Fine, 2026).await.unwrap(), 1);
    assert_eq!(b.store.next_number(Series::Notice, 2027).await.unwrap(), 1);
}

async fn projection_rows_are_replaced_not_added(b: Backend) {
    let version = || async { b.store.projection_version(&project()).await.unwrap() };
    assert_eq!(version().await, ProjectionVersion::default());
    let mut unit = Unit::new(4);
    let door = unit.record(Severity::S3, "入户门划痕");
    unit.record(Severity::S2, "地漏反味");
    b.store.write_docs(vec![unit.write()]).await.unwrap();
    assert_eq!(b.store.case_count(&all_cases()).await.unwrap(), 2);
    // Every write of a unit's rows moves the project's projection version, and the rows read
    // for the reports carry the version they were read at.
    let first = version().await;
    assert_eq!((first.units, first.writes), (1, 1));
    assert_eq!(
        b.store.report_rows(&project()).await.unwrap().version,
        first
    );

    unit.doc
        .edit_field(
            &inspector(),
            at(2),
            &door,
            FieldEdit::Severity(Severity::S1),
        )
        .unwrap();
    b.store.write_docs(vec![unit.write()]).await.unwrap();
    let cases = b.store.cases(&all_cases(), ALL).await.unwrap();
    assert_eq!(cases.len(), 2, "{cases:?}");
    let edited = cases.iter().find(|c| c.case.finding == door).unwrap();
    assert_eq!(edited.case.severity, Severity::S1);
    assert_eq!(edited.unit, unit_id(4));
    assert_eq!(edited.case.description, "入户门划痕");
    let second = version().await;
    assert_eq!((second.units, second.writes), (1, 2));

    // Rebuilding every projection moves it too, even for a project none of whose units is
    // projected again: its rows are gone.
    b.store.replace_all_projections(Vec::new()).await.unwrap();
    assert_eq!(b.store.case_count(&all_cases()).await.unwrap(), 0);
    assert_ne!(version().await, second);
}

async fn report_rows_read_by_unit_are_the_units_share_of_the_whole(b: Backend) {
    let mut writes = Vec::new();
    for u in 0..3 {
        let mut unit = Unit::new(20 + u);
        for i in 0..=u {
            unit.record(Severity::S2, &format!("缺陷{u}-{i}"));
        }
        writes.push(unit.write());
    }
    b.store.write_docs(writes).await.unwrap();
    let whole = b.store.report_rows(&project()).await.unwrap();
    assert_eq!(whole.cases.len(), 1 + 2 + 3);
    let chosen = [unit_id(20), unit_id(22)];
    let part = b
        .store
        .report_rows_of_units(&project(), &chosen)
        .await
        .unwrap();
    let findings = |rows: &plumbline_sync_server::store::ReportRows| -> BTreeSet<String> {
        rows.cases
            .iter()
            .map(|c| c.case.finding.to_string())
            .collect()
    };
    let expected: BTreeSet<String> = whole
        .cases
        .iter()
        .filter(|c| chosen.contains(&c.unit))
        .map(|c| c.case.finding.to_string())
        .collect();
    assert_eq!(expected.len(), 1 + 3);
    assert_eq!(findings(&part), expected);
    assert_eq!(part.version, whole.version);
    assert!(
        b.store
            .report_rows_of_units(&project(), &[])
            .await
            .unwrap()
            .cases
            .is_empty()
    );
    // Each unit's write count, summed, is the project's version.
    let units = b.store.projection_unit_versions(&project()).await.unwrap();
    assert_eq!(units.len(), 3, "{units:?}");
    assert_eq!(
        units.iter().map(|(_, w)| w).sum::<u64>(),
        whole.version.writes
    );
    assert!(
        units
            .iter()
            .all(|(u, w)| *w == 1 && whole.cases.iter().any(|c| &c.unit == u))
    );
}

async fn paging_and_filters_add_up(b: Backend) {
    let severities = [Severity::S1, Severity::S2, Severity::S3];
    let mut writes = Vec::new();
    for u in 0..3 {
        let mut unit = Unit::new(10 + u);
        for i in 0..5 {
            unit.record(severities[(u + i) % 3], &format!("缺陷{u}-{i}"));
        }
        writes.push(unit.write());
    }
    b.store.write_docs(writes).await.unwrap();
    let total = b.store.case_count(&all_cases()).await.unwrap();
    assert_eq!(total, 15);

    let mut seen = BTreeSet::new();
    for offset in (0..16).step_by(4) {
        let page = b
            .store
            .cases(&all_cases(), Page { offset, limit: 4 })
            .await
            .unwrap();
        assert_eq!(page.len(), 4.min(15 - offset as usize), "offset {offset}");
        for case in page {
            assert!(
                seen.insert(case.case.finding.clone()),
                "{} twice",
                case.case.finding
            );
        }
    }
    assert_eq!(seen.len(), 15);

    let mut by_severity = 0;
    for severity in severities {
        let filter = CaseFilter {
            severity: Some(severity),
            ..all_cases()
        };
        let count = b.store.case_count(&filter).await.unwrap();
        let rows = b.store.cases(&filter, ALL).await.unwrap();
        assert_eq!(rows.len() as u64, count);
        assert!(rows.iter().all(|c| c.case.severity == severity));
        by_severity += count;
    }
    assert_eq!(by_severity, total);

    let one_unit = CaseFilter {
        unit: Some(unit_id(11)),
        ..all_cases()
    };
    let rows = b.store.cases(&one_unit, ALL).await.unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|c| c.unit == unit_id(11)));
    let text = CaseFilter {
        text: Some("缺陷2-3".into()),
        ..all_cases()
    };
    assert_eq!(b.store.case_count(&text).await.unwrap(), 1);
    let elsewhere = CaseFilter {
        projects: vec![ProjectId::new("elsewhere").unwrap()],
        ..CaseFilter::default()
    };
    assert_eq!(b.store.case_count(&elsewhere).await.unwrap(), 0);
}

fn person(login: &str) -> NewUser {
    NewUser {
        user: UserId::new(login).unwrap(),
        display_name: format!("{login} 的名字"),
        password_hash: Some(format!("hash-of-{login}")),
    }
}

async fn accounts_refuse_duplicates_and_roles_change_in_place(b: Backend) {
    b.store.create_user(person("wang")).await.unwrap();
    b.store.create_user(person("chen")).await.unwrap();
    let err = b.store.create_user(person("wang")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let wang = UserId::new("wang").unwrap();
    assert_eq!(
        b.store.password_hash(&wang).await.unwrap().as_deref(),
        Some("hash-of-wang")
    );
    assert!(
        b.store
            .password_hash(&UserId::new("nobody").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    for role in [Role::Inspector, Role::Manager] {
        b.store
            .set_membership(
                &wang,
                Membership {
                    project: project(),
                    role,
                    contractor: None,
                },
            )
            .await
            .unwrap();
    }
    let (name, memberships) = b.store.user(&wang).await.unwrap().unwrap();
    assert_eq!(name, "wang 的名字");
    assert_eq!(memberships.len(), 1, "{memberships:?}");
    assert_eq!(memberships[0].role, Role::Manager);
    let logins: Vec<String> = b
        .store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.user.to_string())
        .collect();
    assert_eq!(logins, ["chen", "wang"]);
}

async fn an_enrollment_code_enrolls_one_device_even_when_raced(b: Backend) {
    b.store.create_user(person("li")).await.unwrap();
    let li = UserId::new("li").unwrap();
    let code = [7u8; 32];
    b.store
        .create_enrollment_code(code, &li, at(1))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for n in 0..8u8 {
        let store = b.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .enroll_device(
                    code,
                    &DeviceId::new(format!("phone-{n}")).unwrap(),
                    None,
                    "华为 Mate",
                    [n; 32],
                    at(0),
                )
                .await
        }));
    }
    let mut enrolled = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(identity) => enrolled.push(identity),
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(enrolled.len(), 1, "{enrolled:?}");
    let device = enrolled[0].device.clone();
    let token = [device
        .as_str()
        .trim_start_matches("phone-")
        .parse::<u8>()
        .unwrap(); 32];
    let identity = b
        .store
        .identity_by_token(token, at(0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(identity.user, li);
    assert_eq!(b.store.devices().await.unwrap().len(), 1);

    let unknown = b
        .store
        .enroll_device(
            [9; 32],
            &DeviceId::new("x").unwrap(),
            None,
            "x",
            [9; 32],
            at(0),
        )
        .await
        .unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound(_)), "{unknown:?}");
    let late = [8u8; 32];
    b.store
        .create_enrollment_code(late, &li, at(1))
        .await
        .unwrap();
    let expired = b
        .store
        .enroll_device(
            late,
            &DeviceId::new("y").unwrap(),
            None,
            "y",
            [10; 32],
            at(2),
        )
        .await
        .unwrap_err();
    assert!(matches!(expired, StoreError::Conflict(_)), "{expired:?}");

    b.store.revoke_device(&device, at(3)).await.unwrap();
    assert!(
        b.store
            .identity_by_token(token, at(3))
            .await
            .unwrap()
            .is_none()
    );
}

async fn sign_in_attempts_are_counted_one_by_one(b: Backend) {
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = b.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .begin_login_attempt("zhao", at(0), 100, HOUR_MS)
                .await
                .unwrap()
        }));
    }
    let mut counted = BTreeSet::new();
    for task in tasks {
        match task.await.unwrap() {
            LoginAttempt::Counted(n) => assert!(counted.insert(n), "{n} counted twice"),
            LoginAttempt::Locked => panic!("locked before the limit"),
        }
    }
    assert_eq!(counted, (1..=10).collect());
    assert_eq!(
        b.store
            .begin_login_attempt("zhao", at(0), 11, HOUR_MS)
            .await
            .unwrap(),
        LoginAttempt::Counted(11)
    );
    assert_eq!(
        b.store
            .begin_login_attempt("zhao", at(0), 11, HOUR_MS)
            .await
            .unwrap(),
        LoginAttempt::Locked
    );
    // Another name is not locked with it.
    assert_eq!(
        b.store
            .begin_login_attempt("qian", at(0), 11, HOUR_MS)
            .await
            .unwrap(),
        LoginAttempt::Counted(1)
    );
    b.store.clear_login_failures("zhao").await.unwrap();
    assert_eq!(
        b.store
            .begin_login_attempt("zhao", at(0), 11, HOUR_MS)
            .await
            .unwrap(),
        LoginAttempt::Counted(1)
    );
}

async fn web_sessions_expire_and_end(b: Backend) {
    b.store.create_user(person("sun")).await.unwrap();
    let sun = UserId::new("sun").unwrap();
    let cookie = [3u8; 32];
    b.store
        .create_web_session(NewWebSession {
            session_hash: cookie,
            user: sun.clone(),
            csrf_token: "csrf".into(),
            created_at: at(0),
            expires_at: at(8),
        })
        .await
        .unwrap();
    let session = b.store.web_session(cookie, at(1)).await.unwrap().unwrap();
    assert_eq!(session.user, sun);
    assert_eq!(session.csrf_token, "csrf");
    assert!(b.store.web_session(cookie, at(9)).await.unwrap().is_none());
    b.store.delete_web_session(cookie).await.unwrap();
    assert!(b.store.web_session(cookie, at(1)).await.unwrap().is_none());
}

async fn evidence_rows_follow_the_documents_and_the_uploads(b: Backend) {
    let mut unit = Unit::new(5);
    let crack = unit.record(Severity::S2, "墙面裂缝");
    let bytes = b"a photo".to_vec();
    let hash = BlobHash::of(&bytes);
    unit.doc
        .attach_evidence(
            &inspector(),
            at(0),
            &crack,
            common::photo(&inspector(), at(0), hash.clone(), bytes.len() as u64),
        )
        .unwrap();
    b.store.write_docs(vec![unit.write()]).await.unwrap();
    assert_eq!(b.store.blob_projects(&hash).await.unwrap(), vec![project()]);
    assert!(!b.store.blob_exists(&hash).await.unwrap());
    let status = b
        .store
        .evidence_status(&[project()], Some(&unit_id(5)))
        .await
        .unwrap();
    assert_eq!((status.referenced, status.arrived), (1, 0));
    assert_eq!(status.missing, vec![hash.clone()]);

    for _ in 0..2 {
        b.store
            .record_blob(&hash, bytes.len() as u64, "image/jpeg", at(1))
            .await
            .unwrap();
    }
    assert!(b.store.blob_exists(&hash).await.unwrap());
    let status = b.store.evidence_status(&[project()], None).await.unwrap();
    assert_eq!((status.referenced, status.arrived), (1, 1));
    assert!(status.missing.is_empty());
}

async fn device_positions_are_remembered_moved_and_forgotten(b: Backend) {
    b.store.create_user(person("zhou")).await.unwrap();
    let zhou = UserId::new("zhou").unwrap();
    b.store
        .create_enrollment_code([4; 32], &zhou, at(1))
        .await
        .unwrap();
    let phone = DeviceId::new("phone-zhou").unwrap();
    b.store
        .enroll_device([4; 32], &phone, None, "vivo", [5; 32], at(0))
        .await
        .unwrap();
    let digest = |seed: u8| HeadsDigest::of_heads(&[ChangeHash([seed; 32])]);
    let (a, c) = (DocId::Unit(unit_id(1)), DocId::Unit(unit_id(2)));

    // Unknown until told; moves of an unknown position change nothing.
    assert_eq!(b.store.device_position(&phone).await.unwrap(), None);
    b.store
        .update_device_position(&phone, &[(a.clone(), Some(digest(1)))])
        .await
        .unwrap();
    assert_eq!(b.store.device_position(&phone).await.unwrap(), None);

    // An empty position is a known one.
    b.store
        .replace_device_position(&phone, &Position::new())
        .await
        .unwrap();
    assert_eq!(
        b.store.device_position(&phone).await.unwrap(),
        Some(Position::new())
    );
    let mut position = Position::from([(a.clone(), digest(1)), (c.clone(), digest(2))]);
    b.store
        .replace_device_position(&phone, &position)
        .await
        .unwrap();
    b.store
        .update_device_position(&phone, &[(a.clone(), Some(digest(3)))])
        .await
        .unwrap();
    position.insert(a.clone(), digest(3));
    assert_eq!(
        b.store.device_position(&phone).await.unwrap(),
        Some(position.clone())
    );
    // A replacement drops what is not in it.
    let only_c = Position::from([(c.clone(), digest(4))]);
    b.store
        .replace_device_position(&phone, &only_c)
        .await
        .unwrap();
    assert_eq!(b.store.device_position(&phone).await.unwrap(), Some(only_c));
    // A document whose heads the server cannot tell forgets the whole position.
    b.store
        .update_device_position(&phone, &[(a, Some(digest(5))), (c, None)])
        .await
        .unwrap();
    assert_eq!(b.store.device_position(&phone).await.unwrap(), None);
}

async fn a_lease_has_one_holder_until_it_expires(b: Backend) {
    let take = |holder: &'static str, from: i64, to: i64| {
        let store = b.store.clone();
        async move {
            store
                .take_lease("verdicts", holder, at(from), at(to))
                .await
                .unwrap()
        }
    };
    assert!(take("server-a", 0, 2).await);
    assert!(!take("server-b", 1, 3).await, "taken by another");
    assert!(take("server-a", 1, 4).await, "renewed by its holder");
    assert!(!take("server-b", 3, 5).await, "renewed until 4");
    assert!(take("server-b", 4, 6).await, "expired at 4");
    assert!(!take("server-a", 5, 7).await);
    // Leases are by name.
    assert!(
        b.store
            .take_lease("compaction", "server-a", at(5), at(7))
            .await
            .unwrap()
    );
    // Of replicas asking at once, one gets it.
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = b.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .take_lease("race", &format!("server-{n}"), at(0), at(1))
                .await
                .unwrap()
        }));
    }
    let mut holders = 0;
    for task in tasks {
        holders += usize::from(task.await.unwrap());
    }
    assert_eq!(holders, 1);
}

async fn a_database_migrated_by_a_newer_server_is_refused(b: Backend) {
    const FUTURE: &str = "29991231000000_from_a_newer_server";
    let sqlite = b.is_sqlite();
    drop(b.store);
    if sqlite {
        let path = b.url.trim_start_matches("sqlite:");
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, 0)",
            [FUTURE],
        )
        .unwrap();
    } else {
        let (client, connection) = tokio_postgres::connect(&b.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        client
            .execute(
                "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, 0)",
                &[&FUTURE],
            )
            .await
            .unwrap();
        drop(client);
        let _ = driver.await;
    }
    let err = match store::connect(&b.url, clock()).await {
        Ok(_) => panic!("a database with an unknown migration was opened"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains(FUTURE), "{err}");
    assert!(err.contains("newer"), "{err}");
}

/// Every earlier SQLite schema (the migrations up to each one, with a document stored) opens
/// with the current server, which migrates it and still reads what was stored.
#[tokio::test]
async fn every_earlier_sqlite_schema_migrates_to_the_current_one() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    let mut migrations: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    migrations.sort();
    assert!(migrations.len() >= 15, "{} migrations", migrations.len());
    for applied in 1..=migrations.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
            )
            .unwrap();
            for (name, sql) in &migrations[..applied] {
                conn.execute_batch(sql)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?1, 0)",
                    [name],
                )
                .unwrap();
            }
            conn.execute(
                "INSERT INTO users (user_id, display_name, created_at) VALUES ('old', '老用户', 0)",
                [],
            )
            .unwrap_or_else(|e| panic!("after {}: {e}", migrations[applied - 1].0));
        }
        let url = format!("sqlite:{}", path.display());
        let store = store::connect(&url, clock()).await.unwrap_or_else(|e| {
            panic!("opening the schema of {}: {e:#}", migrations[applied - 1].0)
        });
        let old = store.user(&UserId::new("old").unwrap()).await.unwrap();
        assert_eq!(
            old.unwrap().0,
            "老用户",
            "after {}",
            migrations[applied - 1].0
        );
        let mut unit = Unit::new(1);
        unit.record(Severity::S2, "迁移后");
        store.write_docs(vec![unit.write()]).await.unwrap();
        assert_eq!(store.case_count(&all_cases()).await.unwrap(), 1);
    }
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}
