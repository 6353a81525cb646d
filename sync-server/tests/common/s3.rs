//! A real S3-compatible server for the tests, started by the test process itself on loopback:
//! **Garage** ([`garage`]), the distributed object store operators run in production, as one
//! single node. It speaks signed S3 over HTTP like any other deployment of it; the upload tests
//! run on it as well as on the local folder, and so do the replica tests.
//!
//! It is started once per test binary, by a watchdog shell like the PostgreSQL cluster's
//! ([`super::postgres`]): the shell starts the server, waits while the test process lives, then
//! stops it and removes its folder. Each test gets a prefix of its own in the one bucket
//! ([`S3Service::fresh_blobs`]), so tests run in parallel without seeing each other's objects.
//!
//! The binary is installed by `cargo xtask test` into `<target dir>/test-tools/bin`, which is
//! where the tests look first (then in `PLUMBLINE_TEST_TOOLS`, then on `PATH`). Without it the
//! tests fail, saying how to install it: nothing is skipped.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use plumbline_sync_server::config::BlobConfig;

/// The environment variable naming a folder holding the `garage` binary.
pub const TOOLS_ENV: &str = "PLUMBLINE_TEST_TOOLS";

/// The one bucket each test server holds.
const BUCKET: &str = "plumbline";

/// A running S3-compatible server.
#[derive(Debug)]
pub struct S3Service {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The region it signs for.
    region: &'static str,
    access_key_id: &'static str,
    secret_access_key: &'static str,
}

impl S3Service {
    /// A `[blobs]` configuration for a prefix of the bucket no other test uses.
    pub fn fresh_blobs(&self) -> BlobConfig {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        let prefix = format!(
            "test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        BlobConfig {
            dir: String::new(),
            url: format!("s3://{BUCKET}/{prefix}"),
            endpoint: self.endpoint.clone(),
            region: self.region.into(),
            access_key_id: self.access_key_id.into(),
            secret_access_key: self.secret_access_key.into(),
        }
    }
}

/// The single-node Garage of this test binary (started on first use), its bucket and key made
/// by Garage's own `--single-node --default-bucket` start.
pub fn garage() -> &'static S3Service {
    static SERVICE: OnceLock<S3Service> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let binary = tool("garage");
        let dir = scratch("plumbline-garage-");
        let (s3_port, rpc_port) = (super::watchdog::free_port(), super::watchdog::free_port());
        // Garage's own key format: "GK" and 24 hex digits; the secret is 64 hex digits.
        let access = "GK0123456789abcdef01234567";
        let secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let config = dir.join("garage.toml");
        std::fs::write(
            &config,
            format!(
                "metadata_dir = \"{meta}\"\n\
                 data_dir = \"{data}\"\n\
                 db_engine = \"sqlite\"\n\
                 replication_factor = 1\n\
                 rpc_bind_addr = \"127.0.0.1:{rpc_port}\"\n\
                 rpc_public_addr = \"127.0.0.1:{rpc_port}\"\n\
                 rpc_secret = \"{secret}\"\n\
                 [s3_api]\n\
                 api_bind_addr = \"127.0.0.1:{s3_port}\"\n\
                 s3_region = \"garage\"\n",
                meta = dir.join("meta").display(),
                data = dir.join("data").display(),
            ),
        )
        .unwrap();
        let server = format!(
            "GARAGE_DEFAULT_ACCESS_KEY={access} GARAGE_DEFAULT_SECRET_KEY={secret} \
             GARAGE_DEFAULT_BUCKET={BUCKET} {binary} -c {config} server --single-node \
             --default-bucket",
            binary = binary.display(),
            config = config.display(),
        );
        watch(&server, &dir, s3_port, "garage");
        S3Service {
            endpoint: format!("http://127.0.0.1:{s3_port}"),
            region: "garage",
            access_key_id: access,
            secret_access_key: secret,
        }
    })
}

/// Where a test tool is: the test-tools folder beside this binary's target folder, the
/// folder [`TOOLS_ENV`] names, or `PATH`.
fn tool(name: &str) -> PathBuf {
    let beside_target = std::env::current_exe().ok().and_then(|exe| {
        // <target>/debug/deps/server-<hash>
        let target = exe.parent()?.parent()?.parent()?;
        Some(target.join("test-tools").join("bin"))
    });
    let from_env = std::env::var_os(TOOLS_ENV).map(PathBuf::from);
    let path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    beside_target
        .into_iter()
        .chain(from_env)
        .chain(path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "the S3 tests need `{name}`, a real S3-compatible server: run `cargo xtask test` \
                 (or `cargo xtask test-tools`), which installs it into <target dir>/test-tools, \
                 or put it in the folder {TOOLS_ENV} names or on PATH"
            )
        })
}

/// A fresh folder that outlives this function (the watchdog removes it).
fn scratch(prefix: &str) -> PathBuf {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .unwrap()
        .keep()
}

/// Starts `server` (one shell line) under a watchdog that stops it and removes `dir` when this
/// process ends, then waits until it listens on `port`.
fn watch(server: &str, dir: &std::path::Path, port: u16, name: &str) {
    let log = dir.join("log");
    let script = format!(
        "{server} >{log} 2>&1 & child=$!; echo started; \
         while kill -0 $PPID 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done; \
         kill -9 $child 2>/dev/null; wait; rm -rf {dir}",
        log = log.display(),
        dir = dir.display(),
    );
    assert!(
        super::watchdog::start(&script),
        "the {name} watchdog did not start"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the test {name} never listened on {port}:\n{output}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
