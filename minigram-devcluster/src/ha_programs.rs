//! The programs the high-availability cluster runs besides PostgreSQL's:
//! `patroni` and `etcd`.

use std::path::{Path, PathBuf};

use crate::DevClusterError;

/// Where Debian installs both programs, looked in after `PATH` (a `PATH`
/// without `/usr/bin` — a stripped-down CI shell — still finds them).
const FALLBACK_DIRS: [&str; 2] = ["/usr/bin", "/usr/sbin"];

/// The `patroni` and `etcd` programs (Debian packages `patroni` and
/// `etcd-server`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HaPrograms {
    pub patroni: PathBuf,
    pub etcd: PathBuf,
}

impl HaPrograms {
    /// Finds both on `PATH`, then in `/usr/bin` and `/usr/sbin`.
    pub(crate) fn find() -> Result<Self, DevClusterError> {
        let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect())
            .unwrap_or_default();
        dirs.extend(FALLBACK_DIRS.iter().map(PathBuf::from));
        Self::find_in(&dirs)
    }

    /// Finds both in `dirs` (the first directory holding each wins). The
    /// error names the first missing program's package.
    pub(crate) fn find_in(dirs: &[PathBuf]) -> Result<Self, DevClusterError> {
        let patroni = find(dirs, "patroni").ok_or(DevClusterError::MissingPatroni)?;
        let etcd = find(dirs, "etcd").ok_or(DevClusterError::MissingEtcd)?;
        Ok(Self { patroni, etcd })
    }
}

fn find(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    dirs.iter()
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn executable(dir: &Path, name: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join(name);
        std::fs::write(&path, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    #[test]
    fn a_missing_program_names_its_package() {
        let empty = tempfile::tempdir().expect("tempdir");
        let dirs = [empty.path().to_path_buf()];
        let err = HaPrograms::find_in(&dirs).expect_err("nothing there");
        assert!(matches!(err, DevClusterError::MissingPatroni), "{err}");
        let message = err.to_string();
        assert!(message.contains("package patroni"), "{message}");
        assert!(
            message.contains("apt-get install -y patroni etcd-server"),
            "{message}"
        );

        executable(empty.path(), "patroni");
        let err = HaPrograms::find_in(&dirs).expect_err("no etcd");
        assert!(matches!(err, DevClusterError::MissingEtcd), "{err}");
        assert!(err.to_string().contains("package etcd-server"), "{err}");

        executable(empty.path(), "etcd");
        let found = HaPrograms::find_in(&dirs).expect("both there");
        assert_eq!(found.etcd, empty.path().join("etcd"));
    }
}
