//! # minigram
//!
//! An embeddable engine for the social-photo domain: accounts with password
//! login, photo posts, likes, follows and a home feed, over one storage
//! trait ([`Store`]) with interchangeable implementations.
//!
//! ```no_run
//! use minigram::{Caption, Email, Minigram, PageRequest, Password, Username};
//! use minigram::store::{EmbeddedConfig, EmbeddedStore};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store = EmbeddedStore::open("minigram.redb", EmbeddedConfig::default()).await?;
//! let app = Minigram::builder()
//!     .store(store)
//!     .media_dir("media")?
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
//! let page = app.home_feed(me, PageRequest::default()).await?;
//! assert!(page.items.is_empty());
//! # let _ = Caption::default();
//! app.close().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Features: `embedded` (default) adds the redb store.

pub mod auth;
mod build_error;
pub mod domain;
pub mod error;
pub mod feed;
pub mod media;
mod minigram;
mod minigram_builder;
mod session;
pub mod store;

pub use build_error::BuildError;
pub use domain::{
    Caption, Cursor, Email, FeedPage, PageLimit, PageRequest, Password, Photo, PhotoId,
    PhotoView, Profile, User, UserId, Username, ValidationError,
};
pub use error::{
    AuthError, Error, FollowError, LikeError, LoginError, PostPhotoError, ReadError,
    RegisterError, StoreError,
};
pub use minigram::Minigram;
pub use minigram_builder::MinigramBuilder;
pub use session::Session;
pub use store::Store;
