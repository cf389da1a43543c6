//! Reading a home timeline (push and hybrid feeds), in one read
//! transaction.

use std::ops::Bound;

use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata as _};

use super::read_ops::PhotoViewer;
use super::records::{FanoutJobRecord, decode};
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
    // Celebrities are few by definition: scan them and look each up in
    // the viewer's follows (not the viewer's followees, who may be
    // thousands).
    let follows = txn.open_table(FOLLOWS).during("opening follows")?;
    let mut read_time_authors = Vec::new();
    for entry in read_time.iter().during("reading read-time authors")? {
        let (author, _) = entry.during("reading read-time authors")?;
        let author = author.value();
        if follows
            .get((u, author))
            .during("reading follows")?
            .is_some()
            && let Some(id) = UserId::new(author)
        {
            read_time_authors.push(id);
        }
    }
    Ok(Some(TimelineSlice {
        items,
        complete_above,
        read_time_authors,
    }))
}

/// Queued fan-out jobs that `wanted` accepts, oldest first, at most
/// `limit`. Shared by the claim (and the read that spares an idle claim a
/// write) and by the release of claims on open.
pub(super) fn queued_jobs(
    jobs: &impl ReadableTable<u64, &'static [u8]>,
    limit: usize,
    wanted: impl Fn(&FanoutJobRecord) -> bool,
) -> Result<Vec<(u64, FanoutJobRecord)>, StoreError> {
    let mut found = Vec::new();
    for entry in jobs.iter().during("scanning the fan-out queue")? {
        if found.len() >= limit {
            break;
        }
        let (id, bytes) = entry.during("scanning the fan-out queue")?;
        let id = id.value();
        let record: FanoutJobRecord = decode(&format!("fan-out job {id}"), bytes.value())?;
        if wanted(&record) {
            found.push((id, record));
        }
    }
    Ok(found)
}

/// Whether a job's lease has run out by `now_ms` (or it was never claimed).
pub(super) fn claimable(record: &FanoutJobRecord, now_ms: i64) -> bool {
    record.lease_until_ms <= now_ms
}

/// Whether any queued job could be claimed at `now_ms`: read first, so an
/// idle worker's poll costs a read transaction, not a durable write.
pub(super) fn any_claimable(txn: &ReadTransaction, now_ms: i64) -> Result<bool, StoreError> {
    let jobs = txn
        .open_table(FANOUT_JOBS)
        .during("opening the fan-out queue")?;
    Ok(!queued_jobs(&jobs, 1, |r| claimable(r, now_ms))?.is_empty())
}

/// Fan-out jobs in the queue.
pub(super) fn fanout_queue_depth(txn: &ReadTransaction) -> Result<u64, StoreError> {
    txn.open_table(FANOUT_JOBS)
        .during("opening the fan-out queue")?
        .len()
        .during("counting the fan-out queue")
}
