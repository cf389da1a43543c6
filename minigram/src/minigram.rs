use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::auth::{PasswordHasher, Principal, TokenIssuer};
use crate::domain::{
    Caption, Email, FeedPage, PageRequest, Password, PasswordPolicy, Photo, PhotoId, PhotoView,
    Profile, UserId, Username,
};
use crate::error::{
    AuthError, DeletePhotoError, FollowError, LikeError, LoginError, PostPhotoError, ReadError,
    RegisterError, StoreError,
};
use crate::feed::{Fanout, FanoutMetrics, FanoutStatus, FeedStrategy};
use crate::media::{MediaDeletionGate, MediaStore};
use crate::minigram_builder::MinigramBuilder;
use crate::session::Session;
use crate::store::{NewPhoto, NewUser, Store};

/// The social-photo engine: the operations applications call.
///
/// Cheap to clone (every part is shared), so one instance can serve a whole
/// server. Built with [`Minigram::builder`].
#[derive(Debug, Clone)]
pub struct Minigram {
    store: Arc<dyn Store>,
    media: Arc<dyn MediaStore>,
    hasher: PasswordHasher,
    tokens: TokenIssuer,
    feed: FeedStrategy,
    /// Push and hybrid feeds: the workers, their metrics, the rebuilds.
    fanout: Option<Arc<Fanout>>,
    password_policy: PasswordPolicy,
    /// Orders media-file removal against posts of the same bytes.
    media_gate: MediaDeletionGate,
}

/// The current time at the precision stores keep (milliseconds).
fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

impl Minigram {
    /// Starts a builder.
    pub fn builder() -> MinigramBuilder {
        MinigramBuilder::default()
    }

    pub(crate) fn from_parts(
        store: Arc<dyn Store>,
        media: Arc<dyn MediaStore>,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        feed: FeedStrategy,
        fanout: Option<Arc<Fanout>>,
        password_policy: PasswordPolicy,
    ) -> Self {
        Self {
            store,
            media,
            hasher,
            tokens,
            feed,
            fanout,
            password_policy,
            media_gate: MediaDeletionGate::default(),
        }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The media store underneath.
    pub fn media(&self) -> &Arc<dyn MediaStore> {
        &self.media
    }

    /// The password hasher (for its parameters and pool figures).
    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// The token issuer.
    pub fn tokens(&self) -> &TokenIssuer {
        &self.tokens
    }

    /// The home-feed strategy.
    pub fn feed_strategy(&self) -> FeedStrategy {
        self.feed
    }

    /// Every figure the library keeps: the store's (see
    /// [`Store::metrics`]) and, under push and hybrid, the fan-out's.
    pub fn metrics(&self) -> Vec<crate::store::StoreMetric> {
        let mut metrics = self.store.metrics();
        if let Some(fanout) = &self.fanout {
            metrics.extend(fanout.metrics().metrics());
        }
        metrics
    }

    /// The fan-out metrics (push and hybrid feeds only).
    pub fn fanout_metrics(&self) -> Option<&Arc<FanoutMetrics>> {
        self.fanout.as_ref().map(|f| f.metrics())
    }

    /// The fan-out queue and workers (push and hybrid feeds only).
    pub async fn fanout_status(&self) -> Result<Option<FanoutStatus>, StoreError> {
        match &self.fanout {
            Some(fanout) => Ok(Some(fanout.status().await?)),
            None => Ok(None),
        }
    }

    /// Applies every queued fan-out job before returning (in this task,
    /// beside the workers), so that home feeds show every photo posted
    /// before the call. A no-op under pull. Tests and benchmarks use it to
    /// compare strategies; bound it with a timeout where the queue may be
    /// fed faster than it drains.
    pub async fn drain_fanout(&self) -> Result<(), StoreError> {
        match &self.fanout {
            Some(fanout) => fanout.drain().await,
            None => Ok(()),
        }
    }

    /// The policy new passwords must meet. Parse registration input with
    /// it (`app.password_policy().parse(input)`) so a refusal names the
    /// configured minimum; [`register`](Self::register) checks it again.
    pub fn password_policy(&self) -> PasswordPolicy {
        self.password_policy
    }

    /// Creates an account and signs it in.
    ///
    /// The password must meet [`password_policy`](Self::password_policy)
    /// (`InvalidPassword` otherwise), whatever policy it was parsed under.
    /// A taken username is reported before the password is hashed; the store
    /// still decides races, so of concurrent registrations of one username
    /// exactly one succeeds.
    #[tracing::instrument(skip_all, fields(username = %username))]
    pub async fn register(
        &self,
        username: Username,
        email: Email,
        password: Password,
    ) -> Result<Session, RegisterError> {
        // First: it costs nothing and touches no store.
        self.password_policy
            .check(&password)
            .map_err(RegisterError::InvalidPassword)?;
        if self.store.credentials(&username).await?.is_some() {
            return Err(RegisterError::UsernameTaken);
        }
        let password_hash = self.hasher.hash(&password).await?;
        let user = self
            .store
            .create_user(NewUser {
                username,
                email,
                password_hash,
                created_at: now(),
            })
            .await?;
        let (token, principal) = self.tokens.issue(user.id)?;
        Ok(Session {
            user,
            token,
            expires_at: principal.expires_at,
        })
    }

    /// Signs in with a username and password as typed.
    ///
    /// No password minimum applies here: any non-empty password up to
    /// [`Password::MAX_CHARS`] characters is verified against the stored hash, so
    /// accounts made under another [`PasswordPolicy`] keep working. Input
    /// that could never be valid (a malformed username, an empty or
    /// oversized password) is simply wrong credentials. Unknown user and
    /// wrong password give the same error after the same work (a hash
    /// verification), so neither the answer nor its timing reveals who
    /// exists.
    #[tracing::instrument(skip_all)]
    pub async fn login(&self, username: &str, password: &str) -> Result<Session, LoginError> {
        let (Ok(username), Ok(password)) = (
            Username::parse(username),
            Password::parse_for_login(password),
        ) else {
            self.hasher.verify_dummy(password).await?;
            return Err(LoginError::InvalidCredentials);
        };
        let credentials = self.store.credentials(&username).await?;
        let phc = credentials.as_ref().map(|c| c.password_hash.clone());
        let matches = self.hasher.verify(&password, phc).await?;
        let Some(credentials) = credentials.filter(|_| matches) else {
            return Err(LoginError::InvalidCredentials);
        };
        let (token, principal) = self.tokens.issue(credentials.user.id)?;
        if let Some(fanout) = &self.fanout {
            fanout.seen(credentials.user.id).await;
        }
        Ok(Session {
            user: credentials.user,
            token,
            expires_at: principal.expires_at,
        })
    }

    /// Checks a bearer token: signature, algorithm, expiry and revocation.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        let principal = self.tokens.verify(token)?;
        if self.store.is_token_revoked(&principal.token_id).await? {
            return Err(AuthError::Revoked);
        }
        Ok(principal)
    }

    /// Revokes a token so it stops working everywhere the store is shared.
    /// Logging out with a revoked token succeeds (idempotent).
    pub async fn logout(&self, token: &str) -> Result<(), AuthError> {
        let principal = self.tokens.verify(token)?;
        self.store
            .revoke_token(&principal.token_id, principal.expires_at)
            .await?;
        Ok(())
    }

    /// Checks and stores the image bytes, then records the photo.
    #[tracing::instrument(skip(self, caption, bytes), fields(bytes = bytes.len()))]
    pub async fn post_photo(
        &self,
        author: UserId,
        caption: Caption,
        bytes: Vec<u8>,
    ) -> Result<Photo, PostPhotoError> {
        if self.store.user(author).await?.is_none() {
            return Err(PostPhotoError::AuthorNotFound(author));
        }
        // Until the photo is recorded, no deletion may remove the file that
        // `put` found or wrote (see `MediaDeletionGate`).
        let _posting = self.media_gate.post().await;
        let media = self.media.put(bytes).await?;
        let photo = self
            .store
            .create_photo(NewPhoto {
                author,
                caption,
                media,
                created_at: now(),
            })
            .await?;
        if let Some(fanout) = &self.fanout {
            fanout.job_queued();
        }
        Ok(photo)
    }

    /// Deletes a photo; only its author may (`NotAuthor` otherwise). Once
    /// this returns the photo is in no feed, page or cache of this
    /// instance, and its media file is removed unless another photo was
    /// posted with the same bytes.
    ///
    /// The photo's deletion is the commitment: if removing the file then
    /// fails, the error is logged and the call still succeeds (an orphaned
    /// file wastes space; it loses nothing).
    #[tracing::instrument(skip(self))]
    pub async fn delete_photo(
        &self,
        requester: UserId,
        photo: PhotoId,
    ) -> Result<(), DeletePhotoError> {
        let deleted = self.store.delete_photo(photo, requester).await?;
        let key = deleted.media_key;
        let _deleting = self.media_gate.delete().await;
        let removal = match self.store.media_in_use(&key).await {
            Ok(true) => return Ok(()),
            Ok(false) => self.media.delete(&key).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(reason) = removal {
            tracing::warn!(%photo, media = %key, %reason, "the photo is deleted but its media file was not removed");
        }
        Ok(())
    }

    /// One photo as `viewer` sees it.
    pub async fn photo(&self, id: PhotoId, viewer: UserId) -> Result<PhotoView, ReadError> {
        self.store
            .photo(id, viewer)
            .await?
            .ok_or(ReadError::PhotoNotFound(id))
    }

    /// `user` likes `photo`; returns the like count. Idempotent.
    pub async fn like(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        self.store.like(user, photo).await
    }

    /// `user` stops liking `photo`; returns the like count. Idempotent.
    pub async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        self.store.unlike(user, photo).await
    }

    /// `follower` follows `followee`. Idempotent; following oneself is refused.
    pub async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        if follower == followee {
            return Err(FollowError::SelfFollow);
        }
        self.store.follow(follower, followee).await
    }

    /// `follower` stops following `followee`. Idempotent.
    pub async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        if follower == followee {
            return Err(FollowError::SelfFollow);
        }
        self.store.unfollow(follower, followee).await
    }

    /// The viewer's home feed: their own photos and those of everyone they
    /// follow, newest first.
    ///
    /// Under push and hybrid the page comes from the viewer's timeline; a
    /// viewer without one (made before timelines were enabled) is served by
    /// pull while it is rebuilt in the background. Whatever the strategy,
    /// the viewer's own photos show at once, and once the fan-out queue has
    /// drained the page equals the pull page.
    pub async fn home_feed(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, ReadError> {
        let store = self.store.as_ref();
        let rebuild = match self.feed.home_feed(store, viewer, page).await {
            Ok(Some(page)) => {
                if let Some(fanout) = &self.fanout {
                    fanout.metrics().timeline_read(true);
                    fanout.seen(viewer).await;
                }
                return Ok(page);
            }
            Ok(None) => true,
            // The timelines' own system (a Redis) is down: pull serves the
            // page, and a rebuild would fail the same way. (If the store
            // itself is down, pull fails too and says so.)
            Err(StoreError::Unavailable { reason }) => {
                tracing::debug!(%viewer, %reason, "a timeline could not be read; serving the pull feed");
                false
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(fanout) = &self.fanout {
            fanout.metrics().timeline_read(false);
            if rebuild {
                fanout.rebuild_later(viewer);
            }
        }
        Ok(FeedStrategy::pull_feed(store, viewer, page).await?)
    }

    /// Everyone's photos, newest first.
    pub async fn global_feed(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, ReadError> {
        Ok(self.store.global_photos(viewer, page).await?)
    }

    /// One user's photos, newest first. An unknown user is `UserNotFound`.
    pub async fn user_photos(
        &self,
        author: UserId,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, ReadError> {
        if self.store.user(author).await?.is_none() {
            return Err(ReadError::UserNotFound(author));
        }
        Ok(self
            .store
            .photos_by_authors(&[author], viewer, page)
            .await?)
    }

    /// A user's profile as `viewer` sees it.
    pub async fn profile(&self, user: UserId, viewer: UserId) -> Result<Profile, ReadError> {
        self.store
            .profile(user, viewer)
            .await?
            .ok_or(ReadError::UserNotFound(user))
    }

    /// Stops the fan-out workers (their jobs stay queued, durably), then
    /// flushes and closes the store. Call before exiting.
    pub async fn close(&self) -> Result<(), StoreError> {
        if let Some(fanout) = &self.fanout {
            fanout.stop().await;
        }
        self.store.close().await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::auth::{HasherConfig, TokenError};
    use crate::store::MemoryStore;

    /// A working facade whose token issuer cannot sign.
    async fn minigram_that_cannot_sign(media_dir: &std::path::Path) -> Minigram {
        let app = Minigram::builder()
            .store(MemoryStore::new())
            .media_dir(media_dir)
            .expect("media dir")
            .hasher(HasherConfig::insecure_fast_for_tests())
            .build()
            .await
            .expect("builds");
        Minigram {
            tokens: TokenIssuer::with_unusable_key(Duration::from_secs(60)),
            ..app
        }
    }

    fn credentials() -> (Username, Email, Password) {
        (
            Username::parse("ada").expect("valid"),
            Email::parse("ada@example.com").expect("valid"),
            Password::parse("correct horse battery").expect("valid"),
        )
    }

    /// A working facade over `store` with `policy`.
    async fn minigram_with_policy(
        store: Arc<dyn Store>,
        media_dir: &std::path::Path,
        policy: PasswordPolicy,
    ) -> Minigram {
        Minigram::builder()
            .shared_store(store)
            .media_dir(media_dir)
            .expect("media dir")
            .hasher(HasherConfig::insecure_fast_for_tests())
            .password_policy(policy)
            .build()
            .await
            .expect("builds")
    }

    #[tokio::test]
    async fn register_enforces_the_configured_minimum_whatever_the_password_was_parsed_under() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let twelve = PasswordPolicy::with_min_chars(12).expect("allowed");
        let app = minigram_with_policy(store, dir.path(), twelve).await;
        assert_eq!(app.password_policy(), twelve);
        let (username, email, _) = credentials();
        // Meets the default policy (8), not this facade's (12).
        let ten = Password::parse("0123456789").expect("valid by default");
        let err = app
            .register(username.clone(), email.clone(), ten)
            .await
            .expect_err("below the configured minimum");
        let RegisterError::InvalidPassword(invalid) = &err else {
            panic!("expected InvalidPassword, got {err:?}");
        };
        assert_eq!(invalid.field(), "password");
        assert_eq!(invalid.reason(), "must be at least 12 characters");
        // Nothing was stored: the name is still free.
        assert!(
            app.store
                .credentials(&username)
                .await
                .expect("reads")
                .is_none()
        );
        let long = app
            .password_policy()
            .parse("twelve chars")
            .expect("meets 12");
        app.register(username, email, long)
            .await
            .expect("registers");
    }

    #[tokio::test]
    async fn login_applies_no_minimum_so_older_accounts_keep_working() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let six = PasswordPolicy::with_min_chars(6).expect("allowed");
        let lenient = minigram_with_policy(store.clone(), dir.path(), six).await;
        let password = lenient.password_policy().parse("test123").expect("meets 6");
        let (username, email, _) = credentials();
        lenient
            .register(username, email, password)
            .await
            .expect("registers under 6");
        // The same accounts under the default policy (8): the 7-character
        // password still logs in, a wrong one still does not.
        let strict = minigram_with_policy(store, dir.path(), PasswordPolicy::default()).await;
        let session = strict.login("ada", "test123").await.expect("logs in");
        assert_eq!(session.user.username.as_str(), "ada");
        assert!(matches!(
            strict.login("ada", "test124").await,
            Err(LoginError::InvalidCredentials)
        ));
        assert!(matches!(
            strict.login("ada", "").await,
            Err(LoginError::InvalidCredentials)
        ));
    }

    /// A signing failure is a bug or a bad key, not the store being away:
    /// it must not look like `StoreError::Unavailable` (which servers answer
    /// with 503 and an invitation to retry).
    #[tokio::test]
    async fn a_signing_failure_at_register_is_a_token_error_not_a_store_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = minigram_that_cannot_sign(dir.path()).await;
        let (username, email, password) = credentials();
        let err = app
            .register(username, email, password)
            .await
            .expect_err("cannot sign");
        assert!(
            matches!(err, RegisterError::Token(TokenError::Signing { .. })),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("registration failed: signing the token failed"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_signing_failure_at_login_is_a_token_error_not_a_store_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = minigram_that_cannot_sign(dir.path()).await;
        let (username, email, password) = credentials();
        app.store
            .create_user(NewUser {
                username,
                email,
                password_hash: app.hasher.hash(&password).await.expect("hashes"),
                created_at: now(),
            })
            .await
            .expect("creates");
        let err = app
            .login("ada", "correct horse battery")
            .await
            .expect_err("cannot sign");
        assert!(
            matches!(err, LoginError::Token(TokenError::Signing { .. })),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("login failed: signing the token failed"),
            "{err}"
        );
    }
}
