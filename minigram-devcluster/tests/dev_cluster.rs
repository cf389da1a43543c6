//! The dev cluster starts real PostgreSQL: a primary and streaming replicas.
//! These tests need PostgreSQL's server programs; without them they fail
//! with a message naming the package to install.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use minigram_devcluster::{DevCluster, DevClusterError, NodeId, PgBinaries};

async fn query_one_i64(url: &str, sql: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_and_two_replicas_start_stream_and_stop() {
    let started = Instant::now();
    let cluster = DevCluster::builder()
        .replicas(2)
        .start()
        .await
        .unwrap_or_else(|e| panic!("could not start PostgreSQL: {e}"));
    eprintln!("primary + 2 replicas ready in {:?}", started.elapsed());
    let primary = cluster.primary_url("postgres");
    assert_eq!(
        query_one_i64(
            &primary,
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
        )
        .await,
        2
    );
    cluster.create_database("streamed", None).await.unwrap();
    cluster
        .wait_for_replicas(Duration::from_secs(10))
        .await
        .unwrap();
    for url in cluster.replica_urls("streamed") {
        assert_eq!(
            query_one_i64(&url, "SELECT pg_is_in_recovery()::int::int8").await,
            1
        );
    }

    // One replica stopped and started again streams again.
    cluster.stop_node(NodeId::Replica(1)).await.unwrap();
    assert!(!cluster.is_running(NodeId::Replica(1)));
    cluster.start_node(NodeId::Replica(1)).await.unwrap();
    assert_eq!(
        query_one_i64(
            &primary,
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
        )
        .await,
        2
    );
    let dir = cluster.dir().to_path_buf();
    cluster.stop().await.unwrap();
    drop(cluster);
    assert!(!dir.exists(), "the temporary directory is removed on drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_given_directory_is_reused_across_restarts() {
    let parent = tempfile::Builder::new()
        .prefix("minigram-devcluster-test-")
        .tempdir()
        .unwrap();
    let dir = parent.path().join("cluster");
    {
        let cluster = DevCluster::builder()
            .replicas(1)
            .fsync(false)
            .data_dir(&dir)
            .start()
            .await
            .unwrap();
        cluster.create_database("kept", None).await.unwrap();
        cluster
            .wait_for_replicas(Duration::from_secs(10))
            .await
            .unwrap();
        // Dropped without stop(): drop stops the nodes.
    }
    assert!(dir.join("primary").join("PG_VERSION").exists());
    let cluster = DevCluster::builder()
        .replicas(1)
        .fsync(false)
        .data_dir(&dir)
        .start()
        .await
        .unwrap();
    assert!(!cluster.ensure_database("kept").await.unwrap());
    assert!(cluster.ensure_database("new").await.unwrap());
    let url = cluster.url(NodeId::Replica(0), "kept").unwrap();
    assert_eq!(query_one_i64(&url, "SELECT 1::int8").await, 1);
    cluster.stop().await.unwrap();
    assert!(dir.exists(), "a given directory is kept");
}

#[tokio::test]
async fn missing_programs_are_named_with_the_package_to_install() {
    let empty = tempfile::tempdir().unwrap();
    let err = PgBinaries::find_in(&[empty.path().to_path_buf()]).unwrap_err();
    assert!(matches!(err, DevClusterError::MissingBinary { .. }));
    let message = err.to_string();
    assert!(message.contains("initdb"), "{message}");
    assert!(message.contains("postgresql"), "{message}");

    let err = DevCluster::builder()
        .binaries(PgBinaries::in_dir(empty.path()))
        .start()
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("initdb"), "{message}");
}
