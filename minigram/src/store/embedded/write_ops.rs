//! Writes, applied by the group-commit writer inside its batch transaction.
//!
//! Invariant every operation keeps: it checks everything that can refuse it
//! (uniqueness, existence) *before* changing any table, so a refused
//! operation leaves the shared transaction untouched and the other operations
//! of the batch commit unaffected. The outer `Result` is a storage failure,
//! which aborts the whole batch; the inner one is the operation's outcome.

mod timeline_ops;

use redb::{ReadableTable as _, Table, WriteTransaction};

use super::read_ops::{like_count, photo_record, to_photo, to_user, user_count, user_record};
use super::records::{PhotoRecord, UserRecord, encode};
use super::storage_context::StorageContext as _;
use super::tables::*;
use crate::domain::{Photo, PhotoId, User, UserId};
use crate::error::{
    DeletePhotoError, FollowError, LikeError, PostPhotoError, RegisterError, StoreError,
};
use crate::store::{NewPhoto, NewUser, TimelineSettings, to_millis};

/// Every table, opened once per batch transaction.
pub(super) struct WriteTables<'txn> {
    settings: Table<'txn, &'static str, &'static [u8]>,
    users: Table<'txn, u64, &'static [u8]>,
    usernames: Table<'txn, &'static str, u64>,
    emails: Table<'txn, &'static str, u64>,
    photos: Table<'txn, u64, &'static [u8]>,
    photos_by_user: Table<'txn, (u64, u64), ()>,
    likes_by_photo: Table<'txn, (u64, u64), ()>,
    likes_by_user: Table<'txn, (u64, u64), ()>,
    like_counts: Table<'txn, u64, u64>,
    follows: Table<'txn, (u64, u64), ()>,
    followers: Table<'txn, (u64, u64), ()>,
    user_counts: Table<'txn, (u64, u8), u64>,
    media_refs: Table<'txn, &'static str, u64>,
    id_counters: Table<'txn, &'static str, u64>,
    timelines: Table<'txn, (u64, u64), u64>,
    timeline_by_photo: Table<'txn, (u64, u64), ()>,
    timeline_meta: Table<'txn, u64, (u64, u64)>,
    timeline_activity: Table<'txn, u64, i64>,
    fanout_jobs: Table<'txn, u64, &'static [u8]>,
    read_time_authors: Table<'txn, u64, ()>,
    revoked_tokens: Table<'txn, &'static str, i64>,
}

type Outcome<T, E> = Result<Result<T, E>, StoreError>;

impl<'txn> WriteTables<'txn> {
    /// Opens (creating when missing) every table.
    pub(super) fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            settings: txn.open_table(SETTINGS).during("opening settings")?,
            users: txn.open_table(USERS).during("opening users")?,
            usernames: txn.open_table(USERNAMES).during("opening usernames")?,
            emails: txn.open_table(EMAILS).during("opening emails")?,
            photos: txn.open_table(PHOTOS).during("opening photos")?,
            photos_by_user: txn
                .open_table(PHOTOS_BY_USER)
                .during("opening photos by user")?,
            likes_by_photo: txn.open_table(LIKES_BY_PHOTO).during("opening likes")?,
            likes_by_user: txn.open_table(LIKES_BY_USER).during("opening likes")?,
            like_counts: txn.open_table(LIKE_COUNTS).during("opening like counts")?,
            follows: txn.open_table(FOLLOWS).during("opening follows")?,
            followers: txn.open_table(FOLLOWERS).during("opening followers")?,
            user_counts: txn.open_table(USER_COUNTS).during("opening user counts")?,
            media_refs: txn.open_table(MEDIA_REFS).during("opening media refs")?,
            id_counters: txn.open_table(ID_COUNTERS).during("opening id counters")?,
            timelines: txn.open_table(TIMELINES).during("opening timelines")?,
            timeline_by_photo: txn
                .open_table(TIMELINE_BY_PHOTO)
                .during("opening timelines")?,
            timeline_meta: txn.open_table(TIMELINE_META).during("opening timelines")?,
            timeline_activity: txn
                .open_table(TIMELINE_ACTIVITY)
                .during("opening timelines")?,
            fanout_jobs: txn
                .open_table(FANOUT_JOBS)
                .during("opening the fan-out queue")?,
            read_time_authors: txn
                .open_table(READ_TIME_AUTHORS)
                .during("opening read-time authors")?,
            revoked_tokens: txn
                .open_table(REVOKED_TOKENS)
                .during("opening revoked tokens")?,
        })
    }

    fn user_exists(&self, id: UserId) -> Result<bool, StoreError> {
        Ok(self.users.get(id.get()).during("reading a user")?.is_some())
    }

    fn add_to_user_count(&mut self, user: u64, counter: u8, delta: i64) -> Result<(), StoreError> {
        let current = user_count(&self.user_counts, user, counter)?;
        let next = current.saturating_add_signed(delta);
        self.user_counts
            .insert((user, counter), next)
            .during("updating a user counter")?;
        Ok(())
    }

    /// The next id after the largest key of `table` (ids start at 1), for
    /// tables whose rows are never deleted.
    fn next_id(table: &Table<'txn, u64, &'static [u8]>) -> Result<u64, StoreError> {
        let last = table.last().during("finding the last id")?;
        Ok(last.map_or(1, |(k, _)| k.value() + 1))
    }

    /// Takes the next id of counter `name`: ids of deleted rows are never
    /// handed out again.
    fn take_id(&mut self, name: &str) -> Result<u64, StoreError> {
        let last = self
            .id_counters
            .get(name)
            .during("reading an id counter")?
            .map_or(0, |c| c.value());
        let next = last.checked_add(1).ok_or_else(|| StoreError::Corrupt {
            what: format!("the {name} id counter wrapped"),
        })?;
        self.id_counters
            .insert(name, next)
            .during("advancing an id counter")?;
        Ok(next)
    }

    /// Adds `delta` to the number of photos referencing `key`, removing
    /// the entry at zero.
    fn add_media_ref(&mut self, key: &str, delta: i64) -> Result<(), StoreError> {
        let current = self
            .media_refs
            .get(key)
            .during("reading a media ref")?
            .map_or(0, |c| c.value());
        match current.saturating_add_signed(delta) {
            0 => self.media_refs.remove(key).during("removing a media ref")?,
            next => self
                .media_refs
                .insert(key, next)
                .during("counting a media ref")?,
        };
        Ok(())
    }

    pub(super) fn create_user(
        &mut self,
        new: NewUser,
        timelines: Option<TimelineSettings>,
    ) -> Outcome<User, RegisterError> {
        let username_key = new.username.key();
        if self
            .usernames
            .get(username_key.as_str())
            .during("looking up a username")?
            .is_some()
        {
            return Ok(Err(RegisterError::UsernameTaken));
        }
        if self
            .emails
            .get(new.email.as_str())
            .during("looking up an email")?
            .is_some()
        {
            return Ok(Err(RegisterError::EmailTaken));
        }
        let raw_id = Self::next_id(&self.users)?;
        let Some(id) = UserId::new(raw_id) else {
            return Err(StoreError::Corrupt {
                what: "user id counter wrapped".into(),
            });
        };
        let record = UserRecord {
            username: new.username,
            email: new.email,
            password_hash: new.password_hash,
            created_at_ms: to_millis(new.created_at),
        };
        self.users
            .insert(raw_id, encode(&record)?.as_slice())
            .during("inserting a user")?;
        self.usernames
            .insert(username_key.as_str(), raw_id)
            .during("indexing a username")?;
        self.emails
            .insert(record.email.as_str(), raw_id)
            .during("indexing an email")?;
        if timelines.is_some() {
            self.start_timeline(raw_id)?;
        }
        Ok(Ok(to_user(id, record)))
    }

    /// Records the photo and, with timelines on, its fan-out job: the
    /// transactional outbox (both commit or neither).
    pub(super) fn create_photo(
        &mut self,
        new: NewPhoto,
        timelines: Option<TimelineSettings>,
    ) -> Outcome<Photo, PostPhotoError> {
        let Some(author) = user_record(&self.users, new.author.get())? else {
            return Ok(Err(PostPhotoError::AuthorNotFound(new.author)));
        };
        let raw_id = self.take_id(PHOTO_ID_COUNTER)?;
        let Some(id) = PhotoId::new(raw_id) else {
            return Err(StoreError::Corrupt {
                what: "photo id counter wrapped".into(),
            });
        };
        let record = PhotoRecord {
            author: new.author.get(),
            author_username: author.username,
            caption: new.caption,
            media_key: new.media.key,
            content_type: new.media.content_type,
            width: new.media.width,
            height: new.media.height,
            created_at_ms: to_millis(new.created_at),
        };
        self.photos
            .insert(raw_id, encode(&record)?.as_slice())
            .during("inserting a photo")?;
        self.photos_by_user
            .insert((new.author.get(), raw_id), ())
            .during("indexing a photo")?;
        self.add_to_user_count(new.author.get(), COUNT_PHOTOS, 1)?;
        self.add_media_ref(record.media_key.as_str(), 1)?;
        if let Some(settings) = timelines
            && !self.is_read_time_author(record.author, settings)?
        {
            self.enqueue_fanout(raw_id, record.author, record.created_at_ms)?;
        }
        Ok(Ok(to_photo(id, record, 0)?))
    }

    /// Removes the photo, its index entries, its likes (both directions)
    /// and its like count, and drops one reference to its media.
    pub(super) fn delete_photo(
        &mut self,
        photo: PhotoId,
        requester: UserId,
    ) -> Outcome<Photo, DeletePhotoError> {
        let p = photo.get();
        let Some(record) = photo_record(&self.photos, p)? else {
            return Ok(Err(DeletePhotoError::PhotoNotFound(photo)));
        };
        if record.author != requester.get() {
            return Ok(Err(DeletePhotoError::NotAuthor { photo, requester }));
        }
        let likers = self
            .likes_by_photo
            .range((p, 0)..=(p, u64::MAX))
            .during("scanning a photo's likes")?
            .map(|entry| entry.map(|(key, _)| key.value().1))
            .collect::<Result<Vec<u64>, _>>()
            .during("scanning a photo's likes")?;
        for user in likers {
            self.likes_by_photo
                .remove((p, user))
                .during("removing a like")?;
            self.likes_by_user
                .remove((user, p))
                .during("removing a like")?;
        }
        let likes = like_count(&self.like_counts, p)?;
        self.like_counts.remove(p).during("removing a like count")?;
        self.photos.remove(p).during("removing a photo")?;
        self.photos_by_user
            .remove((record.author, p))
            .during("unindexing a photo")?;
        self.add_to_user_count(record.author, COUNT_PHOTOS, -1)?;
        self.add_media_ref(record.media_key.as_str(), -1)?;
        self.remove_from_timelines(p)?;
        Ok(Ok(to_photo(photo, record, likes)?))
    }

    pub(super) fn set_like(
        &mut self,
        user: UserId,
        photo: PhotoId,
        liked: bool,
    ) -> Outcome<u64, LikeError> {
        if !self.user_exists(user)? {
            return Ok(Err(LikeError::UserNotFound(user)));
        }
        if self
            .photos
            .get(photo.get())
            .during("reading a photo")?
            .is_none()
        {
            return Ok(Err(LikeError::PhotoNotFound(photo)));
        }
        let (u, p) = (user.get(), photo.get());
        let already = self
            .likes_by_photo
            .get((p, u))
            .during("reading a like")?
            .is_some();
        let count = like_count(&self.like_counts, p)?;
        let count = match (already, liked) {
            (false, true) => {
                self.likes_by_photo
                    .insert((p, u), ())
                    .during("inserting a like")?;
                self.likes_by_user
                    .insert((u, p), ())
                    .during("inserting a like")?;
                count + 1
            }
            (true, false) => {
                self.likes_by_photo
                    .remove((p, u))
                    .during("removing a like")?;
                self.likes_by_user
                    .remove((u, p))
                    .during("removing a like")?;
                count.saturating_sub(1)
            }
            // Idempotent: nothing changes.
            _ => return Ok(Ok(count)),
        };
        self.like_counts
            .insert(p, count)
            .during("updating a like count")?;
        Ok(Ok(count))
    }

    pub(super) fn set_follow(
        &mut self,
        follower: UserId,
        followee: UserId,
        following: bool,
        timelines: Option<TimelineSettings>,
    ) -> Outcome<(), FollowError> {
        if follower == followee {
            return Ok(Err(FollowError::SelfFollow));
        }
        for id in [follower, followee] {
            if !self.user_exists(id)? {
                return Ok(Err(FollowError::UserNotFound(id)));
            }
        }
        let (a, b) = (follower.get(), followee.get());
        let already = self
            .follows
            .get((a, b))
            .during("reading a follow")?
            .is_some();
        let delta = match (already, following) {
            (false, true) => {
                self.follows
                    .insert((a, b), ())
                    .during("inserting a follow")?;
                self.followers
                    .insert((b, a), ())
                    .during("inserting a follow")?;
                if let Some(settings) = timelines {
                    self.merge_followee(a, b, settings)?;
                }
                1
            }
            (true, false) => {
                self.follows.remove((a, b)).during("removing a follow")?;
                self.followers.remove((b, a)).during("removing a follow")?;
                self.unmerge_followee(a, b)?;
                -1
            }
            _ => return Ok(Ok(())),
        };
        self.add_to_user_count(a, COUNT_FOLLOWING, delta)?;
        self.add_to_user_count(b, COUNT_FOLLOWERS, delta)?;
        Ok(Ok(()))
    }

    pub(super) fn revoke_token(
        &mut self,
        token_id: &str,
        expires_at_ms: i64,
    ) -> Result<(), StoreError> {
        self.revoked_tokens
            .insert(token_id, expires_at_ms)
            .during("recording a revocation")?;
        Ok(())
    }

    pub(super) fn setting_or_insert(
        &mut self,
        key: &str,
        default: Vec<u8>,
    ) -> Result<Vec<u8>, StoreError> {
        if let Some(existing) = self.settings.get(key).during("reading a setting")? {
            return Ok(existing.value().to_vec());
        }
        self.settings
            .insert(key, default.as_slice())
            .during("writing a setting")?;
        Ok(default)
    }
}
