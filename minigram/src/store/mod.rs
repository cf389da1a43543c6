//! The storage contract ([`Store`]) and its implementations.
//!
//! - [`MemoryStore`]: the reference model: simple, obviously right, used by
//!   the property tests as the oracle.
//! - [`EmbeddedStore`] (feature `embedded`, default): redb with one
//!   group-committing writer.
//! - `PostgresStore` and `ReplicaRouter` (feature `postgres`):
//!   PostgreSQL, alone or as a primary with streaming replicas.
//! - [`CountingStore`]: wraps any store and counts the operations asked
//!   of it.
//!
//! Every type is exported here, flat: `minigram::store::ReplicaRouter`.

mod counting_store;
#[cfg(feature = "embedded")]
mod embedded;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod store_metric;
mod timeline;

pub use counting_store::CountingStore;
#[cfg(all(fuzzing, feature = "embedded"))]
pub(crate) use embedded::fuzzing as embedded_fuzzing;
#[cfg(feature = "embedded")]
pub use embedded::{EmbeddedConfig, EmbeddedStore};
pub use memory::MemoryStore;
#[cfg(all(feature = "postgres", feature = "redis"))]
pub use postgres::RedisTimelines;
#[cfg(feature = "postgres")]
pub use postgres::{
    ClusterMember, ClusterStatus, MemberRole, PostgresConfig, PostgresStore, ReadConsistency,
    ReplicaRouter, ReplicaState, ReplicaStatus, RouterConfig, RouterStatus,
};
pub use store_metric::{MetricKind, MetricSeries, StoreMetric};
pub(crate) use timeline::timelines_on;
pub use timeline::{
    DEFAULT_FANOUT_LEASE, DEFAULT_TIMELINE_CAP, FanoutJob, FanoutProgress, TimelineSettings,
    TimelineSlice,
};

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{
    Caption, Email, FeedPage, PageRequest, Photo, PhotoId, PhotoView, Profile, User, UserId,
    Username,
};
use crate::error::{
    DeletePhotoError, FollowError, LikeError, PostPhotoError, RegisterError, StoreError,
};
use crate::media::{MediaKey, StoredMedia};

/// An account to create. The password is already hashed (a PHC string).
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The chosen username.
    pub username: Username,
    /// The normalised email.
    pub email: Email,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Creation time; stores keep millisecond precision.
    pub created_at: DateTime<Utc>,
}

/// A photo to record; its bytes are already in the media store.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    /// Who posts it.
    pub author: UserId,
    /// Its caption.
    pub caption: Caption,
    /// What the media store recorded.
    pub media: StoredMedia,
    /// Posting time; stores keep millisecond precision.
    pub created_at: DateTime<Utc>,
}

/// A user with the password hash, for login only.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub user: User,
    /// The argon2id PHC string.
    pub password_hash: String,
}

/// The storage contract every store keeps. The shared contract test suite
/// (`tests/integration/contract`) checks each rule against every implementation.
///
/// General rules:
/// - **Durability and visibility**: when a write method returns `Ok`, the
///   write is durable (as durable as the store can make it) and visible to
///   every read that starts afterwards through the same store handle.
///   Exception, by configuration: a store that reads from replicas or caches
///   may promise only *read-your-writes* — reads that concern the writing
///   user (as `viewer`) see the write at once, other users' reads see it
///   within a documented staleness bound (e.g. the replica router's
///   `ReadConsistency::ReadYourWrites`, the default there). The contract
///   suite runs such stores in their strict mode.
/// - **Ids** are assigned in increasing order, starting at 1; a photo with a
///   higher id is newer. An id is never reused, not even after its photo
///   is deleted.
/// - **Errors**: domain failures (a taken username, an unknown id) are the
///   family error's specific variants; `StoreError` means the store itself
///   failed and nothing was written by that call.
/// - **Timestamps** are kept with millisecond precision.
/// - **Pages** are newest first (descending photo id). A page holds at most
///   `limit` items; `next_cursor` is `Some` exactly when older items exist.
///   A page that follows a cursor holds only photos with ids below it, so
///   paging never repeats or skips a photo that existed when the first page
///   was read, however many photos are posted meanwhile.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// A short name for this store (`"memory"`, `"embedded"`), for reports.
    fn kind(&self) -> &'static str;

    /// Creates an account. Usernames and emails are unique
    /// case-insensitively: a clash is `UsernameTaken` or `EmailTaken` (the
    /// username is checked first) and creates nothing. Of many concurrent
    /// registrations of one username, exactly one succeeds.
    async fn create_user(&self, new: NewUser) -> Result<User, RegisterError>;

    /// The account with this id, or `None`.
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;

    /// The account with this username (case-insensitively) and its password
    /// hash, or `None`.
    async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError>;

    /// Records a photo with a like count of 0. An unknown author is
    /// `AuthorNotFound`.
    async fn create_photo(&self, new: NewPhoto) -> Result<Photo, PostPhotoError>;

    /// Deletes `photo`, which only its author may do (`NotAuthor`
    /// otherwise; an unknown or already deleted photo is `PhotoNotFound`),
    /// and returns it as it was. Its likes go with it, in the same
    /// transaction: once this returns, no read (photo, feed, profile count)
    /// shows the photo. The media bytes are the caller's to remove, when
    /// [`Store::media_in_use`] says no other photo references them.
    async fn delete_photo(
        &self,
        photo: PhotoId,
        requester: UserId,
    ) -> Result<Photo, DeletePhotoError>;

    /// Whether any photo references the media stored under `key` (several
    /// photos share a key when they were posted with the same bytes).
    /// Answered from the latest committed state, never from a replica or a
    /// cache: it decides whether a file may be deleted.
    async fn media_in_use(&self, key: &MediaKey) -> Result<bool, StoreError>;

    /// The photo with this id as `viewer` sees it, or `None`.
    async fn photo(&self, id: PhotoId, viewer: UserId) -> Result<Option<PhotoView>, StoreError>;

    /// Makes `user` like `photo` and returns the photo's like count.
    /// Idempotent: liking twice counts once. Unknown photo is
    /// `PhotoNotFound`, unknown user `UserNotFound`. The count always equals
    /// the number of distinct likers.
    async fn like(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError>;

    /// Removes `user`'s like of `photo` and returns the photo's like count.
    /// Idempotent: unliking a photo not liked changes nothing. Unknown ids as
    /// for [`Store::like`].
    async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError>;

    /// Makes `follower` follow `followee`. Idempotent. Following oneself is
    /// `SelfFollow`; an unknown user on either side is `UserNotFound`.
    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError>;

    /// Makes `follower` stop following `followee`. Idempotent; unknown users
    /// and self as for [`Store::follow`].
    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError>;

    /// The profile of `user` as `viewer` sees it, or `None` for an unknown
    /// user.
    async fn profile(&self, user: UserId, viewer: UserId) -> Result<Option<Profile>, StoreError>;

    /// The users `user` follows, in ascending id order (empty for an unknown
    /// user).
    async fn followees(&self, user: UserId) -> Result<Vec<UserId>, StoreError>;

    /// One page of the photos posted by any of `authors`, newest first, as
    /// `viewer` sees them. Unknown authors contribute nothing. Cost is
    /// O(authors × log n + page), not O(photos).
    async fn photos_by_authors(
        &self,
        authors: &[UserId],
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError>;

    /// One page of the photos of `viewer` and everyone `viewer` follows,
    /// newest first: the pull home feed. The default composes
    /// [`Store::followees`] and [`Store::photos_by_authors`]; stores that can
    /// answer from one snapshot (one transaction, one query) override it.
    async fn followed_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let mut authors = self.followees(viewer).await?;
        authors.push(viewer);
        self.photos_by_authors(&authors, viewer, page).await
    }

    /// One page of everyone's photos, newest first, as `viewer` sees them.
    async fn global_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError>;

    /// Records that the token with id `token_id` is revoked. Idempotent.
    /// `expires_at` lets the store forget the revocation once the token
    /// would have expired anyway.
    async fn revoke_token(
        &self,
        token_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Whether the token with id `token_id` was revoked. Once the
    /// revocation's `expires_at` has passed a store may forget it and answer
    /// `false`: such a token is refused for its expiry anyway.
    async fn is_token_revoked(&self, token_id: &str) -> Result<bool, StoreError>;

    /// The setting `key`; when absent, stores `default` and returns it.
    /// Atomic: concurrent callers all get the value that was stored first.
    async fn setting_or_insert(&self, key: &str, default: Vec<u8>) -> Result<Vec<u8>, StoreError>;

    /// Turns on home timelines (push and hybrid feeds) for this handle.
    /// From then on, in the same transaction as the change:
    /// - `create_user` starts the new user's timeline (empty, exact);
    /// - `create_photo` enqueues the photo's fan-out job (the
    ///   transactional outbox), which [`Store::fan_out`] applies;
    /// - `follow` merges the followee's newest
    ///   [`TimelineSettings::follow_merge`] photos into the follower's
    ///   timeline, `unfollow` removes the followee's photos from it;
    /// - `delete_photo` removes the photo from every timeline;
    /// - a fan-out batch drops the timelines of inactive followers
    ///   ([`TimelineSettings::inactive_after`]) instead of inserting.
    ///
    /// Every handle writing to the same data must be given the same
    /// settings. Stores that keep no timelines refuse with `Unsupported`.
    fn enable_timelines(&self, settings: TimelineSettings) -> Result<(), StoreError> {
        let _ = settings;
        Err(StoreError::Unsupported {
            what: "home timelines (push and hybrid feeds)",
        })
    }

    /// The settings given to [`Store::enable_timelines`], if any.
    fn timeline_settings(&self) -> Option<TimelineSettings> {
        None
    }

    /// Claims the oldest fan-out job that no live lease holds, for `lease`.
    /// `None` when every queued job is done or held.
    async fn claim_fanout_job(&self, lease: Duration) -> Result<Option<FanoutJob>, StoreError> {
        let _ = lease;
        Err(no_timelines())
    }

    /// Applies the next batch of at most `batch` followers of a claimed job
    /// (inserting its photo into their timelines, trimming each to the cap)
    /// and renews the lease for `lease`, in one transaction; removes the job
    /// after its last batch. Inserts are idempotent, so a job re-claimed
    /// after a crash repeats no visible work. Followers whose timeline does
    /// not exist (not built yet) are passed over: their reads use pull.
    async fn fan_out(
        &self,
        job: &FanoutJob,
        batch: usize,
        lease: Duration,
    ) -> Result<FanoutProgress, StoreError> {
        let _ = (job, batch, lease);
        Err(no_timelines())
    }

    /// Fan-out jobs queued and not yet done (claimed ones included).
    async fn fanout_queue_depth(&self) -> Result<u64, StoreError> {
        Err(no_timelines())
    }

    /// The slice of `user`'s timeline a home-feed page needs: items below
    /// the page's cursor, at most `limit + 1`, as `user` sees them. `None`
    /// when `user` has no timeline (not built yet): read with pull.
    async fn timeline(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Option<TimelineSlice>, StoreError> {
        let _ = (user, page);
        Err(no_timelines())
    }

    /// Records that `user` was just seen (a login, a home-feed read), so
    /// their timeline is kept up (see [`TimelineSettings::inactive_after`]).
    /// Does nothing when they have no timeline: the next read rebuilds it.
    async fn mark_active(&self, user: UserId) -> Result<(), StoreError> {
        let _ = user;
        Err(no_timelines())
    }

    /// Builds `user`'s timeline from the source of truth (the newest `cap`
    /// photos of everyone they follow), replacing any there was; it counts
    /// as active from now.
    async fn rebuild_timeline(&self, user: UserId) -> Result<(), StoreError> {
        let _ = user;
        Err(no_timelines())
    }

    /// `Ok` when the store can serve reads and writes.
    async fn health(&self) -> Result<(), StoreError>;

    /// Figures about the store's inner workings (queue depth, batch sizes).
    fn metrics(&self) -> Vec<StoreMetric> {
        Vec::new()
    }

    /// Stops accepting writes, makes every acknowledged and queued write
    /// durable, and releases the storage. Later calls fail with
    /// `StoreError::Unavailable`. Idempotent.
    async fn close(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The error of the timeline methods on stores that keep none.
fn no_timelines() -> StoreError {
    StoreError::Unsupported {
        what: "home timelines (push and hybrid feeds)",
    }
}

/// Milliseconds since the Unix epoch: the precision stores keep.
pub(crate) fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

/// The inverse of [`to_millis`]; out-of-range values clamp to the epoch.
pub(crate) fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}
