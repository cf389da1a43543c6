//! `minigram-server worker`: a process that only applies the fan-out
//! queue of a PostgreSQL deployment, beside servers that post to it.
//!
//! It holds nothing a crash could lose: the queue, the leases and each
//! job's progress are rows in PostgreSQL, and each batch is one
//! transaction. Killed mid-job, its jobs are claimed again by any worker
//! once their leases expire and resume after their last applied batch.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use minigram::Minigram;
use minigram::feed::FanoutWorkerPool;
use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::application::StartError;
use crate::body::FeedJson;
use crate::config::WorkerSettings;
use crate::observability::library_collector::WorkerCollector;
use crate::store_backend::StoreBackend;

/// How often a worker logs its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// What the metrics endpoint serves from.
#[derive(Clone)]
struct WorkerState {
    pool: Arc<FanoutWorkerPool>,
    registry: Arc<Registry>,
}

/// Connects to the deployment, starts the workers (and the metrics
/// endpoint, if asked for), runs until `shutdown` resolves, then stops the
/// workers after their current batch and closes the store.
pub async fn run_worker(
    settings: &WorkerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let backend = StoreBackend::open_postgres(&settings.postgres).await?;
    if let Err(e) = backend
        .check_timeline_store(&settings.postgres, settings.feed.strategy)
        .await
    {
        let _ = backend.store.close().await;
        return Err(e);
    }
    let pool = Minigram::builder()
        .shared_store(backend.store.clone())
        .feed(settings.feed.strategy)
        .timeline_cap(settings.feed.timeline_cap)
        .fanout_workers(settings.feed.fanout_workers)
        .fanout_batch(settings.feed.fanout_batch)
        .fanout_lease(settings.feed.fanout_lease)
        .inactive_after(settings.feed.inactive_after)
        .build_workers();
    let pool = match pool {
        Ok(pool) => Arc::new(pool),
        Err(e) => {
            let _ = backend.store.close().await;
            return Err(e.into());
        }
    };
    tracing::info!(
        workers = settings.feed.fanout_workers,
        feed = settings.feed.strategy.name(),
        "fan-out worker started"
    );
    let metrics_server = match settings.metrics_listen {
        Some(listen) => match serve_metrics(listen, Arc::clone(&pool)).await {
            Ok(server) => Some(server),
            Err(e) => {
                // Workers and connections go before the error is reported.
                let _ = pool.stop().await;
                return Err(e);
            }
        },
        None => None,
    };
    let progress = tokio::spawn(log_progress(Arc::clone(&pool)));
    shutdown.await;
    tracing::info!("stopping: finishing the current batches");
    progress.abort();
    if let Some(server) = metrics_server {
        server.abort();
    }
    let metrics = pool.fanout_metrics();
    tracing::info!(
        jobs_done = metrics.jobs_done(),
        jobs_retried = metrics.jobs_retried(),
        "fan-out worker stopped"
    );
    pool.stop().await?;
    Ok(())
}

/// Binds `listen` and serves `/health` and `/metrics` in the background.
async fn serve_metrics(
    listen: std::net::SocketAddr,
    pool: Arc<FanoutWorkerPool>,
) -> Result<tokio::task::JoinHandle<()>, StartError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| StartError::Io {
            action: format!("binding {listen}"),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Io {
        action: "reading the bound address".into(),
        source,
    })?;
    let mut registry = Registry::default();
    registry.register_collector(Box::new(WorkerCollector::new(Arc::clone(&pool))));
    let state = WorkerState {
        pool,
        registry: Arc::new(registry),
    };
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(state);
    // Tests and scripts read the port from this line.
    tracing::info!("worker metrics listening on http://{addr}");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the worker's metrics endpoint failed");
        }
    }))
}

/// `GET /health`: 200 with the queue's state when the store answers, 503
/// otherwise.
async fn health(State(state): State<WorkerState>) -> Response {
    let feed = FeedJson::of_pool(&state.pool).await;
    let store = state.pool.store().health().await;
    let code = if store.is_ok() && feed.status == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if code == StatusCode::OK { "ok" } else { "down" },
        "role": "fanout_worker",
        "store": store.err().map(|e| e.to_string()),
        "feed": feed,
    });
    (code, Json(body)).into_response()
}

/// `GET /metrics`: OpenMetrics text of the store's and the workers' figures.
async fn metrics(State(state): State<WorkerState>) -> Response {
    let mut text = String::new();
    if let Err(e) = encode(&mut text, &state.registry) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("encoding metrics: {e}"),
        )
            .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// Logs jobs done and the queue's depth every [`PROGRESS_EVERY`].
async fn log_progress(pool: Arc<FanoutWorkerPool>) {
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.tick().await;
    loop {
        tick.tick().await;
        let metrics = pool.fanout_metrics();
        match pool.status().await {
            Ok(status) => tracing::info!(
                jobs_done = metrics.jobs_done(),
                jobs_retried = metrics.jobs_retried(),
                queue_depth = status.queue_depth,
                busy_workers = status.busy_workers,
                "fan-out progress"
            ),
            Err(e) => tracing::warn!(error = %e, "reading the fan-out queue failed"),
        }
    }
}
