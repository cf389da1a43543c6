//! Home timelines and the fan-out queue on PostgreSQL: the transactions
//! behind `Store::{fan_out, claim_fanout_job, timeline, rebuild_timeline}`
//! and the timeline side of follows, unfollows and deletes.
//!
//! Each is one READ COMMITTED transaction following the locking protocol
//! of `migrations/V3__timelines.sql`, which is what keeps the timeline
//! invariant (`store::timeline`) with many writers and many workers at
//! once: every statement after a lock sees every transaction that held it
//! before (READ COMMITTED takes a new snapshot per statement).

use std::time::Duration;

use tokio_postgres::Row;

use super::pg_failure::{Doing as _, PgFailure};
use super::timeline_sql as sql;
use super::transaction::Tx;
use super::{PostgresStore, rows};
use crate::domain::{PageRequest, UserId};
use crate::error::StoreError;
use crate::store::{FanoutJob, FanoutProgress, TimelineSettings, TimelineSlice};

/// Which parties of a follow or unfollow exist (users are never deleted,
/// so the answer holds), and whether an unfollow removed a follow.
#[derive(Debug, Clone, Copy)]
pub(super) struct FollowParties {
    pub follower: bool,
    pub followee: bool,
    #[cfg_attr(
        not(feature = "redis"),
        expect(dead_code, reason = "only the Redis timelines' clean-up reads it")
    )]
    pub unfollowed: bool,
}

impl FollowParties {
    const NO_FOLLOWER: Self = Self {
        follower: false,
        followee: true,
        unfollowed: false,
    };
    const NO_FOLLOWEE: Self = Self {
        follower: true,
        followee: false,
        unfollowed: false,
    };
}

/// Where the timelines' entries are kept.
#[derive(Debug, Clone)]
pub(super) enum TimelineHome {
    /// The `timelines` table, in the same transactions as everything else.
    Tables,
    /// Redis sorted sets (`redis_timeline_ops`).
    #[cfg(feature = "redis")]
    Redis(super::RedisTimelines),
}

/// How a delete went, before it is a `DeletePhotoError`.
#[derive(Debug)]
pub(super) enum DeleteOutcome {
    /// The deleted photo's row (the columns of `rows::photo_view`).
    Deleted(Row),
    NotFound,
    /// The photo's author is someone else.
    NotAuthor,
}

/// A duration as the float milliseconds the statements take.
fn lease_millis(lease: Duration) -> f64 {
    lease.as_secs_f64() * 1000.0
}

impl PostgresStore {
    pub(super) fn timeline_home(&self) -> TimelineHome {
        #[cfg(feature = "redis")]
        if let Some(redis) = self.redis_timelines() {
            return TimelineHome::Redis(redis.clone());
        }
        TimelineHome::Tables
    }

    /// A follow (`follow`) or unfollow that keeps the follower's timeline:
    /// a new follow merges the followee's newest photos, an unfollow
    /// removes them.
    pub(super) async fn set_follow_keeping_timeline(
        &self,
        follower: i64,
        followee: i64,
        follow: bool,
        settings: TimelineSettings,
    ) -> Result<FollowParties, PgFailure> {
        let home = self.timeline_home();
        let parties = self
            .in_transaction(move |tx| {
                let home = home.clone();
                Box::pin(async move {
                    let follower_exists: bool =
                        column(&tx.query_one(sql::USER_EXISTS, &[&follower]).await?, 0)?;
                    if !follower_exists {
                        return Ok(FollowParties::NO_FOLLOWER);
                    }
                    // First: a fan-out batch of the followee now waits for this
                    // transaction, or this one for it (see the migration).
                    if tx
                        .query_opt(sql::LOCK_FOLLOWEE, &[&followee])
                        .await?
                        .is_none()
                    {
                        return Ok(FollowParties::NO_FOLLOWEE);
                    }
                    let mut unfollowed = false;
                    if follow {
                        let new = tx
                            .query_opt(sql::INSERT_FOLLOW, &[&follower, &followee])
                            .await?
                            .is_some();
                        if new {
                            // From here to the commit a rebuild must
                            // either see this follow or be merged into.
                            tx.query(sql::LOCK_TIMELINE_BUILD, &[&follower]).await?;
                            match &home {
                                TimelineHome::Tables => {
                                    merge_followee(&tx, follower, followee, settings).await?;
                                }
                                #[cfg(feature = "redis")]
                                TimelineHome::Redis(redis) => {
                                    super::redis_timeline_ops::merge_followee(
                                        &tx, redis, follower, followee, settings,
                                    )
                                    .await?;
                                }
                            }
                        }
                    } else {
                        unfollowed = tx
                            .query_opt(sql::DELETE_FOLLOW, &[&follower, &followee])
                            .await?
                            .is_some();
                        // In Redis the removal is a clean-up after the commit.
                        if unfollowed
                            && matches!(home, TimelineHome::Tables)
                            && tx
                                .query_opt(sql::LOCK_TIMELINE, &[&follower])
                                .await?
                                .is_some()
                        {
                            tx.execute(sql::REMOVE_AUTHOR, &[&follower, &followee])
                                .await?;
                        }
                    }
                    Ok(FollowParties {
                        follower: true,
                        followee: true,
                        unfollowed,
                    })
                })
            })
            .await?;
        #[cfg(feature = "redis")]
        if let (true, TimelineHome::Redis(redis)) = (parties.unfollowed, self.timeline_home()) {
            self.clean_up_unfollow(&redis, follower, followee).await;
        }
        Ok(parties)
    }

    /// Deletes photo `id` if `requester` is its author, removing it from
    /// every timeline first, in one transaction.
    pub(super) async fn delete_photo_everywhere(
        &self,
        id: i64,
        requester: i64,
    ) -> Result<DeleteOutcome, PgFailure> {
        let outcome = self
            .in_transaction(move |tx| {
                Box::pin(async move {
                    // Locked: no fan-out batch can insert it from here on, and
                    // batches holding it have committed.
                    let Some(row) = tx
                        .query_opt(super::sql::LOCK_PHOTO_FOR_DELETE, &[&id])
                        .await?
                    else {
                        return Ok(DeleteOutcome::NotFound);
                    };
                    if column::<i64>(&row, 0)? != requester {
                        return Ok(DeleteOutcome::NotAuthor);
                    }
                    tx.query(sql::LOCK_TIMELINES_HOLDING, &[&id]).await?;
                    tx.execute(sql::REMOVE_PHOTO, &[&id]).await?;
                    let deleted = tx
                        .query_one(super::sql::DELETE_PHOTO, &[&id, &requester])
                        .await?;
                    Ok(DeleteOutcome::Deleted(deleted))
                })
            })
            .await?;
        #[cfg(feature = "redis")]
        if let (DeleteOutcome::Deleted(_), TimelineHome::Redis(redis)) =
            (&outcome, self.timeline_home())
        {
            self.clean_up_delete(&redis, id, requester);
        }
        Ok(outcome)
    }

    /// See `Store::claim_fanout_job`.
    pub(super) async fn claim_job(&self, lease: Duration) -> Result<Option<FanoutJob>, StoreError> {
        let Some(row) = self
            .query_opt(sql::CLAIM_JOB, &[&lease_millis(lease)])
            .await
            .doing("claiming a fan-out job")?
        else {
            return Ok(None);
        };
        let id: i64 = rows::column(&row, 0)?;
        let claims: i32 = rows::column(&row, 4)?;
        let claim: i64 = rows::column(&row, 5)?;
        Ok(Some(FanoutJob {
            id: u64::try_from(id).map_err(|_| corrupt(format!("fan-out job id {id}")))?,
            photo: rows::photo_id(rows::column(&row, 1)?)?,
            author: rows::user_id(rows::column(&row, 2)?)?,
            enqueued_at: rows::column(&row, 3)?,
            previous_claims: u32::try_from(claims - 1).unwrap_or(0),
            claim: u64::try_from(claim).map_err(|_| corrupt(format!("claim token {claim}")))?,
        }))
    }

    /// See `Store::fan_out`.
    pub(super) async fn fan_out_batch(
        &self,
        job: &FanoutJob,
        batch: usize,
        lease: Duration,
        settings: TimelineSettings,
    ) -> Result<FanoutProgress, PgFailure> {
        let (Ok(id), Ok(claim)) = (i64::try_from(job.id), i64::try_from(job.claim)) else {
            return Ok(FanoutProgress::Lost);
        };
        let photo = db_id(job.photo.get());
        let author = db_id(job.author.get());
        let batch = batch.max(1);
        let lease = lease_millis(lease);
        let home = self.timeline_home();
        self.in_transaction(move |tx| {
            let home = home.clone();
            Box::pin(async move {
                let Some(row) = tx.query_opt(sql::LOCK_JOB, &[&id, &claim]).await? else {
                    return Ok(FanoutProgress::Lost);
                };
                let done_through: i64 = column(&row, 0)?;
                if tx.query_opt(sql::LOCK_PHOTO, &[&photo]).await?.is_none() {
                    tx.execute(sql::DELETE_JOB, &[&id]).await?;
                    return Ok(FanoutProgress::Skipped);
                }
                // Follows and unfollows of the author wait for this batch,
                // or it for them (see the migration).
                tx.query(sql::LOCK_AUTHOR, &[&author]).await?;
                if let Some(threshold) = settings.celebrity_followers {
                    let bound = i64::try_from(threshold).unwrap_or(i64::MAX);
                    let followers: i64 = column(
                        &tx.query_one(sql::FOLLOWERS_UP_TO, &[&author, &bound])
                            .await?,
                        0,
                    )?;
                    if u64::try_from(followers).unwrap_or(0) >= threshold {
                        // Sticky: this author's photos are merged at read
                        // time from now on, so none is ever lost.
                        tx.execute(sql::MARK_READ_TIME, &[&author]).await?;
                        tx.execute(sql::DELETE_JOB, &[&id]).await?;
                        return Ok(FanoutProgress::Skipped);
                    }
                }
                let next: Vec<i64> = tx
                    .query(
                        sql::FOLLOWERS_AFTER,
                        &[&author, &done_through, &(batch as i64 + 1)],
                    )
                    .await?
                    .iter()
                    .map(|row| column(row, 0))
                    .collect::<Result<_, _>>()?;
                let more = next.len() > batch;
                let followers = &next[..next.len().min(batch)];
                let inactive_after = settings.inactive_after.map(lease_millis);
                match &home {
                    TimelineHome::Tables => {
                        insert_entries(&tx, followers, photo, author, settings.cap, inactive_after)
                            .await?;
                    }
                    #[cfg(feature = "redis")]
                    TimelineHome::Redis(redis) => {
                        super::redis_timeline_ops::insert_entries(
                            &tx,
                            redis,
                            followers,
                            photo,
                            settings.cap,
                            inactive_after,
                        )
                        .await?;
                    }
                }
                match followers.last() {
                    Some(last) if more => {
                        tx.execute(sql::ADVANCE_JOB, &[&id, last, &lease]).await?;
                        Ok(FanoutProgress::More)
                    }
                    _ => {
                        tx.execute(sql::DELETE_JOB, &[&id]).await?;
                        Ok(FanoutProgress::Done)
                    }
                }
            })
        })
        .await
    }

    /// See `Store::timeline`.
    pub(super) async fn timeline_page(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Option<TimelineSlice>, StoreError> {
        #[cfg(feature = "redis")]
        if let TimelineHome::Redis(redis) = self.timeline_home() {
            return self.redis_timeline_page(&redis, user, page).await;
        }
        let user = db_id(user.get());
        let before = page.cursor.map_or(i64::MAX, |c| {
            i64::try_from(c.before().get()).unwrap_or(i64::MAX)
        });
        let fetch = page.limit.get() as i64 + 1;
        let found = self
            .query(sql::TIMELINE_PAGE, &[&user, &before, &fetch])
            .await
            .doing("reading a timeline")?;
        let Some(first) = found.first() else {
            return Ok(None);
        };
        let complete_above: i64 = rows::column(first, 11)?;
        slice_from_rows(&found, complete_above, found.len()).map(Some)
    }

    /// See `Store::mark_active`.
    pub(super) async fn mark_active_now(&self, user: UserId) -> Result<(), StoreError> {
        self.query(sql::MARK_ACTIVE, &[&db_id(user.get())])
            .await
            .doing("marking a user active")?;
        Ok(())
    }

    /// See `Store::rebuild_timeline`.
    pub(super) async fn rebuild(&self, user: UserId, cap: usize) -> Result<(), PgFailure> {
        let user = db_id(user.get());
        let cap = cap.max(1);
        #[cfg(feature = "redis")]
        if let TimelineHome::Redis(redis) = self.timeline_home() {
            return self
                .rebuild_in_redis(&redis, user, cap)
                .await
                .map_err(PgFailure::Other);
        }
        self.in_transaction(move |tx| {
            Box::pin(async move {
                tx.query(sql::LOCK_TIMELINE_BUILD, &[&user]).await?;
                tx.execute(sql::ENSURE_TIMELINE, &[&user]).await?;
                tx.query(sql::LOCK_TIMELINE, &[&user]).await?;
                tx.execute(sql::CLEAR_TIMELINE, &[&user]).await?;
                let newest: Vec<(i64, i64)> = tx
                    .query(sql::NEWEST_OF_FOLLOWEES, &[&user, &(cap as i64 + 1)])
                    .await?
                    .iter()
                    .map(|row| Ok((column(row, 0)?, column(row, 1)?)))
                    .collect::<Result<_, PgFailure>>()?;
                let kept = &newest[..newest.len().min(cap)];
                let users = vec![user; kept.len()];
                let photos: Vec<i64> = kept.iter().map(|(photo, _)| *photo).collect();
                let authors: Vec<i64> = kept.iter().map(|(_, author)| *author).collect();
                tx.execute(sql::INSERT_ENTRIES, &[&users, &photos, &authors])
                    .await?;
                if let Some(raise) =
                    boundary_below(newest.len(), cap, kept.last().map(|(photo, _)| *photo))
                {
                    tx.execute(sql::RAISE_COMPLETE_ABOVE, &[&user, &raise])
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }
}

/// A timeline slice from the rows of a timeline statement: the photo
/// columns of `rows::photo_view` (all NULL in the one row of an empty
/// page), the first `max_items` of them kept, and the followed read-time
/// authors in column 12 of the first row.
pub(super) fn slice_from_rows(
    found: &[Row],
    complete_above: i64,
    max_items: usize,
) -> Result<TimelineSlice, StoreError> {
    let read_time: Vec<i64> = match found.first() {
        Some(first) => rows::column(first, 12)?,
        None => Vec::new(),
    };
    let mut items = Vec::with_capacity(found.len().min(max_items));
    for row in found {
        if items.len() < max_items && rows::column::<Option<i64>>(row, 0)?.is_some() {
            items.push(rows::photo_view(row)?);
        }
    }
    Ok(TimelineSlice {
        items,
        complete_above: u64::try_from(complete_above).unwrap_or(0),
        read_time_authors: read_time
            .into_iter()
            .map(rows::user_id)
            .collect::<Result<_, _>>()?,
    })
}

/// A new follow: the followee's newest `follow_merge` photos join the
/// follower's timeline (if it has one), which is exact from the oldest
/// merged one up when the followee has more.
async fn merge_followee(
    tx: &Tx<'_>,
    follower: i64,
    followee: i64,
    settings: TimelineSettings,
) -> Result<(), PgFailure> {
    if tx
        .query_opt(sql::LOCK_TIMELINE, &[&follower])
        .await?
        .is_none()
    {
        return Ok(());
    }
    let (merged, raise) = followee_merge(tx, followee, settings).await?;
    let users = vec![follower; merged.len()];
    let authors = vec![followee; merged.len()];
    tx.execute(sql::INSERT_ENTRIES, &[&users, &merged, &authors])
        .await?;
    tx.execute(sql::TRIM_TO_CAP, &[&vec![follower], &(settings.cap as i32)])
        .await?;
    if let Some(raise) = raise {
        tx.execute(sql::RAISE_COMPLETE_ABOVE, &[&follower, &raise])
            .await?;
    }
    Ok(())
}

/// What a new follow merges: the followee's newest `follow_merge` photos
/// (locked against deletion until the transaction ends), and the boundary
/// the timeline is exact above afterwards when the followee has more.
pub(super) async fn followee_merge(
    tx: &Tx<'_>,
    followee: i64,
    settings: TimelineSettings,
) -> Result<(Vec<i64>, Option<i64>), PgFailure> {
    let k = settings.follow_merge();
    let mut newest: Vec<i64> = tx
        .query(sql::NEWEST_OF_AUTHOR, &[&followee, &(k as i64 + 1)])
        .await?
        .iter()
        .map(|row| column(row, 0))
        .collect::<Result<_, _>>()?;
    let found = newest.len();
    newest.truncate(k);
    let raise = boundary_below(found, k, newest.last().copied());
    Ok((newest, raise))
}

/// Of `found` newest photos read to keep at most `limit` (one more than
/// the limit was asked for), whose oldest kept is `oldest_kept`: the
/// boundary the kept ones are exact above, when some were left out.
pub(super) fn boundary_below(found: usize, limit: usize, oldest_kept: Option<i64>) -> Option<i64> {
    oldest_kept.filter(|_| found > limit).map(|id| id - 1)
}

/// Inserts `photo` by `author` into the timelines of `followers` (those
/// that exist), locked first in id order, and trims them to `cap`; first
/// drops those of followers not seen for `inactive_after_ms`.
async fn insert_entries(
    tx: &Tx<'_>,
    followers: &[i64],
    photo: i64,
    author: i64,
    cap: usize,
    inactive_after_ms: Option<f64>,
) -> Result<(), PgFailure> {
    if followers.is_empty() {
        return Ok(());
    }
    let followers = followers.to_vec();
    tx.query(sql::LOCK_TIMELINES, &[&followers]).await?;
    if let Some(after) = inactive_after_ms {
        tx.execute(sql::DROP_INACTIVE, &[&followers, &after])
            .await?;
    }
    let photos = vec![photo; followers.len()];
    let authors = vec![author; followers.len()];
    tx.execute(sql::INSERT_ENTRIES, &[&followers, &photos, &authors])
        .await?;
    tx.execute(sql::TRIM_TO_CAP, &[&followers, &(cap as i32)])
        .await?;
    Ok(())
}

/// An id as stored (ids above `i64::MAX` cannot exist; they match nothing).
fn db_id(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

fn corrupt(what: String) -> StoreError {
    StoreError::Corrupt { what }
}

/// A column inside a transaction body, whose errors are `PgFailure`s.
fn column<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    index: usize,
) -> Result<T, PgFailure> {
    row.try_get(index).map_err(PgFailure::from)
}
