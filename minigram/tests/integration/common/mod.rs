//! What several test modules share: store fixtures, the one PostgreSQL
//! dev cluster and the one Redis server of this test binary.

#[cfg(feature = "embedded")]
pub mod crash_child;
pub mod facade;
#[cfg(any(feature = "embedded", feature = "postgres"))]
pub mod fixtures;
#[cfg(feature = "postgres")]
pub mod ha_cluster;
#[cfg(feature = "postgres")]
pub mod pg_cluster;
#[cfg(all(feature = "redis", any(feature = "embedded", feature = "postgres")))]
pub mod redis;
