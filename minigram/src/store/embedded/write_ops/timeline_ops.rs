//! Timeline and fan-out-queue writes, applied inside the writer's batch
//! transaction like every other write (so a post and its job, or a follow
//! and its timeline merge, commit together or not at all).
//!
//! The invariant these keep is the one `store::timeline` states: after the
//! queue drains, a timeline holds exactly its owner's followees' photos
//! with ids above its `complete_above`.

use chrono::{DateTime, Utc};
use redb::{ReadableTable, Value};

use super::WriteTables;
use crate::domain::{PhotoId, UserId};
use crate::error::StoreError;
use crate::store::embedded::read_ops::user_count;
use crate::store::embedded::records::{FanoutJobRecord, decode, encode};
use crate::store::embedded::storage_context::StorageContext as _;
use crate::store::embedded::tables::*;
use crate::store::embedded::timeline_reads::{claimable, queued_jobs};
use crate::store::{FanoutJob, FanoutProgress, TimelineSettings, from_millis};

/// The second parts of the keys `(first, x)` of `table`, `x` ascending:
/// one user's timeline photos, one photo's timeline holders, one user's
/// followees.
fn second_keys<V: Value + 'static>(
    table: &impl ReadableTable<(u64, u64), V>,
    first: u64,
    action: &'static str,
) -> Result<Vec<u64>, StoreError> {
    table
        .range((first, 0)..=(first, u64::MAX))
        .during(action)?
        .map(|entry| entry.map(|(key, _)| key.value().1))
        .collect::<Result<Vec<u64>, _>>()
        .during(action)
}

impl WriteTables<'_> {
    fn timeline_meta(&self, user: u64) -> Result<Option<(u64, u64)>, StoreError> {
        Ok(self
            .timeline_meta
            .get(user)
            .during("reading a timeline")?
            .map(|m| m.value()))
    }

    /// Gives `user` an empty timeline, exact all the way down (a new user
    /// follows nobody).
    pub(in crate::store::embedded) fn start_timeline(
        &mut self,
        user: u64,
    ) -> Result<(), StoreError> {
        self.timeline_meta
            .insert(user, (0, 0))
            .during("starting a timeline")?;
        self.mark_active(user, Utc::now().timestamp_millis())
    }

    /// Records that `user` was seen at `now_ms`, if they have a timeline.
    pub(in crate::store::embedded) fn mark_active(
        &mut self,
        user: u64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        if self.timeline_meta(user)?.is_some() {
            self.timeline_activity
                .insert(user, now_ms)
                .during("marking a user active")?;
        }
        Ok(())
    }

    /// Whether `user`'s timeline is an inactive user's (see
    /// `TimelineSettings::inactive_after`). A timeline without an activity
    /// record (from before they were kept) counts as seen now.
    fn is_inactive(
        &mut self,
        user: u64,
        settings: TimelineSettings,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        if settings.inactive_after.is_none() {
            return Ok(false);
        }
        let seen = self
            .timeline_activity
            .get(user)
            .during("reading when a user was seen")?
            .map(|v| v.value());
        match seen {
            Some(at) => Ok(settings.is_inactive(at, now_ms)),
            None => {
                self.timeline_activity
                    .insert(user, now_ms)
                    .during("marking a user active")?;
                Ok(false)
            }
        }
    }

    /// Drops `user`'s timeline: a fan-out skipped them, so it is no longer
    /// exact; their next read rebuilds it.
    fn drop_timeline(&mut self, user: u64) -> Result<(), StoreError> {
        for photo in second_keys(&self.timelines, user, "scanning a timeline")? {
            self.remove_entry(user, photo)?;
        }
        self.timeline_meta
            .remove(user)
            .during("dropping a timeline")?;
        self.timeline_activity
            .remove(user)
            .during("dropping a timeline")?;
        Ok(())
    }

    /// Inserts `photo` into `user`'s timeline (idempotent) unless it has no
    /// timeline or the photo is in the range pull serves, then trims the
    /// oldest entries beyond `cap`, raising `complete_above` past them.
    fn timeline_insert(
        &mut self,
        user: u64,
        photo: u64,
        author: u64,
        cap: usize,
    ) -> Result<(), StoreError> {
        let Some((mut complete_above, mut len)) = self.timeline_meta(user)? else {
            return Ok(());
        };
        if photo <= complete_above
            || self
                .timelines
                .get((user, photo))
                .during("reading a timeline entry")?
                .is_some()
        {
            return Ok(());
        }
        self.timelines
            .insert((user, photo), author)
            .during("inserting a timeline entry")?;
        self.timeline_by_photo
            .insert((photo, user), ())
            .during("indexing a timeline entry")?;
        len += 1;
        while len > cap as u64 {
            let oldest = self
                .timelines
                .range((user, 0)..=(user, u64::MAX))
                .during("scanning a timeline")?
                .next()
                .transpose()
                .during("scanning a timeline")?
                .map(|(key, _)| key.value().1);
            let Some(oldest) = oldest else { break };
            self.remove_entry(user, oldest)?;
            len -= 1;
            complete_above = complete_above.max(oldest);
        }
        self.timeline_meta
            .insert(user, (complete_above, len))
            .during("updating a timeline")?;
        Ok(())
    }

    fn remove_entry(&mut self, user: u64, photo: u64) -> Result<(), StoreError> {
        self.timelines
            .remove((user, photo))
            .during("removing a timeline entry")?;
        self.timeline_by_photo
            .remove((photo, user))
            .during("unindexing a timeline entry")?;
        Ok(())
    }

    /// Removes entries and keeps the count; `complete_above` stays (the
    /// removed photos leave the feed too, so exactness holds).
    fn remove_entries(&mut self, user: u64, photos: &[u64]) -> Result<(), StoreError> {
        if photos.is_empty() {
            return Ok(());
        }
        for photo in photos {
            self.remove_entry(user, *photo)?;
        }
        if let Some((complete_above, len)) = self.timeline_meta(user)? {
            let len = len.saturating_sub(photos.len() as u64);
            self.timeline_meta
                .insert(user, (complete_above, len))
                .during("updating a timeline")?;
        }
        Ok(())
    }

    /// A deleted photo leaves every timeline holding it.
    pub(in crate::store::embedded) fn remove_from_timelines(
        &mut self,
        photo: u64,
    ) -> Result<(), StoreError> {
        let holders = second_keys(
            &self.timeline_by_photo,
            photo,
            "scanning a photo's timelines",
        )?;
        for user in holders {
            self.remove_entries(user, &[photo])?;
        }
        Ok(())
    }

    /// `author`'s newest photo ids, at most `n`, newest first.
    fn newest_photos_of(&self, author: u64, n: usize) -> Result<Vec<u64>, StoreError> {
        self.photos_by_user
            .range((author, 0)..=(author, u64::MAX))
            .during("scanning photos by user")?
            .rev()
            .take(n)
            .map(|entry| entry.map(|(key, _)| key.value().1))
            .collect::<Result<Vec<u64>, _>>()
            .during("scanning photos by user")
    }

    /// A new follow: the followee's newest `follow_merge` photos join the
    /// follower's timeline; older ones are left to pull, so the timeline is
    /// exact only from the oldest merged one up.
    pub(in crate::store::embedded) fn merge_followee(
        &mut self,
        follower: u64,
        followee: u64,
        settings: TimelineSettings,
    ) -> Result<(), StoreError> {
        if self.timeline_meta(follower)?.is_none() {
            return Ok(());
        }
        let k = settings.follow_merge();
        let newest = self.newest_photos_of(followee, k + 1)?;
        for photo in newest.iter().take(k) {
            self.timeline_insert(follower, *photo, followee, settings.cap)?;
        }
        if newest.len() > k
            && let Some(kth) = newest.get(k - 1)
            && let Some((complete_above, len)) = self.timeline_meta(follower)?
        {
            self.timeline_meta
                .insert(follower, (complete_above.max(kth - 1), len))
                .during("updating a timeline")?;
        }
        Ok(())
    }

    /// An unfollow: the followee's photos leave the follower's timeline.
    pub(in crate::store::embedded) fn unmerge_followee(
        &mut self,
        follower: u64,
        followee: u64,
    ) -> Result<(), StoreError> {
        let theirs = self
            .timelines
            .range((follower, 0)..=(follower, u64::MAX))
            .during("scanning a timeline")?
            .filter_map(|entry| match entry {
                Ok((key, author)) if author.value() == followee => Some(Ok(key.value().1)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<Vec<u64>, _>>()
            .during("scanning a timeline")?;
        self.remove_entries(follower, &theirs)
    }

    /// Replaces `user`'s timeline with the newest `cap` photos of everyone
    /// they follow, read in this transaction.
    pub(in crate::store::embedded) fn rebuild_timeline(
        &mut self,
        user: u64,
        cap: usize,
    ) -> Result<(), StoreError> {
        let old = second_keys(&self.timelines, user, "scanning a timeline")?;
        for photo in old {
            self.remove_entry(user, photo)?;
        }
        let followees = second_keys(&self.follows, user, "scanning follows")?;
        let mut newest: Vec<(u64, u64)> = Vec::new();
        for followee in followees {
            for photo in self.newest_photos_of(followee, cap + 1)? {
                newest.push((photo, followee));
            }
        }
        newest.sort_unstable_by(|a, b| b.cmp(a));
        newest.truncate(cap + 1);
        let complete_above = match newest.get(cap.saturating_sub(1)) {
            Some((oldest_kept, _)) if newest.len() > cap => oldest_kept - 1,
            _ => 0,
        };
        newest.truncate(cap);
        for (photo, author) in &newest {
            self.timelines
                .insert((user, *photo), *author)
                .during("inserting a timeline entry")?;
            self.timeline_by_photo
                .insert((*photo, user), ())
                .during("indexing a timeline entry")?;
        }
        self.timeline_meta
            .insert(user, (complete_above, newest.len() as u64))
            .during("updating a timeline")?;
        self.mark_active(user, Utc::now().timestamp_millis())
    }

    /// Whether `author`'s photos are merged at read time under a hybrid
    /// feed (marked by an earlier fan-out, for good): their new photos
    /// then need no fan-out job, so posting costs what it costs under pull.
    pub(in crate::store::embedded) fn is_read_time_author(
        &self,
        author: u64,
        settings: TimelineSettings,
    ) -> Result<bool, StoreError> {
        Ok(settings.celebrity_followers.is_some()
            && self
                .read_time_authors
                .get(author)
                .during("reading read-time authors")?
                .is_some())
    }

    /// Queues the fan-out of a new photo (the outbox row).
    pub(in crate::store::embedded) fn enqueue_fanout(
        &mut self,
        photo: u64,
        author: u64,
        enqueued_at_ms: i64,
    ) -> Result<(), StoreError> {
        let id = self.take_id(FANOUT_JOB_COUNTER)?;
        let record = FanoutJobRecord {
            photo,
            author,
            enqueued_at_ms,
            done_through: 0,
            claims: 0,
            claim: 0,
            lease_until_ms: i64::MIN,
        };
        self.fanout_jobs
            .insert(id, encode(&record)?.as_slice())
            .during("queueing a fan-out job")?;
        Ok(())
    }

    fn job(&self, id: u64) -> Result<Option<FanoutJobRecord>, StoreError> {
        self.fanout_jobs
            .get(id)
            .during("reading a fan-out job")?
            .map(|bytes| decode(&format!("fan-out job {id}"), bytes.value()))
            .transpose()
    }

    fn put_job(&mut self, id: u64, record: &FanoutJobRecord) -> Result<(), StoreError> {
        self.fanout_jobs
            .insert(id, encode(record)?.as_slice())
            .during("updating a fan-out job")?;
        Ok(())
    }

    /// Releases every claim. Called when the file is opened: redb locks
    /// the file to one process, so any claim found then was held by a
    /// process that is gone, and its jobs need not wait out their leases.
    pub(in crate::store::embedded) fn release_fanout_claims(&mut self) -> Result<u64, StoreError> {
        let held = queued_jobs(&self.fanout_jobs, usize::MAX, |r| {
            r.lease_until_ms != i64::MIN
        })?;
        let released = held.len() as u64;
        for (id, mut record) in held {
            record.lease_until_ms = i64::MIN;
            self.put_job(id, &record)?;
        }
        Ok(released)
    }

    /// Claims the oldest job whose lease has run out.
    pub(in crate::store::embedded) fn claim_fanout(
        &mut self,
        now: DateTime<Utc>,
        lease_ms: i64,
    ) -> Result<Option<FanoutJob>, StoreError> {
        let now_ms = now.timestamp_millis();
        let found = queued_jobs(&self.fanout_jobs, 1, |r| claimable(r, now_ms))?
            .into_iter()
            .next();
        let Some((id, mut record)) = found else {
            return Ok(None);
        };
        let claim = self.take_id(FANOUT_CLAIM_COUNTER)?;
        record.claims += 1;
        record.claim = claim;
        record.lease_until_ms = now_ms.saturating_add(lease_ms);
        self.put_job(id, &record)?;
        let corrupt = || StoreError::Corrupt {
            what: format!("fan-out job {id}: id 0"),
        };
        Ok(Some(FanoutJob {
            id,
            photo: PhotoId::new(record.photo).ok_or_else(corrupt)?,
            author: UserId::new(record.author).ok_or_else(corrupt)?,
            enqueued_at: from_millis(record.enqueued_at_ms),
            previous_claims: record.claims - 1,
            claim,
        }))
    }

    /// Applies the next batch of a claimed job; see `Store::fan_out`.
    pub(in crate::store::embedded) fn fan_out(
        &mut self,
        job: &FanoutJob,
        batch: usize,
        settings: TimelineSettings,
        now: DateTime<Utc>,
        lease_ms: i64,
    ) -> Result<FanoutProgress, StoreError> {
        let Some(mut record) = self.job(job.id)? else {
            return Ok(FanoutProgress::Lost);
        };
        if record.claim != job.claim {
            return Ok(FanoutProgress::Lost);
        }
        let (photo, author) = (record.photo, record.author);
        let photo_exists = self.photos.get(photo).during("reading a photo")?.is_some();
        let celebrity = match settings.celebrity_followers {
            Some(threshold) => user_count(&self.user_counts, author, COUNT_FOLLOWERS)? >= threshold,
            None => false,
        };
        if !photo_exists || celebrity {
            if celebrity {
                self.read_time_authors
                    .insert(author, ())
                    .during("marking a read-time author")?;
            }
            self.fanout_jobs
                .remove(job.id)
                .during("removing a fan-out job")?;
            return Ok(FanoutProgress::Skipped);
        }
        let batch = batch.max(1);
        let next = self
            .followers
            .range((author, record.done_through.saturating_add(1))..=(author, u64::MAX))
            .during("scanning followers")?
            .take(batch + 1)
            .map(|entry| entry.map(|(key, _)| key.value().1))
            .collect::<Result<Vec<u64>, _>>()
            .during("scanning followers")?;
        let now_ms = now.timestamp_millis();
        for &follower in next.iter().take(batch) {
            if self.timeline_meta(follower)?.is_none() {
                continue;
            }
            if self.is_inactive(follower, settings, now_ms)? {
                self.drop_timeline(follower)?;
            } else {
                self.timeline_insert(follower, photo, author, settings.cap)?;
            }
        }
        if next.len() > batch {
            record.done_through = next[batch - 1];
            record.lease_until_ms = now.timestamp_millis().saturating_add(lease_ms);
            self.put_job(job.id, &record)?;
            Ok(FanoutProgress::More)
        } else {
            self.fanout_jobs
                .remove(job.id)
                .during("removing a fan-out job")?;
            Ok(FanoutProgress::Done)
        }
    }
}
