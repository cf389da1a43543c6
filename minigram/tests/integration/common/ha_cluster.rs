//! One Patroni HA cluster (etcd + three PostgreSQL nodes, synchronous
//! replication) per test binary, for the contract suite on a router that
//! follows Patroni. Each test gets its own database, cloned on the leader
//! from a template migrated once. The failover test starts its own
//! cluster: its kills would disturb these tests.
//!
//! Without Patroni or etcd these tests fail (never skip) with what to
//! install.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use minigram_devcluster::HaCluster;
use tokio::sync::OnceCell;

const TEMPLATE: &str = "minigram_template";

static CLUSTER: OnceCell<HaCluster> = OnceCell::const_new();
static CREATED: AtomicUsize = AtomicUsize::new(0);

/// The shared cluster, started (and its template migrated) by the first
/// caller.
pub async fn shared() -> &'static HaCluster {
    CLUSTER
        .get_or_init(|| async {
            let cluster = start_new().await;
            cluster.create_database(TEMPLATE).await.unwrap();
            let leader = cluster.leader().await.unwrap().expect("a leader");
            minigram::store::PostgresStore::migrate(&cluster.postgres_urls(TEMPLATE)[leader])
                .await
                .unwrap();
            cluster
        })
        .await
}

/// A new 3-node cluster (fsync off), stopped when the test binary exits
/// however it exits; panics with what to install when it cannot start.
pub async fn start_new() -> HaCluster {
    let cluster = HaCluster::builder()
        .nodes(3)
        .fsync(false)
        .start()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "these tests need Patroni, etcd and PostgreSQL (Debian: apt-get install -y \
                 postgresql patroni etcd-server, or run scripts/test.sh) and they could not be \
                 started: {e}"
            )
        });
    cluster.stop_when_process_exits().unwrap();
    cluster
}

/// A new database cloned from the migrated template, on the leader.
pub async fn fresh_database() -> String {
    let cluster = shared().await;
    let name = format!("ha{}", CREATED.fetch_add(1, Ordering::Relaxed));
    let leader = cluster
        .wait_for_leader(Duration::from_secs(30), None)
        .await
        .unwrap();
    let (client, connection) = tokio_postgres::connect(
        &cluster.postgres_urls("postgres")[leader],
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
        .await
        .unwrap();
    name
}
