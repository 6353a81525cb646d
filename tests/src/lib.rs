//! # plumbline-tests
//!
//! End-to-end scenarios across Plumbline's parts: a real sync server on a loopback port with
//! temporary storage ([`TestServer`]), and headless device engines (`plumbline_app::Engine`)
//! acting as inspectors, contractors and office staff, each working offline and then syncing.
//! [`proxy::CuttingProxy`] stands between them where a scenario needs a bad network.
//!
//! The scenarios live in `tests/`, named after what they show.

pub mod field_day;
pub mod proxy;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use plumbline_shared::clock::Clock;
use plumbline_shared::demo::demo_project;
use plumbline_shared::ids::{ContractorId, UserId};
use plumbline_shared::project::Project;
use plumbline_shared::role::Role;
use plumbline_shared::time::{HOUR_MS, Timestamp};
use plumbline_sync_server::config::Config;
use plumbline_sync_server::state::AppState;
use plumbline_sync_server::store::Membership;
use plumbline_sync_server::{account_admin, build_state, launch, setup};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A sync server on 127.0.0.1 holding the demo project, with its own data folder. It can be
/// stopped and started again on the same folder and port, like a server that went down.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state (store, documents), for asserting on what it holds.
    pub state: AppState,
    /// The demo project.
    pub project: Project,
    /// The server's clock: it starts at [`ANCHOR`] and runs at real speed; devices of a test
    /// open their engines on a clone of it, so their times agree with the server's.
    pub clock: Clock,
    data: PathBuf,
    running: Option<(oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>)>,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// The instant every scenario starts at: 2026-11-27 09:00 in Beijing, the demo project's date.
/// Tests never depend on the day they run.
pub fn anchor() -> Timestamp {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("a valid date");
    Timestamp::start_of_day_cst(date).plus_ms(9 * HOUR_MS)
}

impl TestServer {
    /// Starts a server holding the demo project (dated 2026-11-27), on a clock that starts at
    /// [`anchor`] and runs at real speed.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with_clock(Clock::flowing_from(anchor())).await
    }

    /// Starts a server holding the demo project on `clock`.
    pub async fn start_with_clock(clock: Clock) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("server");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = build_state(Config::for_data_dir(&data, addr)?, clock.clone()).await?;
        let project = demo_project(anchor().date_cst())?;
        setup::create_project(&state, &project).await?;
        let running = Some(serve(state.clone(), listener));
        Ok(Self {
            addr,
            state,
            project,
            clock,
            data,
            running,
            _dir: dir,
        })
    }

    /// The address a device enrolls with.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// Creates a user with `role` in the demo project (once) and returns a one-time
    /// enrollment code for a device of theirs.
    pub async fn code_for(&self, login: &str, role: Role) -> anyhow::Result<String> {
        let user = UserId::new(login)?;
        if self.state.store.password_hash(&user).await?.is_none() {
            let contractor = (role == Role::Contractor)
                .then(|| ContractorId::new("hengzhu-civil"))
                .transpose()?;
            let membership = Membership {
                project: self.project.id.clone(),
                role,
                contractor,
            };
            account_admin::add_user(&self.state, &user, login, Some("password-123"), membership)
                .await?;
        }
        account_admin::enrollment_code(&self.state, &user).await
    }

    /// The case records the server holds for one unit (at most 500), newest first.
    pub async fn cases_of(
        &self,
        unit: &plumbline_shared::ids::UnitId,
    ) -> anyhow::Result<Vec<plumbline_sync_server::store::CaseRecord>> {
        let filter = plumbline_sync_server::store::CaseFilter {
            projects: vec![self.project.id.clone()],
            unit: Some(unit.clone()),
            ..Default::default()
        };
        let page = plumbline_sync_server::store::Page {
            offset: 0,
            limit: 500,
        };
        Ok(self.state.store.cases(&filter, page).await?)
    }

    /// Appends `kind` to `finding` of `unit` for `person`, at the server's time, through the
    /// server's own write path: the way the office pages issue a notice or a fine slip, whose
    /// numbers no device may supply. The event is written from the office's own device for
    /// that person, never from the person's phone (whose changes it would collide with).
    pub async fn office_event(
        &self,
        unit: &plumbline_shared::ids::UnitId,
        finding: &plumbline_shared::ids::FindingId,
        person: &plumbline_shared::role::Actor,
        kind: plumbline_shared::event::EventKind,
    ) -> anyhow::Result<()> {
        let doc = plumbline_shared::doc::DocId::Unit(unit.clone());
        let at = self.clock.now();
        let actor = plumbline_shared::role::Actor {
            device: plumbline_shared::ids::DeviceId::new(format!("web-office-{}", person.user))?,
            ..person.clone()
        };
        plumbline_sync_server::unit_write::edit_unit(&self.state, &doc, None, 0, |u, _, _| {
            u.append_event(&actor, at, finding, kind)
                .map(|_| ())
                .map_err(|e| plumbline_sync_server::error::ApiError::Internal(e.into()))
        })
        .await
        .map_err(|e| anyhow::anyhow!("the office's event on {doc}: {e:?}"))
    }

    /// Stops serving, letting requests in flight finish. Connections are refused until
    /// [`Self::restart`].
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some((tx, task)) = self.running.take() {
            let _ = tx.send(());
            task.await??;
        }
        Ok(())
    }

    /// Starts serving again on the same folder and port, from what is on disk.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        self.state = build_state(
            Config::for_data_dir(&self.data, self.addr)?,
            self.clock.clone(),
        )
        .await?;
        self.running = Some(serve(self.state.clone(), listener));
        Ok(())
    }
}

fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
) -> (oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>) {
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(launch(state, listener, async {
        let _ = rx.await;
    }));
    (tx, task)
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some((tx, _)) = self.running.take() {
            let _ = tx.send(());
        }
    }
}

/// A stand-in photo that passes the server's checks, `len` long (at least 286 bytes) and
/// different for each `seed`.
pub fn fake_jpeg(len: usize, seed: u64) -> Vec<u8> {
    // A real 16 × 16 JPEG, then bytes after its end that decoders skip: the server decodes
    // what it keeps, and each seed still gives other bytes, another hash.
    let mut v = TINY_JPEG.to_vec();
    let mut x = seed | 1;
    v.extend((v.len()..len.max(v.len())).map(|_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x as u8
    }));
    v
}

/// A 16 × 16 JPEG, 286 bytes.
pub const TINY_JPEG: &[u8] = include_bytes!("../../assets/fixtures/tiny.jpg");
