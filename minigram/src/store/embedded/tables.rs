//! The redb tables and what each one indexes.
//!
//! Every operation is a point lookup or a range scan on one of these keys, so
//! each costs O(log n) or O(log n + page). Ids are `u64`; tuple keys sort by
//! their first element, then the second.

use redb::TableDefinition;

/// Store-wide settings (schema version, token secret): name → bytes.
pub(super) const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
/// user id → encoded `UserRecord`.
pub(super) const USERS: TableDefinition<u64, &[u8]> = TableDefinition::new("users");
/// lower-cased username → user id (case-insensitive uniqueness).
pub(super) const USERNAMES: TableDefinition<&str, u64> = TableDefinition::new("usernames");
/// normalised email → user id.
pub(super) const EMAILS: TableDefinition<&str, u64> = TableDefinition::new("emails");
/// photo id → encoded `PhotoRecord`.
pub(super) const PHOTOS: TableDefinition<u64, &[u8]> = TableDefinition::new("photos");
/// (author, photo) → (): a user's photos in id order, for feeds.
pub(super) const PHOTOS_BY_USER: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("photos_by_user");
/// (photo, user) → (): who likes a photo.
pub(super) const LIKES_BY_PHOTO: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("likes_by_photo");
/// (user, photo) → (): what a user likes (answers "liked by viewer").
pub(super) const LIKES_BY_USER: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("likes_by_user");
/// photo id → number of likes. Invariant: equals the number of
/// `LIKES_BY_PHOTO` entries for the photo (both change in one transaction).
pub(super) const LIKE_COUNTS: TableDefinition<u64, u64> = TableDefinition::new("like_counts");
/// (follower, followee) → (): whom a user follows.
pub(super) const FOLLOWS: TableDefinition<(u64, u64), ()> = TableDefinition::new("follows");
/// (followee, follower) → (): who follows a user.
pub(super) const FOLLOWERS: TableDefinition<(u64, u64), ()> = TableDefinition::new("followers");
/// (user, counter) → value, counters being the `COUNT_*` constants.
/// Invariant: each equals the size of the range it counts, kept in the same
/// transaction as the change.
pub(super) const USER_COUNTS: TableDefinition<(u64, u8), u64> = TableDefinition::new("user_counts");
/// media key → number of photos referencing it (absent at 0). Invariant:
/// equals the number of `PHOTOS` records with that key, kept in the same
/// transaction as the insert or delete. Since schema 2.
pub(super) const MEDIA_REFS: TableDefinition<&str, u64> = TableDefinition::new("media_refs");
/// counter name → the last id assigned. Ids of deleted rows are never
/// reused, so the next id cannot come from the largest key. Since schema 2.
pub(super) const ID_COUNTERS: TableDefinition<&str, u64> = TableDefinition::new("id_counters");
/// `ID_COUNTERS` entry for photo ids.
pub(super) const PHOTO_ID_COUNTER: &str = "photos";
/// (user, photo) → author: the photos in a user's home timeline (push and
/// hybrid feeds). See `store::timeline` for what a timeline promises.
pub(super) const TIMELINES: TableDefinition<(u64, u64), u64> = TableDefinition::new("timelines");
/// (photo, user) → (): whose timelines hold a photo, so a delete removes it
/// from all of them in its own transaction.
pub(super) const TIMELINE_BY_PHOTO: TableDefinition<(u64, u64), ()> =
    TableDefinition::new("timeline_by_photo");
/// user → (complete_above, entries): a timeline exists exactly when its
/// user has a row here; `entries` equals its `TIMELINES` range size.
pub(super) const TIMELINE_META: TableDefinition<u64, (u64, u64)> =
    TableDefinition::new("timeline_meta");
/// user → when they were last seen (ms since the epoch), for each user
/// with a timeline; absent (a timeline from before this table) counts as
/// seen now.
pub(super) const TIMELINE_ACTIVITY: TableDefinition<u64, i64> =
    TableDefinition::new("timeline_activity");
/// job id → encoded `FanoutJobRecord`: the fan-out queue (transactional
/// outbox), written in the same transaction as the photo.
pub(super) const FANOUT_JOBS: TableDefinition<u64, &[u8]> = TableDefinition::new("fanout_jobs");
/// author → (): hybrid celebrities, whose photos are merged at read time
/// (sticky, so an author crossing back under the threshold loses nothing).
pub(super) const READ_TIME_AUTHORS: TableDefinition<u64, ()> =
    TableDefinition::new("read_time_authors");
/// `ID_COUNTERS` entry for fan-out job ids.
pub(super) const FANOUT_JOB_COUNTER: &str = "fanout_jobs";
/// `ID_COUNTERS` entry for fan-out claim tokens.
pub(super) const FANOUT_CLAIM_COUNTER: &str = "fanout_claims";
/// token id → expiry (ms since epoch) of revoked tokens.
pub(super) const REVOKED_TOKENS: TableDefinition<&str, i64> =
    TableDefinition::new("revoked_tokens");

/// `USER_COUNTS` counter: followers.
pub(super) const COUNT_FOLLOWERS: u8 = 0;
/// `USER_COUNTS` counter: followees.
pub(super) const COUNT_FOLLOWING: u8 = 1;
/// `USER_COUNTS` counter: photos posted.
pub(super) const COUNT_PHOTOS: u8 = 2;

/// Settings key holding the schema version of the tables above.
pub(super) const SCHEMA_VERSION_KEY: &str = "minigram.schema_version";
/// The schema this release uses. 2 added `MEDIA_REFS` and `ID_COUNTERS`
/// (for photo deletion); a version-1 file is migrated on open
/// (`schema_migration.rs`).
pub(super) const SCHEMA_VERSION: u8 = 2;
