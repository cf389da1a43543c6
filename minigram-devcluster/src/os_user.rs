//! Which operating-system user the PostgreSQL servers (and Patroni, which
//! runs them in the high-availability cluster) run as.

use std::ffi::OsStr;
use std::path::Path;

use crate::DevClusterError;

/// The account PostgreSQL's packages create.
const SERVER_ACCOUNT: &str = "postgres";

/// How server commands are run: directly, or — when this process is root,
/// which PostgreSQL refuses — as the `postgres` user through `runuser`.
#[derive(Debug, Clone)]
pub(crate) struct ServerUser {
    run_as: Option<Account>,
}

#[derive(Debug, Clone)]
struct Account {
    name: String,
    uid: u32,
    gid: u32,
}

impl ServerUser {
    /// Runs the servers as the current user, or as `postgres` when root.
    pub(crate) async fn detect() -> Result<Self, DevClusterError> {
        let euid = id(&["-u"]).await?;
        if euid != 0 {
            return Ok(Self { run_as: None });
        }
        let missing = |what: &str| DevClusterError::NoServerUser {
            what: what.to_owned(),
        };
        let uid = id(&["-u", SERVER_ACCOUNT])
            .await
            .map_err(|_| missing("there is no `postgres` user"))?;
        let gid = id(&["-g", SERVER_ACCOUNT])
            .await
            .map_err(|_| missing("there is no `postgres` user"))?;
        if !Path::new("/usr/sbin/runuser").exists() && !Path::new("/sbin/runuser").exists() {
            return Err(missing("`runuser` (util-linux) is not installed"));
        }
        Ok(Self {
            run_as: Some(Account {
                name: SERVER_ACCOUNT.to_owned(),
                uid,
                gid,
            }),
        })
    }

    /// A command running `program` as the server user.
    pub(crate) fn command(&self, program: &Path) -> tokio::process::Command {
        let mut command = match &self.run_as {
            Some(account) => {
                let mut c = tokio::process::Command::new("runuser");
                c.args(["-u", &account.name, "--"]).arg(program);
                c
            }
            None => tokio::process::Command::new(program),
        };
        command.kill_on_drop(true);
        command
    }

    /// A command running `program` itself as the server user — no
    /// `runuser` in between, the user and group are switched in the child
    /// before `exec` — so the child's pid is the program's pid and a signal
    /// sent to it reaches the program (for a supervisor such as Patroni,
    /// which `runuser` would fork under and orphan when killed).
    ///
    /// The environment is cleared down to `PATH` (this process's), `HOME`
    /// (`home`, a directory the server user owns: Python and libpq look
    /// there) and `USER`/`LOGNAME`, so nothing of this process's
    /// environment — `PG*`, `PATRONI_*`, proxies — reaches the server.
    pub(crate) fn direct_command(&self, program: &Path, home: &Path) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(program);
        command.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            command.env("PATH", path);
        }
        command.env("HOME", home);
        match &self.run_as {
            Some(account) => {
                command
                    .uid(account.uid)
                    .gid(account.gid)
                    .env("USER", &account.name)
                    .env("LOGNAME", &account.name);
            }
            None => {
                for name in ["USER", "LOGNAME"] {
                    if let Some(value) = std::env::var_os(name) {
                        command.env(name, value);
                    }
                }
            }
        }
        command.kill_on_drop(true);
        command
    }

    /// The same as [`ServerUser::command`] for synchronous contexts (drop).
    pub(crate) fn std_command(&self, program: &Path) -> std::process::Command {
        match &self.run_as {
            Some(account) => {
                let mut c = std::process::Command::new("runuser");
                c.args(["-u", &account.name, "--"]).arg(program);
                c
            }
            None => std::process::Command::new(program),
        }
    }

    /// The words that prefix a command line to run it as the server user.
    pub(crate) fn prefix(&self) -> Vec<String> {
        match &self.run_as {
            Some(account) => vec![
                "runuser".into(),
                "-u".into(),
                account.name.clone(),
                "--".into(),
            ],
            None => Vec::new(),
        }
    }

    /// Gives `path` to the server user (when running as someone else).
    pub(crate) fn make_owned(&self, path: &Path) -> Result<(), DevClusterError> {
        if let Some(account) = &self.run_as {
            std::os::unix::fs::chown(path, Some(account.uid), Some(account.gid)).map_err(
                DevClusterError::io(format!("giving {} to the postgres user", path.display())),
            )?;
        }
        Ok(())
    }

    /// Checks that the server user can create files in `dir` (every parent
    /// directory must let it through).
    pub(crate) async fn check_writable(&self, dir: &Path) -> Result<(), DevClusterError> {
        if self.run_as.is_none() {
            return Ok(());
        }
        let mut test = self.command(Path::new("test"));
        test.arg("-w").arg(dir).arg("-a").arg("-x").arg(dir);
        let status = test
            .status()
            .await
            .map_err(DevClusterError::io("running `test` as the postgres user"))?;
        if status.success() {
            Ok(())
        } else {
            Err(DevClusterError::Directory {
                path: dir.to_path_buf(),
                reason: "the postgres user cannot write there; every parent directory must be \
                         traversable by it (mode o+x), e.g. use a directory under /tmp"
                    .into(),
            })
        }
    }
}

/// Runs `id ARGS` and parses the number it prints.
async fn id(args: &[&str]) -> Result<u32, DevClusterError> {
    let output = tokio::process::Command::new("id")
        .args(args.iter().map(OsStr::new))
        .output()
        .await
        .map_err(DevClusterError::io("running `id`"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    match (output.status.success(), text.trim().parse()) {
        (true, Ok(n)) => Ok(n),
        _ => Err(DevClusterError::Command {
            command: format!("id {}", args.join(" ")),
            output: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }),
    }
}
