use axum::extract::State;
use serde::Deserialize;

use crate::body::PhotoPage;
use crate::extract::{AuthUser, PageQuery, Query};
use crate::{ApiError, AppState, ErrorCode};

#[derive(Deserialize)]
pub(crate) struct FeedQuery {
    scope: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// `GET /api/feed?limit&cursor&scope`: `home` (default: own and followed
/// users' photos) or `global` (everyone's), newest first.
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
