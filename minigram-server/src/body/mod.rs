//! Response bodies, shaped exactly as docs/api.md (and the origin's clients) expect.

mod cluster_json;
mod feed_json;
mod health_json;
mod instance_json;
mod metrics_json;
mod photo_json;
mod photo_page;
mod profile_json;
mod session_json;

pub use cluster_json::ClusterJson;
pub use feed_json::FeedJson;
pub use health_json::{
    CacheHealth, ComponentStatus, HasherHealth, HealthComponents, HealthJson, MediaHealth,
    OverallStatus, RateLimitHealth, StoreHealth,
};
// Built only behind a replica router.
#[cfg(feature = "postgres")]
pub use health_json::{PrimaryHealth, ReplicaHealth};
pub use instance_json::{
    CacheStaleness, InstanceJson, PasswordHashSettings, QuotaJson, RateLimitSettings,
};
pub use metrics_json::{
    ApiMetricsJson, CacheFigures, HasherFigures, RateLimitFigures, StoreFigures,
};
pub use photo_json::PhotoJson;
pub use photo_page::PhotoPage;
pub use profile_json::ProfileJson;
pub use session_json::SessionJson;
