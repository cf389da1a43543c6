//! One member of the high-availability cluster as Patroni reports it
//! (`GET /cluster`).

use std::fmt;

use serde::Deserialize;

/// A member's role in Patroni's view of the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HaRole {
    /// Holds the leader key: its PostgreSQL is the primary (read-write).
    Leader,
    /// The replica the leader waits for on commit (`synchronous_mode`): the
    /// only one Patroni promotes when the leader fails in that mode.
    SyncStandby,
    /// Any other member (also roles this crate does not know, such as a
    /// standby cluster's `standby_leader`).
    Replica,
}

impl HaRole {
    fn from_patroni(role: &str) -> Self {
        match role {
            "leader" | "master" | "primary" => Self::Leader,
            "sync_standby" => Self::SyncStandby,
            _ => Self::Replica,
        }
    }
}

impl fmt::Display for HaRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Leader => "leader",
            Self::SyncStandby => "sync_standby",
            Self::Replica => "replica",
        })
    }
}

/// One member from Patroni's `GET /cluster`. A member whose Patroni is
/// gone stays listed, with its last state, until its key expires in etcd
/// (the `ttl`, 10 s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaMember {
    /// The Patroni member name (`node1`, …; [`crate::HaCluster::node_names`]).
    pub name: String,
    /// Its role.
    pub role: HaRole,
    /// PostgreSQL's state as Patroni reports it: `running` (Patroni 3.0
    /// says so for a streaming replica too; later releases say
    /// `streaming`), `starting`, `stopped`, `crashed`, `creating replica`, …
    pub state: String,
    /// The PostgreSQL port (127.0.0.1).
    pub pg_port: u16,
    /// The Patroni REST API port (127.0.0.1).
    pub rest_port: u16,
    /// The timeline PostgreSQL is on, when Patroni knows it.
    pub timeline: Option<u64>,
    /// How far (bytes of WAL) a replica is behind the leader; `None` for
    /// the leader and when Patroni reports it as unknown.
    pub lag_bytes: Option<u64>,
}

impl HaMember {
    /// Whether PostgreSQL runs normally (a primary, or a replica that
    /// streams or replays).
    pub fn is_running(&self) -> bool {
        matches!(self.state.as_str(), "running" | "streaming")
    }
}

/// `GET /cluster`'s body.
#[derive(Debug, Deserialize)]
struct ClusterBody {
    members: Vec<MemberBody>,
}

#[derive(Debug, Deserialize)]
struct MemberBody {
    name: String,
    role: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    api_url: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    timeline: Option<u64>,
    /// A number, or the string `unknown`.
    #[serde(default)]
    lag: Option<serde_json::Value>,
}

/// Parses `GET /cluster`, in Patroni's order (by name).
pub(crate) fn parse_cluster(body: &str) -> Result<Vec<HaMember>, serde_json::Error> {
    let cluster: ClusterBody = serde_json::from_str(body)?;
    Ok(cluster
        .members
        .into_iter()
        .map(|m| HaMember {
            role: HaRole::from_patroni(&m.role),
            pg_port: m.port.unwrap_or(0),
            rest_port: m.api_url.as_deref().and_then(url_port).unwrap_or(0),
            timeline: m.timeline,
            lag_bytes: m.lag.as_ref().and_then(serde_json::Value::as_u64),
            state: m.state,
            name: m.name,
        })
        .collect())
}

/// The port of `http://HOST:PORT/...`.
fn url_port(url: &str) -> Option<u16> {
    let authority = url.split_once("://")?.1.split('/').next()?;
    authority.rsplit_once(':')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_patroni_cluster_json() {
        let body = r#"{"members": [
            {"name": "node1", "role": "leader", "state": "running",
             "api_url": "http://127.0.0.1:8001/patroni", "host": "127.0.0.1", "port": 5541, "timeline": 2},
            {"name": "node2", "role": "sync_standby", "state": "streaming",
             "api_url": "http://127.0.0.1:8002/patroni", "host": "127.0.0.1", "port": 5542, "timeline": 2, "lag": 0},
            {"name": "node3", "role": "replica", "state": "starting",
             "api_url": "http://127.0.0.1:8003/patroni", "host": "127.0.0.1", "port": 5543, "lag": "unknown"}
        ]}"#;
        let members = parse_cluster(body).expect("valid");
        assert_eq!(members.len(), 3);
        assert_eq!(members[0].role, HaRole::Leader);
        assert_eq!(members[0].rest_port, 8001);
        assert_eq!(members[0].lag_bytes, None);
        assert_eq!(members[1].role, HaRole::SyncStandby);
        assert!(members[1].is_running());
        assert_eq!(members[1].lag_bytes, Some(0));
        assert_eq!(members[2].timeline, None);
        assert_eq!(members[2].lag_bytes, None);
        assert_eq!(members[2].pg_port, 5543);
        assert!(!members[2].is_running());
    }
}
