use crate::domain::{FeedPage, PageRequest, UserId};
use crate::error::StoreError;
use crate::store::Store;

/// Pull: one merged page of the viewer's own photos and those of everyone
/// they follow, computed at read time by the store
/// ([`Store::followed_photos`]): O(authors × log n + page).
pub(super) async fn home_feed(
    store: &dyn Store,
    viewer: UserId,
    page: PageRequest,
) -> Result<FeedPage, StoreError> {
    store.followed_photos(viewer, page).await
}
