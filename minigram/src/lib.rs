//! # minigram
//!
//! An embeddable engine for the social-photo domain: accounts with password
//! login, photo posts, likes, follows and a home feed, over one storage
//! trait ([`Store`](store::Store)) with interchangeable implementations.
//!
//! ```
//! use minigram::store::MemoryStore;
//! use minigram::{Caption, Email, Minigram, PageRequest, Password, Username};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let media_dir = tempfile::tempdir()?;
//! // `EmbeddedStore::open("minigram.redb", Default::default())` for a
//! // durable store; the memory store keeps this example self-contained.
//! let app = Minigram::builder()
//!     .store(MemoryStore::new())
//!     .media_dir(media_dir.path())?
//!     .build()
//!     .await?;
//!
//! let session = app
//!     .register(
//!         Username::parse("ada")?,
//!         Email::parse("ada@example.com")?,
//!         Password::parse("correct horse battery")?,
//!     )
//!     .await?;
//! let me = app.authenticate(&session.token).await?.user_id;
//! let feed = app.home_feed(me, PageRequest::default()).await?;
//! assert!(feed.items.is_empty());
//! # let _ = Caption::default();
//! app.close().await?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Modules
//!
//! The facade [`Minigram`], the domain types ([`Username`], [`Photo`],
//! [`FeedPage`], ...) and the error families ([`RegisterError`], ...) are
//! at the crate root. Components have a module each: [`store`] (the
//! [`Store`](store::Store) trait and its implementations), [`cache`],
//! [`auth`], [`media`], [`feed`], [`rate_limit`]. Every type has one path.
//!
//! ## Feature flags
//!
//! | Feature | Default | What it adds |
//! | --- | --- | --- |
//! | `embedded` | yes | `store::EmbeddedStore`: redb, one group-committing writer, durable on acknowledgment. |
//! | `moka` | yes | [`cache`]: `CachedStore` with the in-process tier (L1, moka). |
//! | `postgres` | no | `store::PostgresStore` (tokio-postgres + deadpool, refinery migrations) and `store::ReplicaRouter` (primary + streaming replicas, read-your-writes). |
//! | `redis` | no | The shared Redis cache tier (L2) with cross-instance invalidation, and the Redis-backed [`rate_limit::RateLimiter`]; implies `moka`. |
//!
//! Without any feature the crate still has the [`store::MemoryStore`]
//! (the reference model), password hashing, tokens, local media and the
//! in-process rate limiter. Local PostgreSQL and Redis servers for tests
//! and development come from the separate, unpublished
//! `minigram-devcluster` crate, not from this one.

pub mod auth;
mod build_error;
#[cfg(feature = "moka")]
pub mod cache;
mod domain;
mod error;
pub mod feed;
/// Entry points for the fuzz targets in `fuzz/` only (docs/fuzzing.md).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
pub mod media;
mod minigram;
mod minigram_builder;
pub mod rate_limit;
mod redacted_url;
mod session;
pub mod store;

pub use build_error::BuildError;
pub use domain::{
    Caption, Cursor, Email, FeedPage, PageLimit, PageRequest, Password, PasswordPolicy, Photo,
    PhotoId, PhotoView, Profile, User, UserId, Username, ValidationError,
};
pub use error::{
    AuthError, DeletePhotoError, Error, FollowError, LikeError, LoginError, PostPhotoError,
    ReadError, RegisterError, StoreError,
};
pub use minigram::Minigram;
pub use minigram_builder::MinigramBuilder;
pub use redacted_url::redacted_url;
pub use session::Session;
