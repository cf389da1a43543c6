use axum::extract::State;
use minigram::UserId;

use crate::body::PhotoJson;
use crate::body::PhotoPage;
use crate::extract::{AuthUser, PageQuery, Path, Query};
use crate::openapi::error_responses::{BadRequest, Internal, NotFound, Unauthorized, Unavailable};
use crate::{ApiError, AppState};

/// `GET /api/users/{id}/photos?limit&cursor`: newest first, paginated.
#[utoipa::path(
    get,
    path = "/api/users/{id}/photos",
    tag = "users",
    security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = u64, Path, minimum = 1, description = "The user's id."), PageQuery),
    responses(
        (
            status = 200,
            description = "A page of the user's photos, newest first.",
            body = Vec<PhotoJson>,
            headers(
                ("x-next-cursor" = String, description = "The next page's `cursor`, when more items follow."),
                ("Link" = String, description = "`<next page URL>; rel=\"next\"`, when more items follow."),
            ),
        ),
        BadRequest, Unauthorized, NotFound, Internal, Unavailable,
    ),
)]
pub(crate) async fn user_photos(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<PhotoPage, ApiError> {
    let author = UserId::parse(&id)?;
    let page = query.page_request()?;
    let photos = state
        .minigram()
        .user_photos(author, user.user_id, page)
        .await?;
    let next_base = format!("/api/users/{author}/photos?limit={}", page.limit.get());
    Ok(PhotoPage::new(photos, &next_base))
}
