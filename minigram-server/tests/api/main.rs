//! Black-box HTTP tests: each starts the real server on port 0 over a fresh
//! data directory and talks to it with reqwest (or raw TCP where reqwest
//! would hide what is being checked).
//!
//! Most tests run twice (`on_each_backend!`): `<test>::embedded` on the
//! embedded store and `<test>::postgres` on a PostgreSQL primary with two
//! streaming replicas behind the replica router, each test on its own
//! database of one dev cluster shared by this binary (`pg_cluster`).
#![allow(clippy::unwrap_used)]

#[macro_use]
mod helpers;
#[cfg(feature = "devcluster")]
mod pg_cluster;
#[cfg(feature = "devcluster")]
mod redis_shared;

mod accounts;
mod browser;
mod browser_driver;
#[cfg(feature = "devcluster")]
mod cache_tiers;
mod deletes;
mod errors;
#[cfg(feature = "devcluster")]
mod fanout_workers;
mod feeds;
#[cfg(feature = "devcluster")]
mod ha_binary;
mod media;
mod observability;
mod openapi;
mod origin_compat;
mod origin_flow;
mod pagination;
mod photos;
mod rate_limits;
#[cfg(feature = "devcluster")]
mod replicas_binary;
#[cfg(feature = "devcluster")]
mod replication;
#[cfg(feature = "devcluster")]
mod server_process;
mod shutdown;
mod social;
mod tokens;
mod web_app;
