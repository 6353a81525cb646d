//! The real server binary as a child process, for the tests that crash it, stop it with a
//! signal or read what it prints.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Longest a server may take to become ready or to exit.
const WAIT: Duration = Duration::from_secs(90);

/// The server binary, killed (SIGKILL) when dropped so that a failing test leaves no process
/// behind; its log is printed when the test is failing.
pub struct ServerProcess {
    child: Child,
    log: PathBuf,
    stdout: PathBuf,
}

impl ServerProcess {
    /// Starts `serve` on `<dir>/data` at `addr` with the metrics listener off, and waits until
    /// it answers `/readyz`.
    pub async fn serve(dir: &Path, addr: SocketAddr, log_name: &str) -> Self {
        Self::run(dir, "serve", addr, "metrics_listen = \"\"\n", log_name).await
    }

    /// Starts `command` (`serve` or `demo`) on `<dir>/data` at `addr` with the configuration
    /// file `config` (TOML), and waits until it answers `/readyz`. A configuration file of the
    /// test's own means the working folder's `plumbline-server.toml` is never read.
    pub async fn run(
        dir: &Path,
        // The subcommand and its own flags, separated by spaces (`demo --empty`).
        command: &str,
        addr: SocketAddr,
        config: &str,
        log_name: &str,
    ) -> Self {
        let config_file = dir.join(format!("{log_name}.toml"));
        std::fs::write(&config_file, config).unwrap();
        let log = dir.join(log_name);
        let stdout = dir.join(format!("{log_name}.stdout"));
        let child = Command::new(env!("CARGO_BIN_EXE_plumbline-sync-server"))
            .arg("--config")
            .arg(&config_file)
            .args(command.split_whitespace())
            .arg("--data")
            .arg(dir.join("data"))
            .arg("--listen")
            .arg(addr.to_string())
            // The binary's clock starts where this process's test clock is.
            .arg("--clock-from")
            .arg(super::now().to_string())
            .current_dir(dir)
            // The access log, and the line saying a request's head was read (tests that act
            // while a request is in flight wait for it).
            .env("RUST_LOG", "info,tower_http::trace::on_request=debug")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self { child, log, stdout };
        server.wait_ready(addr).await;
        server
    }

    async fn wait_ready(&mut self, addr: SocketAddr) {
        let http = reqwest::Client::new();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the server exited ({status}) before it was ready");
            }
            let res = http
                .get(format!("http://{addr}/readyz"))
                .timeout(Duration::from_secs(1))
                .send()
                .await;
            if res.is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(start.elapsed() < WAIT, "the server never became ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// What the server printed on stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// The most memory the process has held so far (`VmHWM`, its peak resident set), in
    /// bytes.
    pub fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no VmHWM in:\n{status}"));
        kib * 1024
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL (what `Child::kill` sends on Unix): the process ends at once, mid-request.
    pub fn crash(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM, the polite stop of a service manager.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit.
    pub async fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < WAIT, "the server did not exit");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- server log (last lines) ---");
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// A free loopback port: bound, read and released. The server binds it right after; a
/// restarted server binds it again (tokio sets `SO_REUSEADDR`, so connections of a killed
/// process lingering in `TIME_WAIT` do not block it).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}
