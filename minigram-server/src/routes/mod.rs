//! One file per route (or per pair of verbs on one resource). Handlers
//! extract, parse into domain types, make one library call and respond.

pub(crate) mod api_metrics;
pub(crate) mod dashboard;
pub(crate) mod delete_photo;
pub(crate) mod feed;
pub(crate) mod follow;
pub(crate) mod get_photo;
pub(crate) mod health;
pub(crate) mod index;
pub(crate) mod instance;
pub(crate) mod like;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod media;
pub(crate) mod metrics_history;
pub(crate) mod not_found;
pub(crate) mod ping;
pub(crate) mod prometheus_metrics;
pub(crate) mod register;
pub(crate) mod upload_photo;
pub(crate) mod user_photos;
pub(crate) mod user_profile;
pub(crate) mod web_asset;

/// Largest JSON request body accepted.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;
