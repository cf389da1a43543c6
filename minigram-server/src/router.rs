use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler as _;
use axum::http::{HeaderName, Method, Request, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{MethodRouter, get, post};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::AppState;
use crate::error_bodies::error_bodies;
use crate::extract::MULTIPART_OVERHEAD;
use crate::observability::{log_errors, track_requests};
use crate::rate_limiting::{auth_limit, write_limit};
use crate::routes::{
    JSON_BODY_LIMIT, api_metrics::api_metrics, feed::feed, follow, get_photo::get_photo,
    health::health, index::index, instance::instance, like, login::login, logout::logout,
    media::media, not_found::not_found, ping::ping, prometheus_metrics::prometheus_metrics,
    register::register, upload_photo::upload_photo, user_photos::user_photos,
    user_profile::user_profile,
};

/// The whole HTTP API over `state`, with its middleware: request ids,
/// tracing, CORS, compression, JSON error bodies, error logging, per-route
/// metrics, timeouts, body limits and rate limits (login and register per
/// client IP and username, writes per user; see
/// [`RateLimits`](crate::RateLimits)).
///
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`:
/// the rate limits key on the peer address (without it, no per-IP limit).
pub fn app(state: AppState) -> Router {
    let settings = state.settings().clone();
    // Uploads stream under their own limit (see `PhotoUpload`); the body
    // limit layer is the backstop for the whole request.
    let auth_limited = from_fn_with_state(state.clone(), auth_limit);
    let write_limited = from_fn_with_state(state.clone(), write_limit);
    let upload: MethodRouter<AppState> = post(upload_photo).layer(
        ServiceBuilder::new()
            .layer(write_limited.clone())
            .layer(RequestBodyLimitLayer::new(
                settings.max_upload_bytes.saturating_add(MULTIPART_OVERHEAD),
            ))
            .layer(DefaultBodyLimit::disable()),
    );
    let track = from_fn_with_state(state.clone(), track_requests);
    let routes = Router::new()
        .route("/", get(index))
        .route("/health", get(health))
        .route("/ping", get(ping))
        .route("/metrics", get(prometheus_metrics))
        .route("/api/metrics", get(api_metrics))
        .route("/api/instance", get(instance))
        .route("/api/register", post(register).layer(auth_limited.clone()))
        .route("/api/login", post(login).layer(auth_limited))
        .route("/api/logout", post(logout))
        .route("/api/photos", upload.clone())
        .route("/api/upload", upload)
        .route("/api/photos/{id}", get(get_photo))
        .route(
            "/api/photos/{id}/like",
            post(like::like)
                .delete(like::unlike)
                .layer(write_limited.clone()),
        )
        .route("/api/users/{id}", get(user_profile))
        .route(
            "/api/users/{id}/follow",
            post(follow::follow)
                .delete(follow::unfollow)
                .layer(write_limited),
        )
        .route("/api/users/{id}/photos", get(user_photos))
        .route("/api/feed", get(feed))
        .route("/uploads/{file}", get(media))
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            settings.request_timeout,
        ))
        .route_layer(track.clone())
        .fallback(not_found.layer(track))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .with_state(state);

    let x_next_cursor = HeaderName::from_static("x-next-cursor");
    let x_request_id = HeaderName::from_static("x-request-id");
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([
            x_next_cursor,
            header::LINK,
            x_request_id,
            header::RETRY_AFTER,
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
        ]);
    routes.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &Request<_>| {
                        let request_id = request
                            .headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id,
                        )
                    })
                    .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
            )
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(cors)
            .layer(CompressionLayer::new())
            .layer(from_fn(error_bodies))
            // Inside the error-body layer: sees the handler's response and
            // its `ErrorCause` before anything rebuilds it.
            .layer(from_fn(log_errors)),
    )
}
