//! Running child commands from the workspace root, and reporting their failures.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

/// A child command that ran and exited unsuccessfully. `main` exits with its `code`.
#[derive(Debug)]
pub struct ChildFailed {
    /// The command line, for the message.
    pub command: String,
    /// The exit code to pass through; 1 when the child was killed by a signal.
    pub code: i32,
    /// How it ended, as the OS says it (`exit status: 101`, `signal: 9 (SIGKILL)`).
    pub status: String,
}

impl fmt::Display for ChildFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed ({})", self.command, self.status)
    }
}

impl std::error::Error for ChildFailed {}

/// The workspace root: xtask's own manifest sits one folder below it.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// A `cargo` command run from the workspace root, using the same cargo that runs this xtask
/// (cargo sets `CARGO` for `cargo run`), so a pinned or `+nightly` toolchain stays in effect.
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(program);
    command.current_dir(workspace_root());
    command
}

/// Runs `command` with inherited stdio; a non-zero exit becomes a [`ChildFailed`] error.
pub fn run(command: &mut Command) -> Result<()> {
    let line = display(command);
    tracing::info!("$ {line}");
    let status = command
        .status()
        .with_context(|| format!("could not start `{line}`"))?;
    if status.success() {
        return Ok(());
    }
    Err(ChildFailed {
        command: line,
        code: status.code().unwrap_or(1),
        status: status.to_string(),
    }
    .into())
}

/// Runs `command` quietly and returns its stdout when it exits successfully, `None` when it
/// exits unsuccessfully. Errors only when the program cannot be started at all (then the
/// error's source is the [`std::io::Error`], e.g. `NotFound`).
pub fn output(command: &mut Command) -> Result<Option<String>> {
    let line = display(command);
    tracing::debug!("$ {line}");
    let output = command
        .output()
        .with_context(|| format!("could not start `{line}`"))?;
    Ok(output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned()))
}

/// Whether an error from [`output`] or [`run`] means the program does not exist on this machine.
pub fn is_not_found(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
    })
}

/// The command line as a person would type it (program name without its directory).
fn display(command: &Command) -> String {
    let program = Path::new(command.get_program());
    let program = program.file_name().unwrap_or(program.as_os_str());
    std::iter::once(program)
        .chain(command.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where cargo puts build output, as `cargo metadata` reports it (so `CARGO_TARGET_DIR` and
/// `build.target-dir` are honoured).
pub fn target_dir() -> Result<PathBuf> {
    #[derive(serde::Deserialize)]
    struct Metadata {
        target_directory: PathBuf,
    }
    let text = output(cargo().args(["metadata", "--format-version", "1", "--no-deps"]))?
        .context("`cargo metadata` failed")?;
    let metadata: Metadata =
        serde_json::from_str(&text).context("could not parse `cargo metadata` output")?;
    Ok(metadata.target_directory)
}
