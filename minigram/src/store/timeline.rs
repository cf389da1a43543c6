//! What stores that keep home timelines (push and hybrid feeds) exchange
//! with the feed code: the settings they keep them under, the fan-out jobs
//! of their durable queue, and a slice of one user's timeline.
//!
//! A timeline is a cache of the source of truth, never the truth itself:
//! the photos of the people a user follows, newest first, capped. Its
//! invariant, which every store operation keeps in the same transaction as
//! the change that would break it (a follow, an unfollow, a delete, a trim
//! to the cap): **once every fan-out job enqueued before a read has been
//! applied, the timeline holds exactly the photos with ids above
//! `complete_above` posted by the users its owner follows** (except
//! authors the read merges at read time, see `read_time_authors`). Below
//! `complete_above` the feed comes from the pull path, so a timeline never
//! has to hold everything.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::{PhotoId, PhotoView, UserId};

/// Default most photos a timeline holds (Twitter's and Mastodon's figure).
pub const DEFAULT_TIMELINE_CAP: usize = 800;

/// How a store keeps timelines, once [`Store::enable_timelines`] turned
/// them on.
///
/// [`Store::enable_timelines`]: super::Store::enable_timelines
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineSettings {
    /// Most photos one timeline holds; older ones are trimmed (and then
    /// served by the pull path).
    pub cap: usize,
    /// Hybrid feeds: an author with at least this many followers is not
    /// fanned out; their photos are merged at read time. `None`: push
    /// (everyone is fanned out).
    pub celebrity_followers: Option<u64>,
    /// A user not seen ([`Store::mark_active`]) for this long is inactive:
    /// fan-out drops their timeline instead of inserting into it, and when
    /// they come back it is rebuilt (reads use pull meanwhile). `None`:
    /// nobody becomes inactive.
    ///
    /// [`Store::mark_active`]: super::Store::mark_active
    pub inactive_after: Option<Duration>,
}

impl TimelineSettings {
    /// Whether a timeline last marked active at `active_at_ms` belongs to
    /// an inactive user at `now_ms` (both ms since the epoch).
    pub fn is_inactive(&self, active_at_ms: i64, now_ms: i64) -> bool {
        self.inactive_after.is_some_and(|after| {
            let after_ms = i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
            now_ms.saturating_sub(active_at_ms) > after_ms
        })
    }

    /// Photos merged into a timeline on a new follow: a quarter of the cap,
    /// as Mastodon does.
    pub fn follow_merge(&self) -> usize {
        (self.cap / 4).max(1)
    }
}

/// A claimed fan-out job: put `photo` into the timelines of `author`'s
/// followers. The claim is a lease: a worker that dies holding it loses it
/// when it expires, and another worker takes the job over from where the
/// last applied batch left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanoutJob {
    /// The job's id in the queue.
    pub id: u64,
    /// The posted photo.
    pub photo: PhotoId,
    /// Its author.
    pub author: UserId,
    /// When the post (and the job with it) was committed.
    pub enqueued_at: DateTime<Utc>,
    /// Times the job was claimed before this claim (a retried job is one
    /// whose earlier lease expired).
    pub previous_claims: u32,
    /// This claim's token: [`Store::fan_out`] applies a batch only while
    /// the job's current claim is this one.
    ///
    /// [`Store::fan_out`]: super::Store::fan_out
    pub claim: u64,
}

/// What one [`Store::fan_out`] call did.
///
/// [`Store::fan_out`]: super::Store::fan_out
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanoutProgress {
    /// One batch of followers was applied; call again for the next.
    More,
    /// The last batch was applied and the job removed from the queue.
    Done,
    /// The job was removed without (further) fan-out: its photo was
    /// deleted, or its author is a celebrity under a hybrid feed (whose
    /// photos are then merged at read time).
    Skipped,
    /// The job is no longer this worker's (its lease expired and another
    /// worker claimed it, or it is already done): nothing was applied.
    Lost,
}

/// How long a claim lasts unless renewed by applying a batch.
pub const DEFAULT_FANOUT_LEASE: Duration = Duration::from_secs(30);

/// A page-sized slice of one user's timeline, for the push read path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineSlice {
    /// Timeline photos below the requested cursor, newest first, as the
    /// viewer sees them: at most the page limit plus one. Photos deleted
    /// since they were inserted are never here.
    pub items: Vec<PhotoView>,
    /// The timeline is exact for photo ids above this (see the module
    /// docs); 0 when it is exact all the way down.
    pub complete_above: u64,
    /// Followed authors whose photos are not fanned out (hybrid
    /// celebrities): the read merges their photos in at read time.
    pub read_time_authors: Vec<UserId>,
}

/// The settings of a store's timeline operations, or the error they give
/// before [`Store::enable_timelines`] was called.
///
/// [`Store::enable_timelines`]: super::Store::enable_timelines
pub(crate) fn timelines_on(
    settings: Option<TimelineSettings>,
) -> Result<TimelineSettings, crate::error::StoreError> {
    settings.ok_or(crate::error::StoreError::Unsupported {
        what: "timeline operations before enable_timelines was called",
    })
}
