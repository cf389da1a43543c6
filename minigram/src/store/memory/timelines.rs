//! The memory model's timelines and fan-out queue: the plain version of
//! what the embedded and PostgreSQL stores do in their transactions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::State;
use crate::domain::{PhotoId, UserId};
use crate::store::{FanoutJob, FanoutProgress, TimelineSettings, to_millis};

/// One user's timeline: photo → author, the id above which it is exact,
/// and when its user was last seen.
#[derive(Debug, Default, Clone)]
pub(super) struct Timeline {
    pub entries: BTreeMap<PhotoId, UserId>,
    pub complete_above: u64,
    pub active_at_ms: i64,
}

impl Timeline {
    /// An empty timeline, exact all the way down.
    pub fn active_since(now_ms: i64) -> Self {
        Self {
            active_at_ms: now_ms,
            ..Self::default()
        }
    }

    /// Inserts unless the photo is at or below the exact range (the pull
    /// path serves it there), then trims the oldest beyond `cap`.
    fn insert(&mut self, photo: PhotoId, author: UserId, cap: usize) {
        if photo.get() <= self.complete_above {
            return;
        }
        self.entries.insert(photo, author);
        while self.entries.len() > cap {
            if let Some((oldest, _)) = self.entries.pop_first() {
                self.complete_above = self.complete_above.max(oldest.get());
            }
        }
    }
}

/// A queued fan-out job.
#[derive(Debug, Clone)]
pub(super) struct QueuedJob {
    pub photo: PhotoId,
    pub author: UserId,
    pub enqueued_at: DateTime<Utc>,
    /// Followers up to and including this one are done.
    pub done_through: Option<UserId>,
    pub claims: u32,
    pub claim: u64,
    pub lease_until_ms: i64,
}

impl State {
    pub(super) fn followers_of(&self, user: UserId) -> impl Iterator<Item = UserId> + '_ {
        self.follows
            .iter()
            .filter(move |(_, followee)| *followee == user)
            .map(|(follower, _)| *follower)
    }

    /// `author`'s photos, newest first.
    fn photos_of(&self, author: UserId) -> impl Iterator<Item = PhotoId> + '_ {
        self.photos
            .values()
            .rev()
            .filter(move |p| p.author == author)
            .map(|p| p.id)
    }

    pub(super) fn enqueue_fanout(&mut self, photo: PhotoId, author: UserId, at: DateTime<Utc>) {
        self.last_job_id += 1;
        self.fanout_jobs.insert(
            self.last_job_id,
            QueuedJob {
                photo,
                author,
                enqueued_at: at,
                done_through: None,
                claims: 0,
                claim: 0,
                lease_until_ms: i64::MIN,
            },
        );
    }

    pub(super) fn claim_fanout(&mut self, now: DateTime<Utc>, lease_ms: i64) -> Option<FanoutJob> {
        let now_ms = to_millis(now);
        self.last_claim += 1;
        let claim = self.last_claim;
        let (&id, job) = self
            .fanout_jobs
            .iter_mut()
            .find(|(_, job)| job.lease_until_ms <= now_ms)?;
        job.claims += 1;
        job.claim = claim;
        job.lease_until_ms = now_ms.saturating_add(lease_ms);
        Some(FanoutJob {
            id,
            photo: job.photo,
            author: job.author,
            enqueued_at: job.enqueued_at,
            previous_claims: job.claims - 1,
            claim,
        })
    }

    pub(super) fn fan_out(
        &mut self,
        job: &FanoutJob,
        batch: usize,
        settings: TimelineSettings,
        now: DateTime<Utc>,
        lease_ms: i64,
    ) -> FanoutProgress {
        let Some(queued) = self.fanout_jobs.get(&job.id) else {
            return FanoutProgress::Lost;
        };
        if queued.claim != job.claim {
            return FanoutProgress::Lost;
        }
        let done_through = queued.done_through;
        if !self.photos.contains_key(&job.photo) {
            self.fanout_jobs.remove(&job.id);
            return FanoutProgress::Skipped;
        }
        if let Some(threshold) = settings.celebrity_followers
            && self.followers_of(job.author).count() as u64 >= threshold
        {
            // Sticky: this author's photos are merged at read time from
            // now on, so this one (and any not fanned out) is never lost.
            self.read_time_authors.insert(job.author);
            self.fanout_jobs.remove(&job.id);
            return FanoutProgress::Skipped;
        }
        let next: Vec<UserId> = self
            .followers_of(job.author)
            .filter(|f| done_through.is_none_or(|d| *f > d))
            .take(batch.max(1) + 1)
            .collect();
        let more = next.len() > batch.max(1);
        let now_ms = to_millis(now);
        for follower in next.iter().take(batch.max(1)) {
            let Some(timeline) = self.timelines.get_mut(follower) else {
                continue;
            };
            if settings.is_inactive(timeline.active_at_ms, now_ms) {
                // Skipped, so no longer exact: gone, rebuilt on return.
                self.timelines.remove(follower);
            } else {
                timeline.insert(job.photo, job.author, settings.cap);
            }
        }
        if more {
            if let Some(queued) = self.fanout_jobs.get_mut(&job.id) {
                queued.done_through = next.get(batch.max(1) - 1).copied();
                queued.lease_until_ms = to_millis(now).saturating_add(lease_ms);
            }
            FanoutProgress::More
        } else {
            self.fanout_jobs.remove(&job.id);
            FanoutProgress::Done
        }
    }

    /// A new follow: the followee's newest photos join the timeline.
    pub(super) fn merge_followee(
        &mut self,
        follower: UserId,
        followee: UserId,
        settings: TimelineSettings,
    ) {
        let k = settings.follow_merge();
        let newest: Vec<PhotoId> = self.photos_of(followee).take(k + 1).collect();
        let Some(timeline) = self.timelines.get_mut(&follower) else {
            return;
        };
        for photo in newest.iter().take(k) {
            timeline.insert(*photo, followee, settings.cap);
        }
        if newest.len() > k
            && let Some(kth) = newest.get(k - 1)
        {
            // Older photos of the followee are not merged: exact only from
            // the k-th newest up.
            timeline.complete_above = timeline.complete_above.max(kth.get() - 1);
        }
    }

    pub(super) fn unmerge_followee(&mut self, follower: UserId, followee: UserId) {
        if let Some(timeline) = self.timelines.get_mut(&follower) {
            timeline.entries.retain(|_, author| *author != followee);
        }
    }

    pub(super) fn rebuild_timeline(&mut self, user: UserId, cap: usize, now_ms: i64) {
        let followees: Vec<UserId> = self
            .follows
            .iter()
            .filter(|(f, _)| *f == user)
            .map(|(_, followee)| *followee)
            .collect();
        let newest: Vec<(PhotoId, UserId)> = self
            .photos
            .values()
            .rev()
            .filter(|p| followees.contains(&p.author))
            .take(cap + 1)
            .map(|p| (p.id, p.author))
            .collect();
        let complete_above = match newest.get(cap.saturating_sub(1)) {
            Some((oldest_kept, _)) if newest.len() > cap => oldest_kept.get() - 1,
            _ => 0,
        };
        let entries = newest.into_iter().take(cap).collect();
        self.timelines.insert(
            user,
            Timeline {
                entries,
                complete_above,
                active_at_ms: now_ms,
            },
        );
    }
}
