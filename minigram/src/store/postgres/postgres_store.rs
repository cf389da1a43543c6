use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use parking_lot::RwLock;
use tokio_postgres::types::{PgLsn, ToSql};
use tokio_postgres::{NoTls, Row};

use super::PostgresConfig;
use super::pg_failure::{Doing as _, PgFailure};
use super::timeline_ops::DeleteOutcome;
use super::{migrations, rows, sql};
use crate::domain::{
    FeedPage, PageRequest, Photo, PhotoId, PhotoView, Profile, User, UserId, Username,
};
use crate::error::{
    DeletePhotoError, FollowError, LikeError, PostPhotoError, RegisterError, StoreError,
};
use crate::media::MediaKey;
use crate::store::timelines_on;
use crate::store::{
    Credentials, FanoutJob, FanoutProgress, NewPhoto, NewUser, Store, StoreMetric,
    TimelineSettings, TimelineSlice, from_millis, to_millis,
};

/// The PostgreSQL store: a deadpool pool of tokio-postgres connections to
/// one server.
///
/// The schema is applied with refinery on connect (under an advisory lock,
/// so instances starting together migrate once); every statement is
/// prepared once per connection. Most operations are one statement, so one
/// implicit transaction: a like inserts the like and bumps the photo's
/// count together; deletes, and follows once timelines are on, are
/// explicit transactions (`timeline_ops`). Unique violations become the domain's conflicts by
/// constraint name (`users_username_key`, `users_email_key`), missing rows
/// its `NotFound` variants, and lost connections, refused connections,
/// pool timeouts and cancelled statements `StoreError::Unavailable`.
/// [`ReplicaRouter`](crate::store::ReplicaRouter) puts a primary and its
/// streaming replicas behind one store.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// The URL without its password, for messages and status pages
    /// (shared: the router clones stores per read).
    display_url: Arc<str>,
    /// Set by `enable_timelines`; shared by clones (the router clones a
    /// store per operation).
    timelines: Arc<RwLock<Option<TimelineSettings>>>,
    /// Where the timelines are kept when not in PostgreSQL tables.
    #[cfg(feature = "redis")]
    redis_timelines: Option<super::RedisTimelines>,
}

/// What a replica reports about its replay (see [`PostgresStore::replay_status`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplayStatus {
    pub in_recovery: bool,
    pub replay_lsn: Option<u64>,
    pub seconds_since_replayed_commit: Option<f64>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgresql://user:password@host:port/db`
    /// or the `key=value` form), checks that it answers and, when
    /// `config.migrate` is on, applies the schema migrations.
    pub async fn connect(url: &str, config: PostgresConfig) -> Result<Self, StoreError> {
        let migrate = config.migrate;
        let store = Self::build(url, config)?;
        let mut client = store.client().await.doing("connecting to PostgreSQL")?;
        if migrate {
            migrations::apply(&mut client).await?;
        }
        tracing::info!(url = %store.display_url, "connected to PostgreSQL");
        Ok(store)
    }

    /// Applies the schema migrations not yet applied to the database at
    /// `url` over one connection, then disconnects: for provisioning a
    /// database (or a test template) without keeping a store open.
    pub async fn migrate(url: &str) -> Result<(), StoreError> {
        let config = PostgresConfig {
            pool_size: 1,
            migrate: true,
            ..PostgresConfig::default()
        };
        Self::connect(url, config).await.map(drop)
    }

    /// A store whose pool connects on first use, without migrating.
    pub(crate) fn build(url: &str, config: PostgresConfig) -> Result<Self, StoreError> {
        let pg_config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::backend("parsing the database URL", e))?;
        Self::build_from(pg_config, crate::redacted_url(url), config)
    }

    /// A store for one member of a cluster, at `address` (`host:port`),
    /// with the user, password and database of `base_url` (whose own hosts
    /// are ignored): how the router reaches the members Patroni reports.
    /// Connects on first use, without migrating.
    pub(crate) fn build_member(
        base_url: &str,
        address: &str,
        config: PostgresConfig,
    ) -> Result<Self, StoreError> {
        let base = tokio_postgres::Config::from_str(base_url)
            .map_err(|e| StoreError::backend("parsing the database URL", e))?;
        let (host, port) = address
            .rsplit_once(':')
            .and_then(|(host, port)| Some((host, port.parse::<u16>().ok()?)))
            .ok_or_else(|| StoreError::Unavailable {
                reason: format!("the member address {address:?} is not host:port"),
            })?;
        let mut pg_config = tokio_postgres::Config::new();
        pg_config.host(host).port(port);
        if let Some(user) = base.get_user() {
            pg_config.user(user);
        }
        if let Some(password) = base.get_password() {
            pg_config.password(password);
        }
        if let Some(dbname) = base.get_dbname() {
            pg_config.dbname(dbname);
        }
        let display_url = format!(
            "postgresql://{}@{address}/{}",
            base.get_user().unwrap_or("postgres"),
            base.get_dbname().unwrap_or("postgres")
        );
        Self::build_from(pg_config, display_url, config)
    }

    fn build_from(
        mut pg_config: tokio_postgres::Config,
        display_url: String,
        config: PostgresConfig,
    ) -> Result<Self, StoreError> {
        pg_config
            .connect_timeout(config.connect_timeout)
            .application_name(&config.application_name);
        if let Some(timeout) = config.statement_timeout {
            pg_config.options(format!("-c statement_timeout={}", timeout.as_millis()));
        }
        let manager = Manager::from_config(
            pg_config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(config.wait_timeout))
            .create_timeout(Some(config.connect_timeout))
            .recycle_timeout(Some(config.connect_timeout))
            .build()
            .map_err(|e| StoreError::backend("building the connection pool", e))?;
        Ok(Self {
            pool,
            display_url: display_url.into(),
            timelines: Arc::default(),
            #[cfg(feature = "redis")]
            redis_timelines: config.redis_timelines,
        })
    }

    /// Applies the schema migrations over one pooled connection.
    pub(crate) async fn apply_migrations(&self) -> Result<(), StoreError> {
        let mut client = self.client().await.doing("connecting to PostgreSQL")?;
        migrations::apply(&mut client).await
    }

    /// Takes a connection from the pool (opening one when none is idle)
    /// and puts it back: `Ok` means a statement sent now would reach the
    /// server. Nothing is sent, so a caller may wait and call again, where
    /// retrying a failed write could apply it twice.
    pub(crate) async fn ready(&self) -> Result<(), StoreError> {
        self.client()
            .await
            .map(drop)
            .doing("connecting to the primary")
    }

    /// The URL connected to, without its password.
    pub fn url(&self) -> &str {
        &self.display_url
    }

    /// A new user's (empty) Redis timeline, built as a rebuild is (which
    /// no concurrent follow of theirs can slip past). A failure only logs:
    /// the first read rebuilds it.
    #[cfg(feature = "redis")]
    async fn start_redis_timeline(&self, user: UserId) {
        let Some(settings) = self.timeline_settings() else {
            return;
        };
        if self.redis_timelines.is_none() {
            return;
        }
        if let Err(e) = self.rebuild(user, settings.cap).await {
            let e = e.into_store("building a new user's timeline");
            tracing::warn!(%user, error = %e, "a new user's timeline was not built; their first read rebuilds it");
        }
    }

    /// The Redis holding the timelines, when they are not kept in
    /// PostgreSQL tables.
    #[cfg(feature = "redis")]
    pub fn redis_timelines(&self) -> Option<&super::RedisTimelines> {
        self.redis_timelines.as_ref()
    }

    pub(super) async fn client(&self) -> Result<Object, PgFailure> {
        Ok(self.pool.get().await?)
    }

    /// Runs one prepared statement.
    pub(super) async fn query(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, PgFailure> {
        let client = self.client().await?;
        let prepared = client.prepare_cached(statement).await?;
        Ok(client.query(&prepared, params).await?)
    }

    async fn query_one(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, PgFailure> {
        let client = self.client().await?;
        let prepared = client.prepare_cached(statement).await?;
        Ok(client.query_one(&prepared, params).await?)
    }

    pub(super) async fn query_opt(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, PgFailure> {
        let client = self.client().await?;
        let prepared = client.prepare_cached(statement).await?;
        Ok(client.query_opt(&prepared, params).await?)
    }

    /// The primary's current WAL write position (`pg_current_wal_lsn()`):
    /// once a replica has replayed up to it, it shows every write committed
    /// before this call.
    pub(crate) async fn current_wal_lsn(&self) -> Result<u64, StoreError> {
        let row = self
            .query_one(sql::CURRENT_WAL_LSN, &[])
            .await
            .doing("reading the WAL position")?;
        Ok(u64::from(rows::column::<PgLsn>(&row, 0)?))
    }

    /// A replica's replay position and how old its last replayed commit is.
    pub(crate) async fn replay_status(&self) -> Result<ReplayStatus, StoreError> {
        let row = self
            .query_one(sql::REPLAY_STATUS, &[])
            .await
            .doing("reading the replay position")?;
        Ok(ReplayStatus {
            in_recovery: rows::column(&row, 0)?,
            replay_lsn: rows::column::<Option<PgLsn>>(&row, 1)?.map(u64::from),
            seconds_since_replayed_commit: rows::column(&row, 2)?,
        })
    }

    async fn page(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let candidates = self
            .query(statement, params)
            .await
            .doing("reading a feed page")?
            .iter()
            .map(rows::photo_view)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FeedPage::from_candidates(candidates, page.limit))
    }
}

/// An id as stored: ids above `i64::MAX` cannot exist in the database.
fn db_id(id: u64) -> Option<i64> {
    i64::try_from(id).ok()
}

/// The exclusive upper bound of a page's photo ids.
fn before(page: PageRequest) -> i64 {
    page.cursor
        .map_or(i64::MAX, |c| db_id(c.before().get()).unwrap_or(i64::MAX))
}

/// Rows to read for a page: one more than the limit, to learn whether a
/// next page exists.
fn fetch(page: PageRequest) -> i64 {
    page.limit.get() as i64 + 1
}

fn millis(time: DateTime<Utc>) -> DateTime<Utc> {
    from_millis(to_millis(time))
}

#[async_trait]
impl Store for PostgresStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn create_user(&self, new: NewUser) -> Result<User, RegisterError> {
        let created_at = millis(new.created_at);
        let key = new.username.key();
        let result = self
            .query_one(
                sql::CREATE_USER,
                &[
                    &new.username.as_str(),
                    &key,
                    &new.email.as_str(),
                    &new.password_hash,
                    &created_at,
                    &self.timeline_settings().is_some(),
                ],
            )
            .await;
        match result {
            Ok(row) => {
                let id = rows::user_id(rows::column(&row, 0)?)?;
                #[cfg(feature = "redis")]
                self.start_redis_timeline(id).await;
                Ok(User {
                    id,
                    username: new.username,
                    email: new.email,
                    created_at,
                })
            }
            Err(e) => match e.unique_violation() {
                Some("users_username_key") => Err(RegisterError::UsernameTaken),
                Some("users_email_key") => {
                    // Both may clash; the contract reports the username first.
                    let row = self
                        .query_one(sql::USERNAME_TAKEN, &[&key])
                        .await
                        .doing("checking a username")?;
                    if rows::column(&row, 0)? {
                        Err(RegisterError::UsernameTaken)
                    } else {
                        Err(RegisterError::EmailTaken)
                    }
                }
                _ => Err(e.into_store("creating a user").into()),
            },
        }
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let Some(id) = db_id(id.get()) else {
            return Ok(None);
        };
        self.query_opt(sql::USER, &[&id])
            .await
            .doing("reading a user")?
            .as_ref()
            .map(rows::user)
            .transpose()
    }

    async fn credentials(&self, username: &Username) -> Result<Option<Credentials>, StoreError> {
        let row = self
            .query_opt(sql::CREDENTIALS, &[&username.key()])
            .await
            .doing("reading credentials")?;
        row.map(|row| {
            Ok(Credentials {
                user: rows::user(&row)?,
                password_hash: rows::column(&row, 4)?,
            })
        })
        .transpose()
    }

    async fn create_photo(&self, new: NewPhoto) -> Result<Photo, PostPhotoError> {
        let Some(author) = db_id(new.author.get()) else {
            return Err(PostPhotoError::AuthorNotFound(new.author));
        };
        let created_at = millis(new.created_at);
        let timelines = self.timeline_settings();
        let result = self
            .query_opt(
                sql::CREATE_PHOTO,
                &[
                    &author,
                    &new.caption.as_str(),
                    &new.media.key.as_str(),
                    &new.media.content_type.extension(),
                    &i64::from(new.media.width),
                    &i64::from(new.media.height),
                    &created_at,
                    &timelines.is_some(),
                    &timelines.is_some_and(|s| s.celebrity_followers.is_some()),
                ],
            )
            .await;
        let row = match result {
            Ok(Some(row)) => row,
            Ok(None) => return Err(PostPhotoError::AuthorNotFound(new.author)),
            Err(e) if e.foreign_key_violation().is_some() => {
                return Err(PostPhotoError::AuthorNotFound(new.author));
            }
            Err(e) => return Err(e.into_store("creating a photo").into()),
        };
        Ok(Photo {
            id: rows::photo_id(rows::column(&row, 0)?)?,
            author: new.author,
            author_username: rows::username(rows::column(&row, 1)?)?,
            caption: new.caption,
            media_key: new.media.key,
            content_type: new.media.content_type,
            width: new.media.width,
            height: new.media.height,
            created_at,
            like_count: 0,
        })
    }

    async fn delete_photo(
        &self,
        photo: PhotoId,
        requester: UserId,
    ) -> Result<Photo, DeletePhotoError> {
        let (Some(id), Some(author)) = (db_id(photo.get()), db_id(requester.get())) else {
            return Err(DeletePhotoError::PhotoNotFound(photo));
        };
        match self
            .delete_photo_everywhere(id, author)
            .await
            .doing("deleting a photo")?
        {
            DeleteOutcome::Deleted(row) => Ok(rows::photo_view(&row)?.photo),
            DeleteOutcome::NotAuthor => Err(DeletePhotoError::NotAuthor { photo, requester }),
            DeleteOutcome::NotFound => Err(DeletePhotoError::PhotoNotFound(photo)),
        }
    }

    async fn media_in_use(&self, key: &MediaKey) -> Result<bool, StoreError> {
        let row = self
            .query_one(sql::MEDIA_IN_USE, &[&key.as_str()])
            .await
            .doing("checking a media key's references")?;
        rows::column(&row, 0)
    }

    async fn photo(&self, id: PhotoId, viewer: UserId) -> Result<Option<PhotoView>, StoreError> {
        let (Some(id), viewer) = (db_id(id.get()), db_id(viewer.get()).unwrap_or(0)) else {
            return Ok(None);
        };
        self.query_opt(sql::PHOTO, &[&id, &viewer])
            .await
            .doing("reading a photo")?
            .as_ref()
            .map(rows::photo_view)
            .transpose()
    }

    async fn like(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        set_like(self, user, photo, sql::LIKE, "liking a photo").await
    }

    async fn unlike(&self, user: UserId, photo: PhotoId) -> Result<u64, LikeError> {
        set_like(self, user, photo, sql::UNLIKE, "unliking a photo").await
    }

    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        set_follow(self, follower, followee, true).await
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), FollowError> {
        set_follow(self, follower, followee, false).await
    }

    async fn profile(&self, user: UserId, viewer: UserId) -> Result<Option<Profile>, StoreError> {
        let Some(id) = db_id(user.get()) else {
            return Ok(None);
        };
        let viewer = db_id(viewer.get()).unwrap_or(0);
        let Some(row) = self
            .query_opt(sql::PROFILE, &[&id, &viewer])
            .await
            .doing("reading a profile")?
        else {
            return Ok(None);
        };
        let [followers, following, photos] = rows::counts(&row, 1)?;
        Ok(Some(Profile {
            user_id: user,
            username: rows::username(rows::column(&row, 0)?)?,
            followers,
            following,
            photos,
            followed_by_viewer: rows::column(&row, 4)?,
        }))
    }

    async fn followees(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        let Some(id) = db_id(user.get()) else {
            return Ok(Vec::new());
        };
        self.query(sql::FOLLOWEES, &[&id])
            .await
            .doing("reading followees")?
            .iter()
            .map(|row| rows::user_id(rows::column(row, 0)?))
            .collect()
    }

    async fn photos_by_authors(
        &self,
        authors: &[UserId],
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let mut ids: Vec<i64> = authors.iter().filter_map(|a| db_id(a.get())).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(FeedPage::default());
        }
        let viewer = db_id(viewer.get()).unwrap_or(0);
        self.page(
            sql::PHOTOS_BY_AUTHORS,
            &[&ids, &before(page), &fetch(page), &viewer],
            page,
        )
        .await
    }

    async fn followed_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let Some(viewer) = db_id(viewer.get()) else {
            return Ok(FeedPage::default());
        };
        self.page(
            sql::FOLLOWED_PHOTOS,
            &[&viewer, &before(page), &fetch(page)],
            page,
        )
        .await
    }

    async fn global_photos(
        &self,
        viewer: UserId,
        page: PageRequest,
    ) -> Result<FeedPage, StoreError> {
        let viewer = db_id(viewer.get()).unwrap_or(0);
        self.page(
            sql::GLOBAL_PHOTOS,
            &[&before(page), &fetch(page), &viewer],
            page,
        )
        .await
    }

    async fn revoke_token(
        &self,
        token_id: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.query(sql::REVOKE_TOKEN, &[&token_id, &millis(expires_at)])
            .await
            .doing("revoking a token")?;
        Ok(())
    }

    async fn is_token_revoked(&self, token_id: &str) -> Result<bool, StoreError> {
        let row = self
            .query_one(sql::IS_TOKEN_REVOKED, &[&token_id])
            .await
            .doing("checking a token")?;
        rows::column(&row, 0)
    }

    async fn setting_or_insert(&self, key: &str, default: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        if let Some(row) = self
            .query_opt(sql::INSERT_SETTING, &[&key, &default])
            .await
            .doing("storing a setting")?
        {
            return rows::column(&row, 0);
        }
        let row = self
            .query_one(sql::SETTING, &[&key])
            .await
            .doing("reading a setting")?;
        rows::column(&row, 0)
    }

    fn enable_timelines(&self, settings: TimelineSettings) -> Result<(), StoreError> {
        *self.timelines.write() = Some(settings);
        Ok(())
    }

    fn timeline_settings(&self) -> Option<TimelineSettings> {
        *self.timelines.read()
    }

    async fn claim_fanout_job(&self, lease: Duration) -> Result<Option<FanoutJob>, StoreError> {
        self.claim_job(lease).await
    }

    async fn fan_out(
        &self,
        job: &FanoutJob,
        batch: usize,
        lease: Duration,
    ) -> Result<FanoutProgress, StoreError> {
        let settings = timelines_on(self.timeline_settings())?;
        self.fan_out_batch(job, batch, lease, settings)
            .await
            .doing("applying a fan-out batch")
    }

    async fn fanout_queue_depth(&self) -> Result<u64, StoreError> {
        let row = self
            .query_one(super::timeline_sql::QUEUE_DEPTH, &[])
            .await
            .doing("counting fan-out jobs")?;
        let depth: i64 = rows::column(&row, 0)?;
        Ok(u64::try_from(depth).unwrap_or(0))
    }

    async fn timeline(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Option<TimelineSlice>, StoreError> {
        self.timeline_page(user, page).await
    }

    async fn mark_active(&self, user: UserId) -> Result<(), StoreError> {
        self.mark_active_now(user).await
    }

    async fn rebuild_timeline(&self, user: UserId) -> Result<(), StoreError> {
        let settings = timelines_on(self.timeline_settings())?;
        self.rebuild(user, settings.cap)
            .await
            .doing("rebuilding a timeline")
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.query(sql::PROBE, &[])
            .await
            .doing("probing the database")?;
        Ok(())
    }

    fn metrics(&self) -> Vec<StoreMetric> {
        let status = self.pool.status();
        let gauge = |name, help, value: usize| StoreMetric::gauge(name, help, value as f64);
        vec![
            gauge(
                "minigram_pg_pool_size",
                "Connections the PostgreSQL pool holds.",
                status.size,
            ),
            gauge(
                "minigram_pg_pool_max_size",
                "Most connections the PostgreSQL pool may hold.",
                status.max_size,
            ),
            gauge(
                "minigram_pg_pool_available",
                "Idle connections in the PostgreSQL pool.",
                status.available,
            ),
            gauge(
                "minigram_pg_pool_waiting",
                "Callers waiting for a PostgreSQL connection.",
                status.waiting,
            ),
        ]
    }

    async fn close(&self) -> Result<(), StoreError> {
        self.pool.close();
        Ok(())
    }
}

async fn set_like(
    store: &PostgresStore,
    user: UserId,
    photo: PhotoId,
    statement: &str,
    action: &'static str,
) -> Result<u64, LikeError> {
    let Some(user_db) = db_id(user.get()) else {
        return Err(LikeError::UserNotFound(user));
    };
    let Some(photo_db) = db_id(photo.get()) else {
        return Err(LikeError::PhotoNotFound(photo));
    };
    let row = match store.query_one(statement, &[&photo_db, &user_db]).await {
        Ok(row) => row,
        // In a race with a concurrent insert not yet visible, or with the
        // photo's deletion (users are never deleted).
        Err(e) => match e.foreign_key_violation() {
            Some("likes_user_id_fkey") => return Err(LikeError::UserNotFound(user)),
            Some("likes_photo_id_fkey") => return Err(LikeError::PhotoNotFound(photo)),
            _ => return Err(e.into_store(action).into()),
        },
    };
    if !rows::column::<bool>(&row, 0)? {
        return Err(LikeError::UserNotFound(user));
    }
    match rows::column::<Option<i64>>(&row, 1)? {
        Some(count) => Ok(rows::like_count(count)?),
        None => Err(LikeError::PhotoNotFound(photo)),
    }
}

async fn set_follow(
    store: &PostgresStore,
    follower: UserId,
    followee: UserId,
    follow: bool,
) -> Result<(), FollowError> {
    let (statement, action) = if follow {
        (sql::FOLLOW, "following")
    } else {
        (sql::UNFOLLOW, "unfollowing")
    };
    if follower == followee {
        return Err(FollowError::SelfFollow);
    }
    let (Some(follower_db), Some(followee_db)) = (db_id(follower.get()), db_id(followee.get()))
    else {
        let unknown = if db_id(follower.get()).is_none() {
            follower
        } else {
            followee
        };
        return Err(FollowError::UserNotFound(unknown));
    };
    if let Some(settings) = store.timeline_settings() {
        let parties = store
            .set_follow_keeping_timeline(follower_db, followee_db, follow, settings)
            .await
            .doing(action)?;
        if !parties.follower {
            return Err(FollowError::UserNotFound(follower));
        }
        if !parties.followee {
            return Err(FollowError::UserNotFound(followee));
        }
        return Ok(());
    }
    let row = match store
        .query_one(statement, &[&follower_db, &followee_db])
        .await
    {
        Ok(row) => row,
        Err(e) => match e.foreign_key_violation() {
            Some("follows_follower_id_fkey") => return Err(FollowError::UserNotFound(follower)),
            Some("follows_followee_id_fkey") => return Err(FollowError::UserNotFound(followee)),
            _ => return Err(e.into_store(action).into()),
        },
    };
    if !rows::column::<bool>(&row, 0)? {
        return Err(FollowError::UserNotFound(follower));
    }
    if !rows::column::<bool>(&row, 1)? {
        return Err(FollowError::UserNotFound(followee));
    }
    Ok(())
}
