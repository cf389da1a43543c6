//! minigram-bench: the load generator behind `minigram-bench`'s commands.
//!
//! - [`client`]: a typed HTTP client for the MiniGram API that honours
//!   `Retry-After` like a real client.
//! - [`recorder`]: per-operation latency histograms (HdrHistogram) and
//!   failures grouped by operation and cause.
//! - [`report`]: the JSON and text reports.
//! - [`commands`]: `seed`, `scenario`, `rate`, `breaking-point`.
//! - [`journey`]: the three-stage scaling journey and its report.

pub mod breaking_point;
pub mod cli;
pub mod client;
pub mod commands;
pub mod journey;
pub mod recorder;
pub mod report;
pub mod schedule;
