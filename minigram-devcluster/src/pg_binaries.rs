use std::path::{Path, PathBuf};

use crate::DevClusterError;

/// The programs a dev cluster runs; all must come from one directory (one
/// PostgreSQL version).
const PROGRAMS: [&str; 4] = ["initdb", "pg_ctl", "pg_basebackup", "postgres"];

/// Where Debian and Ubuntu install each PostgreSQL version's programs.
const DEBIAN_VERSIONS_DIR: &str = "/usr/lib/postgresql";

/// The directory holding one PostgreSQL version's server programs
/// (`initdb`, `pg_ctl`, `pg_basebackup`, `postgres`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    dir: PathBuf,
}

impl PgBinaries {
    /// Finds the programs: the first `PATH` directory holding all of them,
    /// else `/usr/lib/postgresql/<version>/bin` with the highest version.
    /// (Debian puts only client wrappers on `PATH`, hence the second place.)
    pub fn find() -> Result<Self, DevClusterError> {
        let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect())
            .unwrap_or_default();
        dirs.extend(debian_version_dirs(Path::new(DEBIAN_VERSIONS_DIR)));
        Self::find_in(&dirs)
    }

    /// Finds the programs in the first of `dirs` that holds all of them.
    /// The error names the first missing program and the package to install.
    pub fn find_in(dirs: &[PathBuf]) -> Result<Self, DevClusterError> {
        if let Some(dir) = dirs
            .iter()
            .find(|dir| PROGRAMS.iter().all(|p| is_executable(&dir.join(p))))
        {
            return Ok(Self { dir: dir.clone() });
        }
        // Report the first program missing from the most complete directory,
        // so a half-installed PostgreSQL is named precisely.
        let best = dirs.iter().max_by_key(|dir| {
            PROGRAMS
                .iter()
                .filter(|p| is_executable(&dir.join(p)))
                .count()
        });
        let program = best
            .and_then(|dir| PROGRAMS.iter().find(|p| !is_executable(&dir.join(p))))
            .unwrap_or(&PROGRAMS[0]);
        let searched = if dirs.is_empty() {
            "no directories".to_owned()
        } else {
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(DevClusterError::MissingBinary {
            program: (*program).to_owned(),
            searched,
            install: install_hint(),
        })
    }

    /// Uses the programs in `dir` without checking them.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of one program.
    pub fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// `/usr/lib/postgresql/<version>/bin` directories, highest version first.
fn debian_version_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let version: Option<Vec<u32>> = name.split('.').map(|n| n.parse().ok()).collect();
            version.map(|v| (v, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The command that installs the server programs on this system.
fn install_hint() -> String {
    if Path::new("/etc/debian_version").exists() {
        "apt-get install postgresql (the package `postgresql`, or a versioned one such as `postgresql-15`)".to_owned()
    } else if Path::new("/etc/alpine-release").exists() {
        "apk add postgresql (the package `postgresql`)".to_owned()
    } else if Path::new("/etc/redhat-release").exists() {
        "dnf install postgresql-server (the package `postgresql-server`)".to_owned()
    } else {
        "your package manager: the PostgreSQL server package (`postgresql` on Debian and Ubuntu, e.g. `postgresql-15`; `postgresql-server` on Fedora)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_programs_name_the_package() {
        let empty = tempfile::tempdir().expect("tempdir");
        let err = PgBinaries::find_in(&[empty.path().to_path_buf()]).expect_err("nothing there");
        let message = err.to_string();
        assert!(message.contains("`initdb`"), "{message}");
        assert!(message.contains("postgresql"), "{message}");
    }

    #[test]
    fn versions_sort_highest_first() {
        let root = tempfile::tempdir().expect("tempdir");
        for v in ["9.6", "15", "13", "notaversion"] {
            std::fs::create_dir_all(root.path().join(v).join("bin")).expect("mkdir");
        }
        let dirs = debian_version_dirs(root.path());
        let names: Vec<_> = dirs
            .iter()
            .map(|d| {
                d.parent()
                    .and_then(Path::file_name)
                    .map(|n| n.to_string_lossy().into_owned())
            })
            .collect();
        assert_eq!(
            names,
            [Some("15".into()), Some("13".into()), Some("9.6".into())]
        );
    }
}
