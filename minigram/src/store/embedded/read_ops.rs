//! Reads, each inside one redb read transaction (a consistent snapshot).
//!
//! The lookups are generic over `ReadableTable` so the writer can reuse them
//! inside its write transaction.

use std::collections::BinaryHeap;
use std::ops::Bound;

use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata as _};

use super::records::{PhotoRecord, UserRecord, decode};
use super::storage_context::StorageContext as _;
use super::tables::*;
use crate::domain::{
    FeedPage, PageRequest, Photo, PhotoId, PhotoView, Profile, User, UserId, Username,
};
use crate::error::StoreError;
use crate::store::{Credentials, from_millis};

pub(super) fn user_record(
    users: &impl ReadableTable<u64, &'static [u8]>,
    id: u64,
) -> Result<Option<UserRecord>, StoreError> {
    users
        .get(id)
        .during("reading a user")?
        .map(|bytes| decode(&format!("user {id}"), bytes.value()))
        .transpose()
}

pub(super) fn photo_record(
    photos: &impl ReadableTable<u64, &'static [u8]>,
    id: u64,
) -> Result<Option<PhotoRecord>, StoreError> {
    photos
        .get(id)
        .during("reading a photo")?
        .map(|bytes| decode(&format!("photo {id}"), bytes.value()))
        .transpose()
}

pub(super) fn like_count(
    counts: &impl ReadableTable<u64, u64>,
    photo: u64,
) -> Result<u64, StoreError> {
    Ok(counts
        .get(photo)
        .during("reading a like count")?
        .map_or(0, |c| c.value()))
}

pub(super) fn user_count(
    counts: &impl ReadableTable<(u64, u8), u64>,
    user: u64,
    counter: u8,
) -> Result<u64, StoreError> {
    Ok(counts
        .get((user, counter))
        .during("reading a user counter")?
        .map_or(0, |c| c.value()))
}

pub(super) fn to_user(id: UserId, record: UserRecord) -> User {
    User {
        id,
        username: record.username,
        email: record.email,
        created_at: from_millis(record.created_at_ms),
    }
}

pub(super) fn to_photo(
    id: PhotoId,
    record: PhotoRecord,
    like_count: u64,
) -> Result<Photo, StoreError> {
    let author = UserId::new(record.author).ok_or_else(|| StoreError::Corrupt {
        what: format!("photo {id}: author id 0"),
    })?;
    Ok(Photo {
        id,
        author,
        author_username: record.author_username,
        caption: record.caption,
        media_key: record.media_key,
        content_type: record.content_type,
        width: record.width,
        height: record.height,
        created_at: from_millis(record.created_at_ms),
        like_count,
    })
}

pub(super) fn user(txn: &ReadTransaction, id: UserId) -> Result<Option<User>, StoreError> {
    let users = txn.open_table(USERS).during("opening users")?;
    Ok(user_record(&users, id.get())?.map(|r| to_user(id, r)))
}

pub(super) fn credentials(
    txn: &ReadTransaction,
    username: &Username,
) -> Result<Option<Credentials>, StoreError> {
    let usernames = txn.open_table(USERNAMES).during("opening usernames")?;
    let Some(id) = usernames
        .get(username.key().as_str())
        .during("looking up a username")?
        .map(|g| g.value())
    else {
        return Ok(None);
    };
    let users = txn.open_table(USERS).during("opening users")?;
    let record = user_record(&users, id)?.ok_or_else(|| StoreError::Corrupt {
        what: format!("username index points at missing user {id}"),
    })?;
    let user_id = UserId::new(id).ok_or_else(|| StoreError::Corrupt {
        what: "username index holds user id 0".into(),
    })?;
    let password_hash = record.password_hash.clone();
    Ok(Some(Credentials {
        user: to_user(user_id, record),
        password_hash,
    }))
}

/// Assembles photos as one viewer sees them, all from one snapshot.
pub(super) struct PhotoViewer {
    photos: redb::ReadOnlyTable<u64, &'static [u8]>,
    like_counts: redb::ReadOnlyTable<u64, u64>,
    likes_by_user: redb::ReadOnlyTable<(u64, u64), ()>,
    viewer: u64,
}

impl PhotoViewer {
    pub(super) fn open(txn: &ReadTransaction, viewer: UserId) -> Result<Self, StoreError> {
        Ok(Self {
            photos: txn.open_table(PHOTOS).during("opening photos")?,
            like_counts: txn.open_table(LIKE_COUNTS).during("opening like counts")?,
            likes_by_user: txn.open_table(LIKES_BY_USER).during("opening likes")?,
            viewer: viewer.get(),
        })
    }

    pub(super) fn view(&self, id: PhotoId) -> Result<Option<PhotoView>, StoreError> {
        let Some(record) = photo_record(&self.photos, id.get())? else {
            return Ok(None);
        };
        let count = like_count(&self.like_counts, id.get())?;
        let liked = self
            .likes_by_user
            .get((self.viewer, id.get()))
            .during("reading a like")?
            .is_some();
        Ok(Some(PhotoView {
            photo: to_photo(id, record, count)?,
            liked_by_viewer: liked,
        }))
    }

    fn page(&self, ids: Vec<u64>, page: PageRequest) -> Result<FeedPage, StoreError> {
        let mut views = Vec::with_capacity(ids.len());
        for id in ids {
            let id = PhotoId::new(id).ok_or_else(|| StoreError::Corrupt {
                what: "photo id 0 in an index".into(),
            })?;
            let view = self.view(id)?.ok_or_else(|| StoreError::Corrupt {
                what: format!("index points at missing photo {id}"),
            })?;
            views.push(view);
        }
        Ok(FeedPage::from_candidates(views, page.limit))
    }
}

pub(super) fn photo(
    txn: &ReadTransaction,
    id: PhotoId,
    viewer: UserId,
) -> Result<Option<PhotoView>, StoreError> {
    PhotoViewer::open(txn, viewer)?.view(id)
}

pub(super) fn profile(
    txn: &ReadTransaction,
    user: UserId,
    viewer: UserId,
) -> Result<Option<Profile>, StoreError> {
    let users = txn.open_table(USERS).during("opening users")?;
    let Some(record) = user_record(&users, user.get())? else {
        return Ok(None);
    };
    let counts = txn.open_table(USER_COUNTS).during("opening user counts")?;
    let follows = txn.open_table(FOLLOWS).during("opening follows")?;
    Ok(Some(Profile {
        user_id: user,
        username: record.username,
        followers: user_count(&counts, user.get(), COUNT_FOLLOWERS)?,
        following: user_count(&counts, user.get(), COUNT_FOLLOWING)?,
        photos: user_count(&counts, user.get(), COUNT_PHOTOS)?,
        followed_by_viewer: follows
            .get((viewer.get(), user.get()))
            .during("reading a follow")?
            .is_some(),
    }))
}

pub(super) fn followees(txn: &ReadTransaction, user: UserId) -> Result<Vec<UserId>, StoreError> {
    let follows = txn.open_table(FOLLOWS).during("opening follows")?;
    let mut out = Vec::new();
    for entry in follows
        .range((user.get(), 0)..=(user.get(), u64::MAX))
        .during("scanning follows")?
    {
        let (key, _) = entry.during("scanning follows")?;
        if let Some(id) = UserId::new(key.value().1) {
            out.push(id);
        }
    }
    Ok(out)
}

/// The exclusive upper bound on photo ids for a page.
fn upper_bound(page: PageRequest) -> Bound<u64> {
    page.cursor
        .map_or(Bound::Unbounded, |c| Bound::Excluded(c.before().get()))
}

/// k-way merge of the authors' photo ranges, newest first: a max-heap holds
/// the next id from each author's (descending) range, so a page costs
/// O(authors × log n + page × log authors).
pub(super) fn photos_by_authors(
    txn: &ReadTransaction,
    authors: &[UserId],
    viewer: UserId,
    page: PageRequest,
) -> Result<FeedPage, StoreError> {
    let by_user = txn
        .open_table(PHOTOS_BY_USER)
        .during("opening photos by user")?;
    let wanted = page.limit.get() + 1;
    let mut ranges = Vec::with_capacity(authors.len());
    for author in authors {
        let a = author.get();
        let upper = match upper_bound(page) {
            Bound::Excluded(before) => Bound::Excluded((a, before)),
            _ => Bound::Included((a, u64::MAX)),
        };
        let range = by_user
            .range::<(u64, u64)>((Bound::Included((a, 0)), upper))
            .during("scanning photos by user")?
            .rev();
        ranges.push(range);
    }
    let mut heap = BinaryHeap::with_capacity(ranges.len());
    for (index, range) in ranges.iter_mut().enumerate() {
        if let Some(entry) = range.next() {
            heap.push((entry.during("scanning photos by user")?.0.value().1, index));
        }
    }
    let mut ids = Vec::with_capacity(wanted);
    while ids.len() < wanted {
        let Some((id, index)) = heap.pop() else { break };
        // The same author may appear twice in `authors`; skip duplicates.
        if ids.last() != Some(&id) {
            ids.push(id);
        }
        if let Some(entry) = ranges[index].next() {
            heap.push((entry.during("scanning photos by user")?.0.value().1, index));
        }
    }
    PhotoViewer::open(txn, viewer)?.page(ids, page)
}

/// The pull home feed from one snapshot: the viewer's followees and the
/// merge of their photos with the viewer's own.
pub(super) fn followed_photos(
    txn: &ReadTransaction,
    viewer: UserId,
    page: PageRequest,
) -> Result<FeedPage, StoreError> {
    let mut authors = followees(txn, viewer)?;
    authors.push(viewer);
    photos_by_authors(txn, &authors, viewer, page)
}

pub(super) fn global_photos(
    txn: &ReadTransaction,
    viewer: UserId,
    page: PageRequest,
) -> Result<FeedPage, StoreError> {
    let viewer_tables = PhotoViewer::open(txn, viewer)?;
    let mut ids = Vec::with_capacity(page.limit.get() + 1);
    for entry in viewer_tables
        .photos
        .range::<u64>((Bound::Unbounded, upper_bound(page)))
        .during("scanning photos")?
        .rev()
        .take(page.limit.get() + 1)
    {
        ids.push(entry.during("scanning photos")?.0.value());
    }
    viewer_tables.page(ids, page)
}

pub(super) fn media_in_use(txn: &ReadTransaction, key: &str) -> Result<bool, StoreError> {
    let refs = txn.open_table(MEDIA_REFS).during("opening media refs")?;
    Ok(refs.get(key).during("reading a media ref")?.is_some())
}

/// A cheap end-to-end read used by health checks.
pub(super) fn probe(txn: &ReadTransaction) -> Result<(), StoreError> {
    let settings = txn.open_table(SETTINGS).during("opening settings")?;
    settings.len().during("counting settings")?;
    Ok(())
}
