use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler as _;
use axum::http::{HeaderName, Method, Request, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::{Extension, Router};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi as _;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt as _};
use utoipa_axum::routes;

use crate::AppState;
use crate::error_bodies::error_bodies;
use crate::extract::MULTIPART_OVERHEAD;
use crate::observability::{log_errors, track_requests};
use crate::openapi::{self, ApiDoc, OpenApiDocument, openapi_json};
use crate::rate_limiting::{auth_limit, write_limit};
use crate::routes::{
    JSON_BODY_LIMIT, api_metrics, dashboard, delete_photo, feed, follow, get_photo, health, index,
    instance, like, login, logout, media, metrics_history, not_found::not_found, ping,
    prometheus_metrics, register, upload_photo, user_photos, user_profile, web_asset,
};
use crate::security_headers::security_headers;

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
    let upload_layers = ServiceBuilder::new()
        .layer(write_limited.clone())
        .layer(RequestBodyLimitLayer::new(
            settings.max_upload_bytes.saturating_add(MULTIPART_OVERHEAD),
        ))
        .layer(DefaultBodyLimit::disable());
    let track = from_fn_with_state(state.clone(), track_requests);
    // Every route goes through `routes!`, which takes the path and method
    // from the handler's `#[utoipa::path]`: what is served is what the
    // spec describes (a test checks the two match).
    let (routes, mut spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(index::index))
        .routes(routes!(health::health))
        .routes(routes!(ping::ping))
        .routes(routes!(prometheus_metrics::prometheus_metrics))
        .routes(routes!(api_metrics::api_metrics))
        .routes(routes!(metrics_history::metrics_history))
        .routes(routes!(dashboard::dashboard))
        .routes(routes!(instance::instance))
        .routes(routes!(openapi_json::openapi_json))
        .routes(routes!(register::register).layer(auth_limited.clone()))
        .routes(routes!(login::login).layer(auth_limited))
        .routes(routes!(logout::logout))
        .routes(routes!(upload_photo::upload_photo).layer(upload_layers.clone()))
        .routes(routes!(upload_photo::upload_photo_origin).layer(upload_layers))
        .routes(routes!(get_photo::get_photo))
        .routes(routes!(delete_photo::delete_photo).layer(write_limited.clone()))
        .routes(routes!(like::like, like::unlike).layer(write_limited.clone()))
        .routes(routes!(user_profile::user_profile))
        .routes(routes!(follow::follow, follow::unfollow).layer(write_limited))
        .routes(routes!(user_photos::user_photos))
        .routes(routes!(feed::feed))
        .routes(routes!(media::media))
        .routes(routes!(web_asset::web_asset))
        .split_for_parts();
    openapi::configure(&mut spec, state.minigram().password_policy().min_chars());
    let routes = routes
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            settings.request_timeout,
        ))
        .route_layer(track.clone())
        .fallback(not_found.layer(track))
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(Extension(OpenApiDocument(Arc::new(spec))))
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
            .layer(security_headers())
            .layer(CompressionLayer::new())
            .layer(from_fn(error_bodies))
            // Inside the error-body layer: sees the handler's response and
            // its `ErrorCause` before anything rebuilds it.
            .layer(from_fn(log_errors)),
    )
}
