use crate::domain::{FeedPage, PageRequest, UserId};
use crate::error::StoreError;
use crate::store::Store;

/// Pull: read the viewer's followees, then one merged page of their photos
/// and the viewer's own. Costs two reads; the merge is the store's
/// `photos_by_authors`, O(authors × log n + page).
pub(super) async fn home_feed(
    store: &dyn Store,
    viewer: UserId,
    page: PageRequest,
) -> Result<FeedPage, StoreError> {
    let mut authors = store.followees(viewer).await?;
    authors.push(viewer);
    store.photos_by_authors(&authors, viewer, page).await
}
