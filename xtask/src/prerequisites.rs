//! What the build and the tests need from the machine, checked (and where possible installed)
//! before anything is compiled, so that a fresh machine fails early with the command that fixes
//! it instead of deep inside a build script.
//!
//! Two kinds: Debian packages ([`SYSTEM_PACKAGES`], installed with apt when running as root)
//! and rustup components ([`RUST_COMPONENTS`], installed with rustup).

use std::process::Command;

use anyhow::{Result, bail};

use crate::cmd;

/// A Debian package the build or the tests need.
#[derive(Debug)]
struct SystemPackage {
    /// The Debian package name.
    name: &'static str,
    /// Why it is needed, so that nobody has to guess whether a row can go.
    why: &'static str,
    /// A command that, when it runs, stands for the package (`npm` comes with NodeSource's
    /// `nodejs` build, which conflicts with Debian's `npm` package).
    or_command: Option<&'static str>,
}

/// Every Debian package the build and the tests need: the one list to extend when a crate or a
/// test starts needing something from the system. Add a row with the reason; keep the list to
/// what is needed now (e.g. `pkg-config` comes with the first `-sys` crate that looks a system
/// library up, such as WebKit for the desktop app).
const SYSTEM_PACKAGES: &[SystemPackage] = &[
    SystemPackage {
        name: "build-essential",
        why: "a C compiler and linker: rustc links through `cc`, and the `cc` crate compiles \
              blake3's SIMD code",
        or_command: None,
    },
    SystemPackage {
        name: "procps",
        why: "`kill`: the server binary's test stops it with SIGTERM, as a service manager would",
        or_command: None,
    },
    SystemPackage {
        name: "chromium",
        why: "the office web's browser tests drive a real headless Chromium",
        or_command: None,
    },
    SystemPackage {
        name: "chromium-driver",
        why: "chromedriver: the WebDriver server the browser tests talk to",
        or_command: None,
    },
    SystemPackage {
        name: "fonts-noto-cjk",
        why: "Chinese glyphs in the browser tests' screenshots and in the app's window",
        or_command: None,
    },
    SystemPackage {
        name: "poppler-utils",
        why: "`pdftotext` and `pdftoppm`: the tests read the printed PDF documents' text and \
              render their pages",
        or_command: None,
    },
    SystemPackage {
        name: "pkg-config",
        why: "the WebKit and GTK `-sys` crates of the desktop app look their libraries up with it",
        or_command: None,
    },
    SystemPackage {
        name: "libwebkit2gtk-4.1-dev",
        why: "the desktop app's window is a WebKitGTK web view (wry); pulls GTK 3 and libsoup 3",
        or_command: None,
    },
    SystemPackage {
        name: "libxdo-dev",
        why: "the desktop shell (tao/muda) links libxdo for keyboard shortcuts",
        or_command: None,
    },
    SystemPackage {
        name: "xvfb",
        why: "the desktop app's end-to-end test runs its window on a virtual X display",
        or_command: None,
    },
    SystemPackage {
        name: "xdotool",
        why: "the desktop app's end-to-end test clicks and types with real X input events",
        or_command: None,
    },
    SystemPackage {
        name: "imagemagick",
        why: "`import`: the desktop app's end-to-end test keeps a screenshot of each step",
        or_command: None,
    },
    SystemPackage {
        name: "libsodium-dev",
        why: "the test tool Garage (an S3-compatible store, built by `cargo xtask test`) links \
              Debian's libsodium instead of building and testing its own",
        or_command: None,
    },
    SystemPackage {
        name: "postgresql",
        why: "the server's store tests start a throwaway PostgreSQL cluster (`initdb`, `pg_ctl` \
              from /usr/lib/postgresql/<version>/bin) and run every store check against it",
        or_command: None,
    },
    SystemPackage {
        name: "nodejs",
        why: "the second sync client (`tests/js-client`), written in JavaScript from \
              docs/protocol.md alone, runs on Node",
        or_command: None,
    },
    SystemPackage {
        name: "npm",
        why: "installs the second client's packages (automerge's JavaScript build, a BLAKE3)",
        or_command: Some("npm"),
    },
];

/// A rustup component that a step of `cargo xtask test` runs.
#[derive(Debug)]
struct RustComponent {
    /// The rustup component name.
    name: &'static str,
    /// The cargo subcommand it provides.
    subcommand: &'static str,
}

/// Components missing from rustup's `minimal` profile that the test command needs.
const RUST_COMPONENTS: &[RustComponent] = &[
    RustComponent {
        name: "rustfmt",
        subcommand: "fmt",
    },
    RustComponent {
        name: "clippy",
        subcommand: "clippy",
    },
];

/// Makes sure every prerequisite is present: installs what it can, and otherwise stops with
/// the exact command to run.
pub fn ensure() -> Result<()> {
    ensure_system_packages()?;
    ensure_rust_components()
}

fn ensure_system_packages() -> Result<()> {
    let mut missing = Vec::new();
    for package in SYSTEM_PACKAGES {
        let by_command = package.or_command.is_some_and(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|out| out.status.success())
        });
        match is_installed(package.name) {
            Ok(true) => tracing::debug!("{} is installed", package.name),
            Ok(false) if by_command => tracing::debug!("{} runs", package.name),
            Ok(false) => {
                tracing::info!(
                    "missing system package {}: needed for {}",
                    package.name,
                    package.why
                );
                missing.push(package.name);
            }
            Err(err) if cmd::is_not_found(&err) => {
                tracing::warn!(
                    "dpkg-query not found: not a Debian-based system, so the system packages \
                     are not checked; make sure these (or your system's equivalents) are \
                     installed: {}",
                    names(SYSTEM_PACKAGES)
                );
                return Ok(());
            }
            Err(err) => return Err(err),
        }
    }
    if missing.is_empty() {
        tracing::info!("system packages present: {}", names(SYSTEM_PACKAGES));
        return Ok(());
    }

    let list = missing.join(" ");
    if !is_root() {
        bail!(
            "missing system packages: {list}. Install them as root, then run `cargo xtask test` \
             again:\n    sudo apt-get update && sudo apt-get install -y --no-install-recommends \
             {list}"
        );
    }
    cmd::run(apt_get().arg("update"))?;
    cmd::run(
        apt_get()
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing),
    )?;
    for name in &missing {
        if !is_installed(name)? {
            bail!("apt-get reported success but `{name}` is still not installed");
        }
    }
    Ok(())
}

fn ensure_rust_components() -> Result<()> {
    let missing: Vec<&str> = RUST_COMPONENTS
        .iter()
        .filter(|c| {
            !matches!(
                cmd::output(cmd::cargo().args([c.subcommand, "--version"])),
                Ok(Some(_))
            )
        })
        .map(|c| c.name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    tracing::info!("missing rust components: {list}");
    match cmd::run(
        Command::new("rustup")
            .args(["component", "add"])
            .args(&missing),
    ) {
        Ok(()) => Ok(()),
        Err(err) if cmd::is_not_found(&err) => bail!(
            "missing rust components {list} and rustup is not installed: install the toolchain \
             with rustup (https://rustup.rs) or add {list} through your toolchain's installer"
        ),
        Err(err) => Err(err),
    }
}

/// Whether dpkg says the package is installed. `dpkg-query` exits non-zero for a package it has
/// never heard of, which also means "not installed".
fn is_installed(package: &str) -> Result<bool> {
    let status = cmd::output(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))?;
    // "install ok installed"; a removed package reads "deinstall ok config-files".
    Ok(status.is_some_and(|status| status.split_whitespace().last() == Some("installed")))
}

/// Whether this process runs as root, asked of `id -u` to stay free of libc calls.
fn is_root() -> bool {
    matches!(cmd::output(Command::new("id").arg("-u")), Ok(Some(uid)) if uid.trim() == "0")
}

fn apt_get() -> Command {
    let mut command = Command::new("apt-get");
    command.env("DEBIAN_FRONTEND", "noninteractive");
    command
}

fn names(packages: &[SystemPackage]) -> String {
    packages
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(" ")
}
