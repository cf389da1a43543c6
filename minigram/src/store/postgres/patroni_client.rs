//! Reading a Patroni cluster's members over its REST API.

use std::time::Duration;

use serde::Deserialize;

use super::{ClusterMember, MemberRole};
use crate::error::StoreError;

/// Asks Patroni which member is the leader and which are replicas:
/// `GET /cluster` on the first of the given REST endpoints that answers.
///
/// Every member's Patroni serves the whole cluster's view (read from the
/// consensus store), so one answer is enough; the endpoints are tried in
/// order so that a dead node's Patroni costs one refused connection, not a
/// failed poll. `/cluster` gives every member's role, address, state and
/// lag in one request, where `/primary` and `/replica?lag=…` would take one
/// request per member.
#[derive(Debug, Clone)]
pub(super) struct PatroniClient {
    urls: Vec<String>,
    http: reqwest::Client,
}

#[derive(Debug, Deserialize)]
struct ClusterJson {
    #[serde(default)]
    members: Vec<MemberJson>,
}

#[derive(Debug, Deserialize)]
struct MemberJson {
    name: String,
    role: String,
    #[serde(default)]
    state: String,
    host: Option<String>,
    port: Option<u16>,
    timeline: Option<u64>,
    /// A number of bytes, or the string `unknown`.
    lag: Option<serde_json::Value>,
}

impl PatroniClient {
    /// A client for these REST endpoints (`http://host:8008`), each request
    /// bounded by `timeout`.
    pub(super) fn new(urls: &[String], timeout: Duration) -> Result<Self, StoreError> {
        if urls.is_empty() {
            return Err(StoreError::Unavailable {
                reason: "no Patroni REST endpoint was given".into(),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| StoreError::backend("building the Patroni HTTP client", e))?;
        Ok(Self {
            urls: urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_owned())
                .collect(),
            http,
        })
    }

    /// The endpoints, in the order they are tried.
    pub(super) fn urls(&self) -> &[String] {
        &self.urls
    }

    /// The cluster's members, sorted by name, from the first endpoint that
    /// answers. Members without an address (not yet registered) are left
    /// out.
    pub(super) async fn members(&self) -> Result<Vec<ClusterMember>, StoreError> {
        let mut failures = Vec::new();
        for url in &self.urls {
            match self.members_from(url).await {
                Ok(members) => return Ok(members),
                Err(e) => failures.push(format!("{url}: {e}")),
            }
        }
        Err(StoreError::Unavailable {
            reason: format!("no Patroni endpoint answered: {}", failures.join("; ")),
        })
    }

    async fn members_from(&self, url: &str) -> Result<Vec<ClusterMember>, reqwest::Error> {
        let cluster: ClusterJson = self
            .http
            .get(format!("{url}/cluster"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(cluster
            .members
            .into_iter()
            .filter_map(|m| {
                let address = format!("{}:{}", m.host?, m.port.unwrap_or(5432));
                let role = match m.role.as_str() {
                    "leader" | "master" | "primary" => MemberRole::Leader,
                    _ => MemberRole::Replica,
                };
                Some(ClusterMember {
                    synchronous: m.role == "sync_standby",
                    lag_bytes: m.lag.as_ref().and_then(serde_json::Value::as_u64),
                    name: m.name,
                    role,
                    address,
                    state: m.state,
                    timeline: m.timeline,
                })
            })
            .collect())
    }
}
