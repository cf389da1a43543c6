use axum::extract::State;
use minigram::UserId;

use crate::body::PhotoPage;
use crate::extract::{AuthUser, PageQuery, Path, Query};
use crate::{ApiError, AppState};

/// `GET /api/users/{id}/photos?limit&cursor`: newest first, paginated.
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
