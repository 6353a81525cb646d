//! Programs the tests run that Debian does not package, built from crates.io into
//! `<target dir>/test-tools` (where the tests look for them, see
//! `sync-server/tests/common/s3.rs`), and the npm packages of the JavaScript client in
//! `tests/js-client` (into its own `node_modules`, from its lock file).
//!
//! They live in the target folder so that a kept target folder keeps them too: a warm run
//! finds each at its pinned version and builds nothing; `cargo clean` removes them with the
//! rest. They are built unoptimised and without debug info (`--debug`, `debug = false`): the
//! tests ask little of them, and such a build takes a fraction of a release build's time on a
//! cold run.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;

use anyhow::{Context, Result};

use crate::cmd;

/// A program built from a crates.io package.
#[derive(Debug)]
struct TestTool {
    /// The package on crates.io.
    package: &'static str,
    /// The pinned version (and the version `<binary> --version` prints).
    version: &'static str,
    /// The binary it installs.
    binary: &'static str,
    /// Features, with the package's defaults off.
    features: &'static str,
    /// Environment for the build.
    env: &'static [(&'static str, &'static str)],
    /// Why the tests need it.
    why: &'static str,
}

/// Every test tool: the one list to extend.
const TEST_TOOLS: &[TestTool] = &[TestTool {
    package: "garage",
    version: "2.5.0",
    binary: "garage",
    // SQLite for its metadata (bundled, like ours) instead of LMDB; no metrics or K2V.
    features: "sqlite,bundled-libs",
    // libsodium from Debian (`libsodium-dev`, a system prerequisite) instead of building the
    // bundled copy and running its whole test suite.
    env: &[("SODIUM_USE_PKG_CONFIG", "1")],
    why: "a real S3-compatible object store: the upload tests and the replica tests keep \
          photos in it",
}];

/// The folder the tools are installed into: `<target dir>/test-tools` (binaries in `bin/`).
pub fn root() -> Result<PathBuf> {
    Ok(cmd::target_dir()?.join("test-tools"))
}

/// Installs every tool missing (or at another version) from `<target dir>/test-tools`, its
/// build's output on this terminal.
pub fn ensure() -> Result<()> {
    install_missing(None)
}

/// The tools' build running on a thread of its own (see [`start`]). Dropping it waits for the
/// build, so that no `cargo install` outlives the test command.
#[derive(Debug)]
pub struct Building {
    thread: Option<JoinHandle<Result<()>>>,
    log: PathBuf,
}

/// Starts building the missing tools beside the steps that follow, their output in
/// `<target dir>/test-tools/build.log`. On two cores the lints and the desktop build leave a
/// core idle whenever one crate or one link runs alone; the tools' build fills those gaps
/// instead of running on its own before them.
pub fn start() -> Result<Building> {
    let root = root()?;
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let log = root.join("build.log");
    let file = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let thread = std::thread::spawn(move || install_missing(Some(&file)));
    Ok(Building {
        thread: Some(thread),
        log,
    })
}

impl Building {
    /// Waits for the build; a failure carries the end of its log.
    pub fn finish(mut self) -> Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let result = thread
            .join()
            .map_err(|_| anyhow::anyhow!("the test tools' build thread panicked"))?;
        result.with_context(|| {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            format!("{} ends:\n{}", self.log.display(), tail.join("\n"))
        })
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Installs what is missing; with `log`, the build's output goes there.
fn install_missing(log: Option<&File>) -> Result<()> {
    let root = root()?;
    for tool in TEST_TOOLS {
        let binary = root.join("bin").join(tool.binary);
        if installed_version_matches(&binary, tool.version) {
            tracing::info!("test tool present: {} {}", tool.binary, tool.version);
            continue;
        }
        tracing::info!(
            "building test tool {} {} ({})",
            tool.package,
            tool.version,
            tool.why
        );
        let mut install = cmd::cargo();
        install
            .args(["install", tool.package, "--version", tool.version])
            .args(["--locked", "--debug", "--force", "--no-default-features"])
            .args(["--features", tool.features])
            .arg("--root")
            .arg(&root)
            // Its own build folder: the workspace's target folder is for the workspace.
            .env("CARGO_TARGET_DIR", root.join("build"))
            // No debug info: nobody debugs the tool, and it halves what the linker writes.
            .env("CARGO_PROFILE_DEV_DEBUG", "false");
        for (key, value) in tool.env {
            install.env(key, value);
        }
        if let Some(log) = log {
            install
                .stdout(Stdio::from(log.try_clone()?))
                .stderr(Stdio::from(log.try_clone()?));
        }
        cmd::run(&mut install).with_context(|| {
            format!(
                "building the test tool {} {}; it needs the system prerequisites, which \
                 `cargo xtask test` installs first",
                tool.package, tool.version
            )
        })?;
        // The build folder is only needed to build it again.
        let _ = std::fs::remove_dir_all(root.join("build"));
    }
    install_js_client(log)
}

/// The second sync client (`tests/js-client`, JavaScript written from docs/protocol.md alone)
/// needs automerge's JavaScript package: `npm ci` installs exactly what its lock file pins
/// into its `node_modules`, once per lock file (a copy of the lock beside them says which).
fn install_js_client(log: Option<&File>) -> Result<()> {
    let dir = cmd::workspace_root().join("tests/js-client");
    let lock = std::fs::read(dir.join("package-lock.json"))
        .with_context(|| format!("reading {}/package-lock.json", dir.display()))?;
    let installed = dir.join("node_modules").join(".installed-lock.json");
    if std::fs::read(&installed).is_ok_and(|done| done == lock) {
        tracing::info!("test tool present: the JavaScript client's packages");
        return Ok(());
    }
    tracing::info!("installing the JavaScript client's packages (npm ci)");
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir);
    if let Some(log) = log {
        npm.stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log.try_clone()?));
    }
    cmd::run(&mut npm).context(
        "installing the JavaScript client's packages; it needs Node and npm, which \
         `cargo xtask test` installs as system prerequisites",
    )?;
    std::fs::write(&installed, lock).with_context(|| format!("writing {}", installed.display()))
}

/// Whether `binary` runs and names `version` in its `--version` output.
fn installed_version_matches(binary: &Path, version: &str) -> bool {
    Command::new(binary)
        .arg("--version")
        .output()
        .is_ok_and(|out| {
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains(version)
        })
}
