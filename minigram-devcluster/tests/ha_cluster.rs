//! The HA cluster starts real etcd and Patroni-managed PostgreSQL, and
//! fails over when the leader dies. These tests need the Debian packages
//! `patroni` and `etcd-server` (and PostgreSQL's server programs); without
//! them they fail with a message naming the package to install.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use minigram_devcluster::{HaCluster, HaRole};

async fn client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    tokio::spawn(connection);
    client
}

/// The multi-host URL right after a failover may find no writable host for
/// a moment; retries until one accepts the connection.
async fn client_with_retry(url: &str, timeout: Duration) -> tokio_postgres::Client {
    let deadline = Instant::now() + timeout;
    loop {
        match tokio_postgres::connect(url, tokio_postgres::NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(connection);
                return client;
            }
            Err(e) if Instant::now() >= deadline => panic!("connecting to {url}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn count_rows(url: &str) -> i64 {
    client(url)
        .await
        .query_one("SELECT count(*) FROM failover_check", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_failures_fail_over_and_the_old_leader_rejoins() {
    let cluster = HaCluster::builder()
        .nodes(3)
        .fsync(false)
        .start()
        .await
        .unwrap_or_else(|e| panic!("could not start the HA cluster: {e}"));
    eprintln!("HA cluster (3 nodes) healthy in {:?}", cluster.start_time());
    assert_eq!(cluster.node_count(), 3);
    assert_eq!(cluster.node_names(), ["node1", "node2", "node3"]);
    assert!(cluster.etcd_url().starts_with("http://127.0.0.1:"));

    let members = cluster.members().await.unwrap();
    assert_eq!(members.len(), 3, "{members:?}");
    let count = |role| members.iter().filter(|m| m.role == role).count();
    assert_eq!(count(HaRole::Leader), 1, "{members:?}");
    assert_eq!(count(HaRole::SyncStandby), 1, "{members:?}");
    let leader = cluster.leader().await.unwrap().expect("a leader");
    assert_eq!(
        members[leader].pg_port,
        port_of(&cluster.postgres_urls("x")[leader])
    );

    // A committed row (synchronous: on the sync standby too) survives the
    // leader's crash.
    cluster.create_database("ha").await.unwrap();
    let writer = client(&cluster.multi_host_url("ha")).await;
    writer
        .batch_execute(
            "CREATE TABLE failover_check (id int); INSERT INTO failover_check VALUES (1)",
        )
        .await
        .unwrap();
    assert_eq!(count_rows(&cluster.postgres_urls("ha")[leader]).await, 1);
    drop(writer);

    let killed = Instant::now();
    let pid = cluster.kill_postmaster(leader).unwrap();
    assert!(pid > 0);
    let new_leader = cluster
        .wait_for_leader(Duration::from_secs(40), Some(leader))
        .await
        .unwrap();
    let failover = killed.elapsed();
    assert_ne!(new_leader, leader);
    assert_eq!(
        count_rows(&cluster.postgres_urls("ha")[new_leader]).await,
        1
    );
    cluster.wait_healthy(Duration::from_secs(60)).await.unwrap();
    let rejoin = killed.elapsed();
    let members = cluster.members().await.unwrap();
    assert_ne!(members[leader].role, HaRole::Leader, "{members:?}");
    eprintln!(
        "postmaster kill: new leader node{} after {failover:?}; old leader node{} rejoined, cluster healthy after {rejoin:?}",
        new_leader + 1,
        leader + 1
    );

    // The multi-host URL finds the new leader.
    let writer = client_with_retry(&cluster.multi_host_url("ha"), Duration::from_secs(10)).await;
    writer
        .batch_execute("INSERT INTO failover_check VALUES (2)")
        .await
        .unwrap();
    drop(writer);

    // Patroni killed on the leader: its key expires, another node leads;
    // started again, Patroni demotes its still-running PostgreSQL.
    let killed = Instant::now();
    cluster.kill_patroni(new_leader).unwrap();
    let third_leader = cluster
        .wait_for_leader(Duration::from_secs(40), Some(new_leader))
        .await
        .unwrap();
    let failover = killed.elapsed();
    assert_ne!(third_leader, new_leader);
    assert_eq!(
        count_rows(&cluster.postgres_urls("ha")[third_leader]).await,
        2
    );
    let restarted = Instant::now();
    cluster.start_patroni(new_leader).await.unwrap();
    cluster.wait_healthy(Duration::from_secs(60)).await.unwrap();
    eprintln!(
        "Patroni kill: new leader node{} after {failover:?}; node{} rejoined {:?} after its Patroni restarted",
        third_leader + 1,
        new_leader + 1,
        restarted.elapsed()
    );
    let members = cluster.members().await.unwrap();
    assert_eq!(
        members.iter().filter(|m| m.role == HaRole::Leader).count(),
        1,
        "{members:?}"
    );
    assert_eq!(
        count_rows(&cluster.postgres_urls("ha")[new_leader]).await,
        2
    );

    let dir = cluster.dir().to_path_buf();
    let stopping = Instant::now();
    cluster.stop().await.unwrap();
    cluster.stop().await.unwrap();
    eprintln!("stopped in {:?}", stopping.elapsed());
    for i in 0..3 {
        let pid_file = dir
            .join(format!("node{}", i + 1))
            .join("data")
            .join("postmaster.pid");
        assert!(!pid_file.exists(), "{} still there", pid_file.display());
    }
    drop(cluster);
    assert!(!dir.exists(), "the temporary directory is removed on drop");
}

fn port_of(url: &str) -> u16 {
    url.rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap()
}

/// A cluster shared by a test binary sits in a `static` and is used from
/// spawned tasks: it must be `Sync` and its futures `Send`. Compiled, never run.
fn _a_shared_cluster_works_across_tasks(cluster: &'static HaCluster) {
    fn send<T: Send>(_: T) {}
    fn sync<T: Sync>(_: &T) {}
    sync(cluster);
    send(cluster.members());
    send(cluster.wait_for_leader(Duration::ZERO, None));
    send(cluster.wait_healthy(Duration::ZERO));
    send(cluster.start_patroni(0));
    send(cluster.set_synchronous(true));
    send(cluster.create_database("x"));
    send(cluster.stop());
}
