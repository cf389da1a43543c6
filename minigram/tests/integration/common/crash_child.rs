//! Crash tests' child processes: the test binary re-run as a writer that
//! prints a marked line after each acknowledged write, killed with SIGKILL
//! at a chosen moment.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Starts every record a child prints (libtest may print "test name ... "
/// without a newline before the child's first line).
const MARKER: &str = "@@";

/// Runs the test `test` (its full path in this binary) as a child with
/// `env`, waits up to 30 s for it to print `ready`, lets it run for
/// `run_for`, kills it with SIGKILL and returns every record it printed.
pub fn run_and_kill(test: &str, env: &[(&str, String)], run_for: Duration) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Some((_, line)) = line.split_once(MARKER) else {
                continue;
            };
            if line == "ready" {
                let _ = ready_tx.send(());
            }
            lines.push(line.to_owned());
        }
        lines
    });
    ready_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the crash child did not start within 30 s");
    std::thread::sleep(run_for);
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    reader.join().unwrap()
}

/// Prints a record for the parent, flushed at once (it may be killed any
/// moment after).
pub fn println_flush(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{MARKER}{line}").unwrap();
    out.flush().unwrap();
}
