//! One PostgreSQL dev cluster (a primary and two streaming replicas) per
//! test binary, shared by its tests; each test gets its own database,
//! cloned from a template migrated once.
//!
//! Only the cluster (processes and URLs) is global: every `#[tokio::test]`
//! has its own runtime, so each test builds its own server and pools. A
//! `static` is never dropped, so the cluster's exit watchdog stops the
//! servers and removes the directory when the test binary exits.
//!
//! Without PostgreSQL these tests fail (never skip) with what to install.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use minigram::Store as _;
use minigram::devcluster::DevCluster;
use minigram::store::{PostgresConfig, PostgresStore};
use tokio::sync::OnceCell;

const TEMPLATE: &str = "minigram_template";

/// What to do when PostgreSQL cannot be started.
pub const INSTALL_HINT: &str = "the postgres variants of these tests need PostgreSQL's server \
     programs (initdb, pg_ctl, pg_basebackup, postgres) on PATH or under \
     /usr/lib/postgresql/<version>/bin: install them (Debian/Ubuntu: `apt-get install postgresql`; \
     Fedora: `dnf install postgresql-server`; macOS: `brew install postgresql`), or run \
     scripts/test.sh, which installs them when missing";

pub struct TestCluster {
    pub cluster: DevCluster,
    databases: AtomicUsize,
}

static CLUSTER: OnceCell<TestCluster> = OnceCell::const_new();

/// The shared cluster, started by the first caller.
pub async fn shared() -> &'static TestCluster {
    CLUSTER
        .get_or_init(|| async {
            let cluster = DevCluster::builder()
                .replicas(2)
                .fsync(false)
                .start()
                .await
                .unwrap_or_else(|e| panic!("{INSTALL_HINT}.\nStarting it failed: {e}"));
            cluster.stop_when_process_exits().unwrap();
            cluster.create_database(TEMPLATE, None).await.unwrap();
            let store = PostgresStore::connect(
                &cluster.primary_url(TEMPLATE),
                PostgresConfig {
                    pool_size: 1,
                    ..PostgresConfig::default()
                },
            )
            .await
            .unwrap();
            store.close().await.unwrap();
            drop(store);
            TestCluster {
                cluster,
                databases: AtomicUsize::new(0),
            }
        })
        .await
}

impl TestCluster {
    /// A new database with the schema, on the primary and (once this
    /// returns) on both replicas.
    pub async fn fresh_database(&self) -> String {
        let name = format!("api{}", self.databases.fetch_add(1, Ordering::Relaxed));
        self.cluster
            .create_database(&name, Some(TEMPLATE))
            .await
            .unwrap();
        self.cluster
            .wait_for_replicas(Duration::from_secs(30))
            .await
            .unwrap();
        name
    }
}
