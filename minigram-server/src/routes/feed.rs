use axum::extract::State;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::body::{PhotoJson, PhotoPage};
use crate::extract::{AuthUser, PageQuery, Query};
use crate::openapi::error_responses::{BadRequest, Internal, Unauthorized, Unavailable};
use crate::{ApiError, AppState, ErrorCode};

/// `?scope` and the page parameters. `scope` is taken as text so that an
/// unknown one is a 400 naming it.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FeedQuery {
    /// `home` (the default): your own and followed users' photos;
    /// `global`: everyone's.
    #[param(value_type = Option<FeedScope>, inline)]
    scope: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
}

/// Which photos a feed holds.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(
    dead_code,
    reason = "described in the spec; `FeedQuery` reads the text"
)]
pub(crate) enum FeedScope {
    /// Your own and followed users' photos.
    Home,
    /// Everyone's photos.
    Global,
}

/// `GET /api/feed?limit&cursor&scope`: `home` (default: own and followed
/// users' photos) or `global` (everyone's), newest first.
#[utoipa::path(
    get,
    path = "/api/feed",
    tag = "feeds",
    security(("bearer" = []), ("session_cookie" = [])),
    params(FeedQuery, PageQuery),
    responses(
        (
            status = 200,
            description = "A page of the feed, newest first.",
            body = Vec<PhotoJson>,
            headers(
                ("x-next-cursor" = String, description = "The next page's `cursor`, when more items follow."),
                ("Link" = String, description = "`<next page URL>; rel=\"next\"`, when more items follow."),
            ),
        ),
        BadRequest, Unauthorized, Internal, Unavailable,
    ),
)]
pub(crate) async fn feed(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<FeedQuery>,
) -> Result<PhotoPage, ApiError> {
    let page = query.page.page_request()?;
    let minigram = state.minigram();
    let (scope, photos) = match query.scope.as_deref() {
        None | Some("") | Some("home") => ("home", minigram.home_feed(user.user_id, page).await?),
        Some("global") => ("global", minigram.global_feed(user.user_id, page).await?),
        Some(_) => {
            return Err(ApiError::bad_field(
                ErrorCode::InvalidInput,
                "scope must be `home` or `global`",
                "scope",
            ));
        }
    };
    let next_base = format!("/api/feed?scope={scope}&limit={}", page.limit.get());
    Ok(PhotoPage::new(photos, &next_base))
}
