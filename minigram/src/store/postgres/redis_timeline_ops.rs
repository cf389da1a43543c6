//! The timeline side of PostgreSQL operations when the timelines live in
//! Redis ([`RedisTimelines`]). The queue, the follows and the photos stay
//! in PostgreSQL, and so do the `timeline_meta` rows, for `active_at`
//! only: a fan-out batch does not lock its followers' rows (the Redis
//! scripts are atomic per user instead), which is what makes a batch
//! cheap. The locks on the job, the photo and the author stay as in
//! `migrations/V3__timelines.sql`.
//!
//! No transaction spans both systems, so a Redis write may outlive a
//! transaction that then rolls back (or a process killed before its
//! commit). Each write is chosen so that this is harmless:
//! - **inserts and follow merges** only add entries. An entry whose
//!   photo was deleted, or whose author the owner no longer follows, is
//!   dropped by every read ([`TIMELINE_ENTRIES`]), so an extra entry never
//!   shows; a missing one would, and is never the result of a rollback.
//!   A merge reads the followee's photos after its follow is visible, and
//!   a batch reads the followers after its photo is committed, so a photo
//!   posted during a follow reaches the new follower one way or the other;
//! - **raising a boundary** (a trim, a merge) is always safe: the pull
//!   path serves what is below it;
//! - **removals** (an unfollow, a delete) happen after the commit, as
//!   clean-up: if they are lost, the reads' filter hides the entries until
//!   a trim drops them. An unfollow's clean-up re-checks, under the
//!   followee's lock, that the follow is still gone, so it never removes
//!   what a re-follow merged back;
//! - **a rebuild** first marks the timeline as being built (reads ignore
//!   it, fan-out inserts into it), then takes its PostgreSQL snapshot,
//!   then adds the snapshot to what fan-out inserted meanwhile: a photo
//!   committed after the snapshot had its batch run after the mark. The
//!   mark is set under the advisory lock a new follow takes before its
//!   merge (`LOCK_TIMELINE_BUILD`), so a follow is either committed before
//!   the mark (the snapshot sees it) or merges after it. The mark carries
//!   a token, so a rebuild whose timeline was dropped or rebuilt again
//!   meanwhile changes nothing. Reads also require the user's
//!   `timeline_meta` row (which a rebuild creates).
//!
//! A Redis that lost its data (a restart without persistence, which
//! `RedisTimelines::check` insists on) leaves users without timelines:
//! reads use pull and rebuild them. A Redis that is down fails fan-out
//! batches (the job stays queued and is retried) and follows
//! (`StoreError::Unavailable`, nothing changed), lets unfollows and
//! deletes commit without their clean-up, and makes reads fall back to
//! pull.

use tokio_postgres::Row;

use super::pg_failure::{Doing as _, PgFailure};
use super::redis_timelines::RedisTimelines;
use super::timeline_sql as sql;
use super::transaction::Tx;
use super::{PostgresStore, rows};
use crate::domain::{PageRequest, UserId};
use crate::error::StoreError;
use crate::store::{TimelineSettings, TimelineSlice};

/// Entries read beyond a page's limit, so that a few filtered-out stale
/// entries do not cut the page short.
const STALE_SLACK: usize = 8;

/// Followers whose timelines one pipeline of a delete's clean-up touches.
const CLEANUP_BATCH: i64 = 1000;

/// The photo columns of `rows::photo_view` for the timeline entries `$2`
/// that user `$1` may still see (the photo exists and its author is still
/// followed), newest first (NULL columns when none), then whether the
/// user's `timeline_meta` row exists and the followed read-time authors.
/// One statement, so one snapshot.
pub(super) const TIMELINE_ENTRIES: &str = concat!(
    "SELECT ",
    photo_columns!("1"),
    ", EXISTS (SELECT 1 FROM timeline_meta m WHERE m.user_id = $1), ",
    "ARRAY(SELECT r.author_id FROM read_time_authors r WHERE EXISTS (SELECT 1 FROM follows f ",
    "WHERE f.follower_id = $1 AND f.followee_id = r.author_id) ORDER BY 1) ",
    "FROM (SELECT 1) one LEFT JOIN photos p ON p.id = ANY($2::int8[]) AND EXISTS (",
    "SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followee_id = p.author_id) ",
    "ORDER BY p.id DESC"
);

/// Of photos `$1`, those by author `$2` (an unfollow's clean-up).
const PHOTOS_BY_AUTHOR_AMONG: &str =
    "SELECT id FROM photos WHERE id = ANY($1::int8[]) AND author_id = $2";

const FOLLOWS: &str =
    "SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2)";

/// A fan-out batch's writes: drops the timelines of `followers` not seen
/// for `inactive_after_ms`, then inserts `photo` into the others' (those
/// that have one: the script skips the rest).
pub(super) async fn insert_entries(
    tx: &Tx<'_>,
    redis: &RedisTimelines,
    followers: &[i64],
    photo: i64,
    cap: usize,
    inactive_after_ms: Option<f64>,
) -> Result<(), PgFailure> {
    if followers.is_empty() {
        return Ok(());
    }
    let mut holders = followers.to_vec();
    if let Some(after) = inactive_after_ms {
        let dropped = ids(&tx.query(sql::DROP_INACTIVE, &[&holders, &after]).await?)?;
        redis
            .drop_timelines(&dropped)
            .await
            .map_err(PgFailure::Other)?;
        holders.retain(|user| !dropped.contains(user));
    }
    redis
        .insert(&holders, photo, cap)
        .await
        .map_err(PgFailure::Other)
}

/// A new follow's merge into the follower's timeline, if it has one (see
/// the PostgreSQL `merge_followee`, whose steps this follows).
pub(super) async fn merge_followee(
    tx: &Tx<'_>,
    redis: &RedisTimelines,
    follower: i64,
    followee: i64,
    settings: TimelineSettings,
) -> Result<(), PgFailure> {
    let (merged, raise) = super::timeline_ops::followee_merge(tx, followee, settings).await?;
    redis
        .merge(follower, &merged, settings.cap, raise)
        .await
        .map_err(PgFailure::Other)
}

impl PostgresStore {
    /// A rebuild (see the module docs): mark, snapshot, finish.
    pub(super) async fn rebuild_in_redis(
        &self,
        redis: &RedisTimelines,
        user: i64,
        cap: usize,
    ) -> Result<(), StoreError> {
        let token = rand::random::<u64>();
        // Under the follows' lock: a follow not yet committed either
        // merges into the marked timeline after this, or committed before
        // it and the snapshot below sees it.
        self.in_transaction(move |tx| {
            let redis = redis.clone();
            Box::pin(async move {
                tx.query(sql::LOCK_TIMELINE_BUILD, &[&user]).await?;
                redis
                    .begin_rebuild(user, token)
                    .await
                    .map_err(PgFailure::Other)
            })
        })
        .await
        .doing("starting a timeline rebuild")?;
        self.query(sql::ENSURE_TIMELINE, &[&user])
            .await
            .doing("creating a timeline's row")?;
        self.query(sql::MARK_ACTIVE, &[&user])
            .await
            .doing("marking a user active")?;
        let newest = ids(&self
            .query(sql::NEWEST_OF_FOLLOWEES, &[&user, &(cap as i64 + 1)])
            .await
            .doing("reading the followees' photos")?)
        .doing("reading the followees' photos")?;
        let kept = &newest[..newest.len().min(cap)];
        let complete_above =
            super::timeline_ops::boundary_below(newest.len(), cap, kept.last().copied())
                .unwrap_or(0);
        if !redis
            .finish_rebuild(user, token, cap, complete_above, kept)
            .await?
        {
            tracing::debug!(
                user,
                "a timeline rebuild was superseded or its timeline dropped"
            );
        }
        Ok(())
    }

    /// A page of `user`'s Redis timeline, filtered and hydrated from
    /// PostgreSQL.
    pub(super) async fn redis_timeline_page(
        &self,
        redis: &RedisTimelines,
        user: UserId,
        page: PageRequest,
    ) -> Result<Option<TimelineSlice>, StoreError> {
        let user = i64::try_from(user.get()).unwrap_or(i64::MAX);
        let before = page.cursor.map_or(i64::MAX, |c| {
            i64::try_from(c.before().get()).unwrap_or(i64::MAX)
        });
        let fetch = page.limit.get() + 1;
        let asked = fetch + STALE_SLACK;
        let Some((boundary, entries)) = redis.page(user, before, asked).await? else {
            return Ok(None);
        };
        // With more entries below the last one read, the slice is only
        // known to be exact down to it: below, the pull path takes over.
        let complete_above = match entries.last() {
            Some(&lowest) if entries.len() == asked => boundary.max(lowest - 1),
            _ => boundary,
        };
        let found = self
            .query(TIMELINE_ENTRIES, &[&user, &entries])
            .await
            .doing("reading a timeline's photos")?;
        let Some(first) = found.first() else {
            return Ok(None);
        };
        if !rows::column::<bool>(first, 11)? {
            return Ok(None);
        }
        super::timeline_ops::slice_from_rows(&found, complete_above, fetch).map(Some)
    }

    /// After an unfollow committed: removes the followee's photos from the
    /// follower's timeline, unless a re-follow came first (checked under
    /// the followee's lock, which a follow takes too). Best effort: a
    /// failure leaves entries the reads filter out.
    pub(super) async fn clean_up_unfollow(
        &self,
        redis: &RedisTimelines,
        follower: i64,
        followee: i64,
    ) {
        let result = self
            .in_transaction(move |tx| {
                let redis = redis.clone();
                Box::pin(async move {
                    tx.query(sql::LOCK_FOLLOWEE, &[&followee]).await?;
                    let still: bool = tx
                        .query_one(FOLLOWS, &[&follower, &followee])
                        .await?
                        .try_get(0)
                        .map_err(PgFailure::from)?;
                    if still {
                        return Ok(());
                    }
                    let held = redis.entries(follower).await.map_err(PgFailure::Other)?;
                    let theirs = ids(&tx
                        .query(PHOTOS_BY_AUTHOR_AMONG, &[&held, &followee])
                        .await?)?;
                    redis
                        .remove(follower, &theirs)
                        .await
                        .map_err(PgFailure::Other)
                })
            })
            .await;
        if let Err(e) = result {
            let e = e.into_store("cleaning up after an unfollow");
            tracing::warn!(follower, followee, error = %e, "an unfollow's timeline clean-up failed; reads filter the entries out");
        }
    }

    /// After a delete committed: removes the photo from the timelines of
    /// its author's followers, in the background. Best effort, like
    /// [`clean_up_unfollow`](Self::clean_up_unfollow).
    pub(super) fn clean_up_delete(&self, redis: &RedisTimelines, photo: i64, author: i64) {
        let (store, redis) = (self.clone(), redis.clone());
        tokio::spawn(async move {
            let mut after = 0_i64;
            loop {
                let batch = match store
                    .query(sql::FOLLOWERS_AFTER, &[&author, &after, &CLEANUP_BATCH])
                    .await
                {
                    Ok(found) => match ids(&found) {
                        Ok(batch) => batch,
                        Err(e) => return warn_delete(photo, &e.into_store("reading followers")),
                    },
                    Err(e) => return warn_delete(photo, &e.into_store("reading followers")),
                };
                if let Err(e) = redis.remove_from_each(&batch, photo).await {
                    return warn_delete(photo, &e);
                }
                match batch.last() {
                    Some(&last) if batch.len() as i64 == CLEANUP_BATCH => after = last,
                    _ => return,
                }
            }
        });
    }
}

fn warn_delete(photo: i64, e: &StoreError) {
    tracing::warn!(photo, error = %e, "a delete's timeline clean-up failed; reads filter the photo out");
}

/// The first column of each row, as ids.
fn ids(found: &[Row]) -> Result<Vec<i64>, PgFailure> {
    found
        .iter()
        .map(|row| row.try_get(0).map_err(PgFailure::from))
        .collect()
}
