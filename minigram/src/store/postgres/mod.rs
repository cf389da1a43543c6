//! The PostgreSQL store (feature `postgres`).
//!
//! - [`PostgresStore`]: tokio-postgres connections in a deadpool pool, the
//!   schema applied with refinery on connect, every statement prepared once
//!   per connection. Each operation is one statement, so one implicit
//!   transaction: a like inserts the like and bumps the photo's count
//!   together. Unique violations become the domain's conflicts by
//!   constraint name (`users_username_key`, `users_email_key`), missing
//!   rows its `NotFound` variants, and lost connections, refused
//!   connections, pool timeouts and cancelled statements
//!   `StoreError::Unavailable`.
//! - [`ReplicaRouter`]: a primary and streaming replicas behind one
//!   [`Store`](super::Store), with read-your-writes by WAL position; given
//!   Patroni's REST endpoints, it follows the cluster's leader through
//!   failovers.
//!
//! Indexes and the statements they serve (checked with `EXPLAIN`):
//! `photos_author_id_id_idx (author_id, id DESC)` — the home feed, one
//! short backward range scan per followee under a `LATERAL` join, and photo
//! counts; `photos_pkey` — the global feed, a backward scan; `likes_pkey
//! (photo_id, user_id)` — "liked by the viewer" and idempotent likes;
//! `follows_pkey (follower_id, followee_id)` — followees and "followed by
//! the viewer"; `follows_followee_id_idx` — follower counts.

mod cluster_member;
mod migrations;
mod patroni_client;
mod pg_failure;
mod postgres_config;
mod postgres_store;
mod replica_router;
mod replica_status;
mod router_config;
mod rows;
#[macro_use]
mod sql;
// After `sql`: uses its `photo_columns!`.
#[cfg(feature = "redis")]
mod redis_timeline_ops;
#[cfg(feature = "redis")]
mod redis_timelines;
mod timeline_ops;
mod timeline_sql;
mod transaction;

pub use cluster_member::{ClusterMember, MemberRole};
pub use postgres_config::PostgresConfig;
pub use postgres_store::PostgresStore;
#[cfg(feature = "redis")]
pub use redis_timelines::RedisTimelines;
pub use replica_router::ReplicaRouter;
pub use replica_status::{ClusterStatus, ReplicaState, ReplicaStatus, RouterStatus};
pub use router_config::{ReadConsistency, RouterConfig};
