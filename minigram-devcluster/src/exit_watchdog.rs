//! A tiny process that stops the cluster once this process is gone.
//!
//! A cluster kept in a `static` (one per test binary, say) is never dropped,
//! and nothing in Rust runs at process exit. The watchdog is a `sh` child
//! whose standard input is a pipe this process holds open: whenever this
//! process ends — returning from `main`, panicking, or killed by a signal —
//! the kernel closes the pipe, the watchdog reads end-of-file, stops every
//! node and, for a temporary cluster, removes the directory.

use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};

use crate::DevClusterError;
use crate::os_user::ServerUser;
use crate::pg_binaries::PgBinaries;

/// Stops the nodes, replicas first, after end-of-file on standard input.
/// Arguments: pg_ctl, the directory to remove (or ""), then the data
/// directories; `$PREFIX_...` run pg_ctl as the server user.
const SCRIPT: &str = r#"
trap '' INT TERM HUP
cat >/dev/null
pg_ctl="$1"; remove="$2"; shift 2
for dir in "$@"; do
    $RUN_AS "$pg_ctl" stop -D "$dir" -m fast -w -t 30 >/dev/null 2>&1
done
if [ -n "$remove" ]; then rm -rf "$remove"; fi
"#;

/// Holds the write end of the watchdog's standard input.
#[derive(Debug)]
pub(super) struct ExitWatchdog {
    _stdin: ChildStdin,
}

impl ExitWatchdog {
    /// Starts the watchdog for `data_dirs` (stopped in order), removing
    /// `remove` afterwards when given.
    pub(super) fn spawn(
        user: &ServerUser,
        bins: &PgBinaries,
        data_dirs: &[PathBuf],
        remove: Option<&Path>,
    ) -> Result<Self, DevClusterError> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("minigram-devcluster-watchdog")
            .arg(bins.program("pg_ctl"))
            .arg(remove.map(Path::as_os_str).unwrap_or_default())
            .args(data_dirs)
            .env("RUN_AS", user.prefix().join(" "))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(DevClusterError::io("starting the devcluster exit watchdog"))?;
        let stdin = child.stdin.take().ok_or_else(|| DevClusterError::Command {
            command: "sh (devcluster exit watchdog)".into(),
            output: "no standard input pipe".into(),
        })?;
        // The child is deliberately not waited for: it outlives this process.
        drop(child);
        Ok(Self { _stdin: stdin })
    }
}
