mod timelines;

use parking_lot::{Mutex, RwLock};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use self::timelines::{QueuedJob, Timeline};
use super::{
    Credentials, FanoutJob, FanoutProgress, NewPhoto, NewUser, Store, TimelineSettings,
    TimelineSlice, from_millis, to_millis,
};
use crate::domain::{
    FeedPage, PageRequest, Photo, PhotoId, PhotoView, Profile, User, UserId, Username,
};
use crate::error::{
    DeletePhotoError, FollowError, LikeError, PostPhotoError, RegisterError, StoreError,
};
use crate::media::MediaKey;
use crate::store::timelines_on;

/// The reference store: plain collections behind one mutex.
///
/// Written to be obviously right rather than fast (feeds scan every photo);
/// the property tests use it as the oracle for the other stores. Not durable.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    timelines: RwLock<Option<TimelineSettings>>,
}

#[derive(Debug, Default)]
struct State {
    users: BTreeMap<UserId, Credentials>,
    user_by_username: HashMap<String, UserId>,
    user_by_email: HashMap<String, UserId>,
    photos: BTreeMap<PhotoId, Photo>,
    /// The highest photo id ever assigned: ids of deleted photos are never
    /// reused.
    last_photo_id: u64,
    /// (photo, user) pairs.
    likes: BTreeSet<(PhotoId, UserId)>,
    /// (follower, followee) pairs.
    follows: BTreeSet<(UserId, UserId)>,
    revoked_tokens: HashMap<String, DateTime<Utc>>,
    settings: HashMap<String, Vec<u8>>,
    /// Home timelines, once enabled (see `timelines.rs`).
    timelines: HashMap<UserId, Timeline>,
    /// The fan-out queue: job id → job.
    fanout_jobs: BTreeMap<u64, QueuedJob>,
    last_job_id: u64,
    last_claim: u64,
    /// Hybrid: authors whose photos are merged at read time.
    read_time_authors: BTreeSet<UserId>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl State {
    fn view(&self, photo: &Photo, viewer: UserId) -> PhotoView {
        PhotoView {
            photo: photo.clone(),
            liked_by_viewer: self.likes.contains(&(photo.id, viewer)),
        }
    }

    fn page<'a>(
        &self,
        photos: impl Iterator<Item = &'a Photo>,
        viewer: UserId,
        page: PageRequest,
    ) -> FeedPage {
        let candidates = photos
            .filter(|p| page.admits(p.id))
            .take(page.limit.get() + 1)
            .map(|p| self.view(p, viewer))
            .collect();
        FeedPage::from_candidates(candidates, page.limit)
    }

    fn next_id(last: Option<u64>) -> u64 {
        last.map_or(1, |id| id + 1)
    }

    fn set_like(&mut self, user: UserId, photo: PhotoId, liked: bool) -> Result<u64, LikeError> {
        if !self.users.contains_key(&user) {
            return Err(LikeError::UserNotFound(user));
        }
        if !self.photos.contains_key(&photo) {
            return Err(LikeError::PhotoNotFound(photo));
        }
        if liked {
            self.likes.insert((photo, user));
        } else {
            self.likes.remove(&(photo, user));
        }
        let count = self
            .likes
            .range((photo, UserId::MIN)..=(photo, UserId::MAX))
            .count() as u64;
        if let Some(p) = self.photos.get_mut(&photo) {
            p.like_count = count;
        }
        Ok(count)
    }

    fn set_follow(
        &mut self,
        follower: UserId,
        followee: UserId,
        following: bool,
    ) -> Result<(), FollowError> {
        if follower == followee {
            return Err(FollowError::SelfFollow);
        }
        for id in [follower, followee] {
            if !self.users.contains_key(&id) {
                return Err(FollowError::UserNotFound(id));
            }
        }
        if following {
            self.follows.insert((follower, followee));
        } else {
            self.follows.remove(&(follower, followee));
        }
        Ok(())
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn create_user(&self, new: NewUser) -> Result<User, RegisterError> {
        let mut state = self.state.lock();
        if state.user_by_username.contains_key(&new.username.key()) {
            return Err(RegisterError::UsernameTaken);
        }
        if state.user_by_email.contains_key(new.email.as_str()) {
            return Err(RegisterError::EmailTaken);
        }
        let id = UserId::new(State::next_id(state.users.keys().last().map(|id| id.get())))
            .ok_or_else(|| StoreError::Unavailable {
                reason: "user ids are exhausted".into(),
            })?;
        let user = User {
            id,
            username: new.username,
            email: new.email,
            created_at: from_millis(to_millis(new.created_at)),
        };
        state.user_by_username.insert(user.username.key(), id);
        state
            .user_by_email
            .insert(user.email.as_str().to_owned(), id);
        state.users.insert(
            id,
            Credentials {
                user: user.clone(),
                password_hash: new.password_hash,
            },
        );
        if self.timelines.read().is_some() {
            state
                .timelines
                .insert(id, Timeline::active_since(to_millis(Utc::now())));
        }
        Ok(user)
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.state.lock().users.get(&id).map(|c| c.user.clone()))
    }

    async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError> {
        let state = self.state.lock();
        Ok(state
            .user_by_username
            .get(&username.key())
            .and_then(|id| state.users.get(id))
            .cloned())
    }

    async fn create_photo(&self, new: NewPhoto) -> Result<Photo, PostPhotoError> {
        let mut state = self.state.lock();
        let author = state
            .users
            .get(&new.author)
            .ok_or(PostPhotoError::AuthorNotFound(new.author))?
            .user
            .username
            .clone();
        let id = PhotoId::new(State::next_id(Some(state.last_photo_id))).ok_or_else(|| {
            StoreError::Unavailable {
                reason: "photo ids are exhausted".into(),
            }
        })?;
        state.last_photo_id = id.get();
        let photo = Photo {
            id,
            author: new.author,
            author_username: author,
            caption: new.caption,
            media_key: new.media.key,
            content_type: new.media.content_type,
            width: new.media.width,
            height: new.media.height,
            created_at: from_millis(to_millis(new.created_at)),
            like_count: 0,
        };
        state.photos.insert(id, photo.clone());
        if let Some(settings) = *self.timelines.read()
            // A hybrid read-time author's photos need no fan-out (sticky).
            && !(settings.celebrity_followers.is_some()
                && state.read_time_authors.contains(&photo.author))
        {
            state.enqueue_fanout(id, photo.author, photo.created_at);
        }
        Ok(photo)
    }

    async fn delete_photo(
        &self,
        photo: PhotoId,
        requester: UserId,
    ) -> Result<Photo, DeletePhotoError> {
        let mut state = self.state.lock();
        match state.photos.get(&photo) {
            None => return Err(DeletePhotoError::PhotoNotFound(photo)),
            Some(p) if p.author != requester => {
                return Err(DeletePhotoError::NotAuthor { photo, requester });
            }
            Some(_) => {}
        }
        let deleted = state
            .photos
            .remove(&photo)
            .ok_or(DeletePhotoError::PhotoNotFound(photo))?;
        state.likes.retain(|(liked, _)| *liked != photo);
        Ok(deleted)
    }

    async fn media_in_use(&self, key: &MediaKey) -> Result<bool, StoreError> {
        Ok(self
            .state
            .lock()
            .photos
            .values()
            .any(|p| &p.media_key == key))
    }

    async fn photo(&self, id: PhotoId, viewer: UserId) -> Result<Option<PhotoView>, StoreError> {
        let state = self.state.lock();
        Ok(state.photos.get(&id).map(|p| state.view(p, viewer)))
    }

    async fn like(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        self.state.lock().set_like(user, photo, true)
    }

    async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        self.state.lock().set_like(user, photo, false)
    }

    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        let mut state = self.state.lock();
        let already = state.follows.contains(&(follower, followee));
        state.set_follow(follower, followee, true)?;
        if let Some(settings) = *self.timelines.read()
            && !already
        {
            state.merge_followee(follower, followee, settings);
        }
        Ok(())
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        let mut state = self.state.lock();
        state.set_follow(follower, followee, false)?;
        state.unmerge_followee(follower, followee);
        Ok(())
    }

    async fn profile(&self, user: UserId, viewer: UserId) -> Result<Option<Profile>, StoreError> {
        let state = self.state.lock();
        let Some(credentials) = state.users.get(&user) else {
            return Ok(None);
        };
        Ok(Some(Profile {
            user_id: user,
            username: credentials.user.username.clone(),
            followers: state.follows.iter().filter(|(_, f)| *f == user).count() as u64,
            following: state.follows.iter().filter(|(f, _)| *f == user).count() as u64,
            photos: state.photos.values().filter(|p| p.author == user).count() as u64,
            followed_by_viewer: state.follows.contains(&(viewer, user)),
        }))
    }

    async fn followees(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        Ok(self
            .state
            .lock()
            .follows
            .iter()
            .filter(|(follower, _)| *follower == user)
            .map(|(_, followee)| *followee)
            .collect())
    }

    async fn photos_by_authors(
        &self,
        authors: &[UserId],
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let state = self.state.lock();
        let photos = state
            .photos
            .values()
            .rev()
            .filter(|p| authors.contains(&p.author));
        Ok(state.page(photos, viewer, page))
    }

    async fn global_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let state = self.state.lock();
        Ok(state.page(state.photos.values().rev(), viewer, page))
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.state
            .lock()
            .revoked_tokens
            .insert(token_id.to_owned(), expires_at);
        Ok(())
    }

    async fn is_token_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        Ok(self.state.lock().revoked_tokens.contains_key(token_id))
    }

    async fn setting_or_insert(&self, key: &str, default: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        Ok(self
            .state
            .lock()
            .settings
            .entry(key.to_owned())
            .or_insert(default)
            .clone())
    }

    fn enable_timelines(&self, settings: TimelineSettings) -> Result<(), StoreError> {
        // Users from before have no timeline: they are served by pull
        // until theirs is rebuilt. New ones start with an empty, exact one.
        *self.timelines.write() = Some(settings);
        Ok(())
    }

    fn timeline_settings(&self) -> Option<TimelineSettings> {
        *self.timelines.read()
    }

    async fn claim_fanout_job(&self, lease: Duration) -> Result<Option<FanoutJob>, StoreError> {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        Ok(self.state.lock().claim_fanout(Utc::now(), lease_ms))
    }

    async fn fan_out(
        &self,
        job: &FanoutJob,
        batch: usize,
        lease: Duration,
    ) -> Result<FanoutProgress, StoreError> {
        let settings = timelines_on(self.timeline_settings())?;
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        Ok(self
            .state
            .lock()
            .fan_out(job, batch, settings, Utc::now(), lease_ms))
    }

    async fn fanout_queue_depth(&self) -> Result<u64, StoreError> {
        Ok(self.state.lock().fanout_jobs.len() as u64)
    }

    async fn timeline(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Option<TimelineSlice>, StoreError> {
        let state = self.state.lock();
        let Some(timeline) = state.timelines.get(&user) else {
            return Ok(None);
        };
        let items = timeline
            .entries
            .keys()
            .rev()
            .filter(|id| page.admits(**id))
            .filter_map(|id| state.photos.get(id))
            .take(page.limit.get() + 1)
            .map(|p| state.view(p, user))
            .collect();
        let read_time_authors = state
            .follows
            .iter()
            .filter(|(f, followee)| *f == user && state.read_time_authors.contains(followee))
            .map(|(_, followee)| *followee)
            .collect();
        Ok(Some(TimelineSlice {
            items,
            complete_above: timeline.complete_above,
            read_time_authors,
        }))
    }

    async fn rebuild_timeline(&self, user: UserId) -> Result<(), StoreError> {
        let settings = timelines_on(self.timeline_settings())?;
        self.state
            .lock()
            .rebuild_timeline(user, settings.cap, to_millis(Utc::now()));
        Ok(())
    }

    async fn mark_active(&self, user: UserId) -> Result<(), StoreError> {
        timelines_on(self.timeline_settings())?;
        if let Some(timeline) = self.state.lock().timelines.get_mut(&user) {
            timeline.active_at_ms = to_millis(Utc::now());
        }
        Ok(())
    }

    async fn health(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
