//! One PostgreSQL dev cluster (a primary and two streaming replicas) per
//! test binary, shared by its tests; each test gets its own database,
//! cloned from a template migrated once (`TemplateDatabases`).
//!
//! Only the cluster (processes and URLs) is global: every `#[tokio::test]`
//! has its own runtime, so each test builds its own server and pools. A
//! `static` is never dropped, so the cluster's exit watchdog stops the
//! servers and removes the directory when the test binary exits.
//!
//! Without PostgreSQL these tests fail (never skip) with what to install.

use minigram_devcluster::{DevCluster, TemplateDatabases};
use tokio::sync::OnceCell;

/// What to do when PostgreSQL cannot be started.
pub const INSTALL_HINT: &str = "the postgres variants of these tests need PostgreSQL's server \
     programs (initdb, pg_ctl, pg_basebackup, postgres) on PATH or under \
     /usr/lib/postgresql/<version>/bin: install them (Debian/Ubuntu: `apt-get install postgresql`; \
     Fedora: `dnf install postgresql-server`; macOS: `brew install postgresql`), or run \
     scripts/test.sh, which installs them when missing";

static CLUSTER: OnceCell<TemplateDatabases> = OnceCell::const_new();

/// The shared cluster, started by the first caller.
pub async fn shared() -> &'static TemplateDatabases {
    CLUSTER
        .get_or_init(|| async {
            let cluster = DevCluster::builder()
                .replicas(2)
                .fsync(false)
                .start()
                .await
                .unwrap_or_else(|e| panic!("{INSTALL_HINT}.\nStarting it failed: {e}"));
            cluster.stop_when_process_exits().unwrap();
            TemplateDatabases::new(cluster, "api", |url| async move {
                minigram::store::PostgresStore::migrate(&url).await
            })
            .await
            .unwrap()
        })
        .await
}
