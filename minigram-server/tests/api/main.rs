//! Black-box HTTP tests: each starts the real server on port 0 over a fresh
//! data directory and talks to it with reqwest (or raw TCP where reqwest
//! would hide what is being checked).
#![allow(clippy::unwrap_used)]

mod helpers;

mod accounts;
mod errors;
mod media;
mod observability;
mod origin_flow;
mod pagination;
mod photos;
mod shutdown;
mod social;
mod tokens;
