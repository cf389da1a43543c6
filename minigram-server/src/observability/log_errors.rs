//! Middleware logging every error response, with the request id, method
//! and path.
//!
//! [`ApiError`](crate::ApiError) only builds responses; what went wrong
//! travels to here as an [`ErrorCause`] in the response extensions (never
//! to the client). Levels:
//!
//! - 500 and other server failures: `error`, with the cause. They are bugs
//!   or misconfiguration and someone should look.
//! - 503: `warn`. The store is overloaded or away, or a request ran past
//!   its deadline; transient and expected under load, so not `error` (a
//!   load test would otherwise flood the error log).
//! - 4xx: `debug`. The client's mistake (or a rate limit doing its job);
//!   logging them louder would let any client fill the log.
//!
//! Responses made by layers or by axum itself (405, a body over the limit,
//! a timed-out request) carry no cause and are logged by status alone.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use crate::error_code::ErrorCode;

/// What an error response was about, for the log only: put in the response
/// extensions by [`ApiError`](crate::ApiError) and taken out here.
#[derive(Debug, Clone)]
pub(crate) struct ErrorCause {
    /// The code sent to the client.
    pub(crate) code: ErrorCode,
    /// For a 5xx, the cause the client is not told; for a 4xx, what the
    /// client was told.
    pub(crate) detail: String,
}

/// Middleware: see the [module docs](self).
pub(crate) async fn log_errors(request: Request, next: Next) -> Response {
    // Kept as they come (cheap reference-counted clones): turned into text
    // only for an error, never for the requests that succeed.
    let request_id = request.headers().get("x-request-id").cloned();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let mut response = next.run(request).await;
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let request_id = request_id
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let path = uri.path();
    let cause = response.extensions_mut().remove::<ErrorCause>();
    let code = cause.as_ref().map(|c| c.code.as_str());
    let detail = cause
        .as_ref()
        .map_or("answered by a layer or by axum", |c| c.detail.as_str());
    let status = status.as_u16();
    // One event per level: tracing's macros need the level at compile time.
    if status == StatusCode::SERVICE_UNAVAILABLE.as_u16() {
        tracing::warn!(request_id, %method, path, status, code, cause = detail, "answering {status}");
    } else if status >= 500 {
        tracing::error!(request_id, %method, path, status, code, cause = detail, "answering {status}");
    } else {
        tracing::debug!(request_id, %method, path, status, code, detail, "answering {status}");
    }
    response
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex, PoisonError};

    use axum::Router;
    use axum::body::Body;
    use axum::middleware::from_fn;
    use axum::routing::get;
    use tower::ServiceExt as _;
    use tracing::Level;

    use super::log_errors;
    use crate::ApiError;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner))
                .into_owned()
        }
    }

    /// The log lines of one `method` request to `path` through the
    /// middleware.
    async fn log_of(method: &str, path: &str) -> String {
        let app = Router::new()
            .route(
                "/broken",
                get(|| async { ApiError::Internal("the disk is on fire".into()) }),
            )
            .route("/missing", get(|| async { ApiError::route_not_found() }))
            .route("/fine", get(|| async { "ok" }))
            .layer(from_fn(log_errors));
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        // `#[tokio::test]` runs on one thread, so a thread-local default
        // subscriber sees the middleware's events.
        let _guard = tracing::subscriber::set_default(subscriber);
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("x-request-id", "req-42")
            .body(Body::empty())
            .expect("a request");
        let _ = app.oneshot(request).await;
        captured.text()
    }

    #[tokio::test]
    async fn a_500_is_logged_at_error_with_its_cause_and_the_request() {
        let log = log_of("GET", "/broken").await;
        assert!(log.contains("ERROR"), "{log}");
        assert!(log.contains("the disk is on fire"), "{log}");
        assert!(log.contains("req-42"), "{log}");
        assert!(log.contains("GET"), "{log}");
        assert!(log.contains("/broken"), "{log}");
        assert!(log.contains("internal"), "{log}");
    }

    #[tokio::test]
    async fn a_4xx_is_logged_at_debug() {
        let log = log_of("GET", "/missing").await;
        assert!(log.contains("DEBUG"), "{log}");
        assert!(!log.contains("ERROR") && !log.contains("WARN"), "{log}");
        assert!(log.contains("not_found"), "{log}");
        assert!(log.contains("req-42"), "{log}");
    }

    #[tokio::test]
    async fn an_answer_from_axum_itself_is_logged_by_status() {
        // POST on a GET-only route: axum answers 405 with no `ErrorCause`.
        let log = log_of("POST", "/fine").await;
        assert!(log.contains("answering 405"), "{log}");
        assert!(log.contains("POST"), "{log}");
    }

    #[tokio::test]
    async fn success_is_not_logged() {
        assert_eq!(log_of("GET", "/fine").await, "");
    }
}
