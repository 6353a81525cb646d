//! A throwaway PostgreSQL cluster for the tests, started by the test process itself.
//!
//! The first test that asks for a database starts one cluster for the whole test binary: Debian's
//! server binaries (`/usr/lib/postgresql/<version>/bin`, installed by `cargo xtask test`),
//! `initdb` into a fresh temporary folder, a free port on loopback. Each test then gets a
//! database of its own in it ([`fresh_database`]), so tests run in parallel without seeing each
//! other's rows.
//!
//! The cluster must not outlive the tests, and a test binary never runs destructors of
//! statics. So the cluster is started by a small watchdog shell, a child of the test process:
//! it starts the server, waits while its parent lives, then stops the server immediately and
//! removes the folder. Whether the tests pass, fail or panic, nothing is left running.
//!
//! There is no skipping: without PostgreSQL binaries the tests that need them fail, saying how
//! to install them. `PLUMBLINE_TEST_POSTGRES=postgres://…` points the tests at a server of
//! one's own instead (its user must be allowed to create databases).
//!
//! The test cluster runs with `fsync = off`: it is thrown away, and what the tests check is
//! what the store does, not the disk. The store's durability promise is the server's setting
//! (`synchronous_commit` on, the default) and holds on a real cluster.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The environment variable naming a server to use instead of a throwaway cluster.
pub const SERVER_ENV: &str = "PLUMBLINE_TEST_POSTGRES";

/// The user the throwaway cluster is created for (trust authentication on loopback).
const SUPERUSER: &str = "plumbline";

/// The URL of a new, empty database on the test cluster (started on first use).
pub async fn fresh_database() -> String {
    create_database(&server_url()).await
}

/// The URL of a new, empty database on a second throwaway cluster that keeps PostgreSQL's
/// durability (`fsync`, `synchronous_commit` and full page writes on, as in production), for
/// the benchmarks: their figures set it beside SQLite with `synchronous = FULL`.
pub async fn durable_database() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    let server = URL.get_or_init(|| start_cluster(true)).clone();
    create_database(&server).await
}

async fn create_database(server: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let name = format!(
        "plumbline_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let (client, connection) =
        tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connecting to the test PostgreSQL at {server}: {e}"));
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    drop(client);
    let _ = driver.await;
    format!("{server}/{name}")
}

/// `postgres://user@host:port` of the server the tests use, without a database name.
fn server_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var(SERVER_ENV) {
        Ok(url) if !url.is_empty() => url.trim_end_matches('/').to_owned(),
        _ => start_cluster(false),
    })
    .clone()
}

/// The newest installed PostgreSQL's server binaries (and its client programs).
pub fn server_binaries() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "the PostgreSQL tests need Debian's PostgreSQL server (no /usr/lib/postgresql/*/bin/\
             initdb): run `cargo xtask test`, which installs it, or `apt-get install postgresql`, \
             or set {SERVER_ENV} to a server of your own"
        ),
    }
}

/// Whether this process runs as root (PostgreSQL refuses to), read from the owner of its own
/// `/proc` entry so that no `unsafe` call is needed.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Runs a PostgreSQL program, as the `postgres` user when this process is root.
fn pg_command(bin: &Path, program: &str) -> Command {
    let path = bin.join(program);
    if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(path);
        command
    } else {
        Command::new(path)
    }
}

/// Starts a cluster; unless `durable`, without syncing anything to disk (it is thrown away).
fn start_cluster(durable: bool) -> String {
    let bin = server_binaries();
    let dir = tempfile::Builder::new()
        .prefix("plumbline-pg-")
        .tempdir()
        .unwrap()
        .keep();
    if running_as_root() {
        let status = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "chown of {} failed", dir.display());
    }
    let data = dir.join("data");
    let output = pg_command(&bin, "initdb")
        .args([
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "-U",
            SUPERUSER,
            "-D",
        ])
        .arg(&data)
        .output()
        .unwrap_or_else(|e| panic!("running initdb from {}: {e}", bin.display()));
    assert!(
        output.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let port = super::watchdog::free_port();
    let fast = if durable {
        ""
    } else {
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    };
    let options = format!(
        "-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c max_connections=300{fast}",
        dir = dir.display()
    );
    let pg_ctl = pg_command(&bin, "pg_ctl");
    let start = format!(
        "{} -D {data} -o '{options}' -l {log} -w start",
        command_line(&pg_ctl),
        data = data.display(),
        log = dir.join("log").display(),
    );
    let stop = format!(
        "{} -D {data} -m immediate stop",
        command_line(&pg_ctl),
        data = data.display()
    );
    // The watchdog: start, then wait for the test process (our parent, `$PPID`) to end, stop.
    let script = format!(
        "{start} >/dev/null 2>&1 || exit 1; echo started; \
         while kill -0 $PPID 2>/dev/null; do sleep 0.5; done; \
         {stop} >/dev/null 2>&1; rm -rf {dir}",
        dir = dir.display()
    );
    if !super::watchdog::start(&script) {
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        panic!("the test PostgreSQL cluster did not start:\n{log}");
    }
    wait_for_port(port);
    format!("postgres://{SUPERUSER}@127.0.0.1:{port}")
}

/// `pg_ctl -w` waits for the server, but only over its Unix socket; the tests use TCP.
fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the test PostgreSQL never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A command as one shell line (its program and arguments contain no spaces or quotes).
fn command_line(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
