//! The library's integration tests, one binary with a module per topic
//! (one link instead of eight, and one PostgreSQL dev cluster and one Redis
//! server shared by every module that needs them).
//!
//! Tests that need PostgreSQL or Redis start real servers through
//! `minigram-devcluster`; without the binaries they fail with what to
//! install, never skip.
#![allow(clippy::unwrap_used)]

mod bad_input;
mod cache;
mod common;
mod contract;
mod crash_recovery;
mod embedded_store;
mod fanout_crash;
mod feed_model;
mod ha_failover;
mod inactive_users;
mod model;
mod rate_limit;
#[cfg(all(feature = "postgres", feature = "redis"))]
mod redis_timelines;
mod replica_router;
