//! The push and hybrid read path: a home-feed page from the viewer's
//! timeline, merged with the photos that are never fanned out to it (the
//! viewer's own, so the author sees a new photo at once, and hybrid
//! celebrities'), and continued by the pull path below the range the
//! timeline is exact for.
//!
//! The result is the pull page exactly (same items, order and cursor)
//! whenever the fan-out queue has drained: the timeline's invariant (see
//! `store::timeline`) makes the part above `complete_above` exact, and the
//! pull path is exact below it.

use crate::domain::{Cursor, FeedPage, PageLimit, PageRequest, PhotoId, PhotoView, UserId};
use crate::error::StoreError;
use crate::store::Store;

/// The page, or `None` when the viewer has no timeline (read with pull).
pub(super) async fn home_feed(
    store: &dyn Store,
    viewer: UserId,
    page: PageRequest,
) -> Result<Option<FeedPage>, StoreError> {
    let Some(slice) = store.timeline(viewer, page).await? else {
        return Ok(None);
    };
    let limit = page.limit.get();
    let mut merged_authors = slice.read_time_authors;
    merged_authors.push(viewer);
    let merged = store
        .photos_by_authors(&merged_authors, viewer, page)
        .await?;
    let merged_has_more = merged.next_cursor.is_some();
    let mut candidates: Vec<PhotoView> = slice.items;
    candidates.extend(merged.items);
    // Newest first, each photo once (a hybrid author's photo may be in
    // the timeline from before they became one).
    candidates.sort_by_key(|view| std::cmp::Reverse(view.photo.id));
    candidates.dedup_by_key(|view| view.photo.id);

    let ca = slice.complete_above;
    let above = candidates.iter().filter(|v| v.photo.id.get() > ca).count();
    if above >= limit {
        // Both sources hold their newest `limit` items below the cursor, so
        // the first `limit` of the merge are the page's.
        let mut items = candidates;
        let mut more = items.len() > limit || merged_has_more;
        items.truncate(limit);
        if !more && ca > 0 {
            let last = items.last().map_or(u64::MAX, |v| v.photo.id.get());
            more = pull_has_older(store, viewer, last.min(ca + 1)).await?;
        }
        return Ok(Some(FeedPage::of(items, more)));
    }
    // Fewer than a page above the exact boundary: both sources were
    // complete there (neither was cut short above it). The rest comes from
    // pull, strictly below the boundary, so nothing repeats.
    let mut items: Vec<PhotoView> = candidates.into_iter().take(above).collect();
    if ca == 0 {
        return Ok(Some(FeedPage::of(items, false)));
    }
    let before = page.cursor.map_or(u64::MAX, |c| c.before().get());
    let boundary = before.min(ca + 1);
    let Some(boundary) = PhotoId::new(boundary) else {
        return Ok(Some(FeedPage::of(items, false)));
    };
    let rest_limit = PageLimit::clamped(limit - above);
    let rest = store
        .followed_photos(
            viewer,
            PageRequest {
                limit: rest_limit,
                cursor: Some(Cursor::after(boundary)),
            },
        )
        .await?;
    let more = rest.next_cursor.is_some();
    items.extend(rest.items);
    Ok(Some(FeedPage::of(items, more)))
}

/// Whether the pull feed holds any photo with an id below `below`.
async fn pull_has_older(store: &dyn Store, viewer: UserId, below: u64) -> Result<bool, StoreError> {
    let Some(below) = PhotoId::new(below) else {
        return Ok(false);
    };
    let probe = store
        .followed_photos(
            viewer,
            PageRequest {
                limit: PageLimit::clamped(1),
                cursor: Some(Cursor::after(below)),
            },
        )
        .await?;
    Ok(!probe.items.is_empty())
}
