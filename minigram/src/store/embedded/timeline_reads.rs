//! Reading a home timeline (push and hybrid feeds), in one read
//! transaction.

use std::ops::Bound;

use redb::{ReadTransaction, ReadableTableMetadata as _};

use super::read_ops::{PhotoViewer, followees};
use super::storage_context::StorageContext as _;
use super::tables::*;
use crate::domain::{PageRequest, PhotoId, UserId};
use crate::error::StoreError;
use crate::store::TimelineSlice;

/// See `Store::timeline`.
pub(super) fn timeline(
    txn: &ReadTransaction,
    user: UserId,
    page: PageRequest,
) -> Result<Option<TimelineSlice>, StoreError> {
    let u = user.get();
    let meta = txn.open_table(TIMELINE_META).during("opening timelines")?;
    let Some((complete_above, _)) = meta.get(u).during("reading a timeline")?.map(|m| m.value())
    else {
        return Ok(None);
    };
    let entries = txn.open_table(TIMELINES).during("opening timelines")?;
    let upper = match page.cursor {
        Some(cursor) => Bound::Excluded((u, cursor.before().get())),
        None => Bound::Included((u, u64::MAX)),
    };
    let viewer = PhotoViewer::open(txn, user)?;
    let mut items = Vec::with_capacity(page.limit.get() + 1);
    for entry in entries
        .range::<(u64, u64)>((Bound::Included((u, 0)), upper))
        .during("scanning a timeline")?
        .rev()
    {
        if items.len() > page.limit.get() {
            break;
        }
        let (key, _) = entry.during("scanning a timeline")?;
        let id = PhotoId::new(key.value().1).ok_or_else(|| StoreError::Corrupt {
            what: "photo id 0 in a timeline".into(),
        })?;
        // Deletes remove their photo from timelines in the same
        // transaction; an entry without its photo would be corrupt.
        let view = viewer.view(id)?.ok_or_else(|| StoreError::Corrupt {
            what: format!("timeline of user {u} holds missing photo {id}"),
        })?;
        items.push(view);
    }
    let read_time = txn
        .open_table(READ_TIME_AUTHORS)
        .during("opening read-time authors")?;
    let mut read_time_authors = Vec::new();
    if !read_time.is_empty().during("reading read-time authors")? {
        for followee in followees(txn, user)? {
            if read_time
                .get(followee.get())
                .during("reading read-time authors")?
                .is_some()
            {
                read_time_authors.push(followee);
            }
        }
    }
    Ok(Some(TimelineSlice {
        items,
        complete_above,
        read_time_authors,
    }))
}

/// Fan-out jobs in the queue.
pub(super) fn fanout_queue_depth(txn: &ReadTransaction) -> Result<u64, StoreError> {
    txn.open_table(FANOUT_JOBS)
        .during("opening the fan-out queue")?
        .len()
        .during("counting the fan-out queue")
}
