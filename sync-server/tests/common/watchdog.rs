//! Services the tests start that must not outlive the test process (a PostgreSQL cluster, an
//! S3 server). A test binary never runs the destructors of statics, so each service is started
//! by a small watchdog shell, a child of the test process: the shell starts the service, prints
//! `started`, waits while its parent (`$PPID`) lives, then stops the service and cleans up.
//! Whether the tests pass, fail or panic, nothing is left running.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};

/// Runs `script` (which prints `started` once the service is up, then waits for `$PPID` to
/// end) and returns whether it said `started`. The shell is reaped by a thread of its own
/// when it ends (after this process has, in practice).
pub fn start(script: &str) -> bool {
    let mut watchdog = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(watchdog.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    std::thread::spawn(move || watchdog.wait());
    line.trim() == "started"
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
