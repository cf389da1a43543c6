//! The API's OpenAPI 3.1 description, generated from the code: each
//! handler's `#[utoipa::path]` (method, path, parameters, request body,
//! responses) and the body types' `ToSchema` derives. [`crate::app`]
//! registers every route through utoipa-axum's `OpenApiRouter`, so a route
//! cannot be served without being described; the spec is served at
//! `GET /api/openapi.json`.

pub(crate) mod error_responses;
pub(crate) mod openapi_json;
pub(crate) mod page_responses;

pub(crate) use openapi_json::OpenApiDocument;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as OpenApiSpec, RefOr, Schema};
use utoipa::{Modify, OpenApi};

/// The document's fixed parts: info, tags, the bearer scheme. The paths
/// come from the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "MiniGram API",
        description = "The origin MiniGram's API as minigram-server speaks it: accounts, photos, \
                       likes, follows, feeds. JSON in and out; every error is the `Error` body, \
                       whose `code` is one of `ErrorCode`. Lists are pages: pass the \
                       `x-next-cursor` of one page as `cursor` to get the next.",
        license(name = "MIT OR Apache-2.0"),
    ),
    components(schemas(crate::ErrorCode)),
    modifiers(&BearerScheme),
    tags(
        (name = "accounts", description = "Register, sign in, sign out."),
        (name = "photos", description = "Post, read and like photos."),
        (name = "users", description = "Profiles, follows and a user's photos."),
        (name = "feeds", description = "Home and global feeds."),
        (name = "media", description = "Image files."),
        (name = "operations", description = "Health, metrics and this document."),
        (name = "web", description = "The web app: its page and its static assets."),
    ),
)]
pub(crate) struct ApiDoc;

/// Adds the security schemes the authenticated routes name: `bearer`, and
/// `session_cookie` for the web app.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApiSpec) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The `token` that `POST /api/register` and `POST /api/login` answer with.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::extract::SESSION_COOKIE,
                "The web app's session: the same token, set `HttpOnly` by register and login, \
                 cleared by logout. Used only when no `Authorization` header is sent; a request \
                 other than GET or HEAD signed in by it must carry an `Origin` (or `Referer`) \
                 of this host, else 403 `csrf_rejected`.",
            ))),
        );
    }
}

/// What depends on the configuration rather than the code: the minimum
/// password length of `POST /api/register` (`--password-min-length`).
pub(crate) fn configure(spec: &mut OpenApiSpec, password_min_chars: usize) {
    let password = spec
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("RegisterRequest"))
        .and_then(|schema| match schema {
            RefOr::T(Schema::Object(object)) => object.properties.get_mut("password"),
            _ => None,
        });
    if let Some(RefOr::T(Schema::Object(password))) = password {
        password.min_length = Some(password_min_chars);
    }
}
