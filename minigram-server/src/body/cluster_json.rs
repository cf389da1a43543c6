use serde::Serialize;
use utoipa::ToSchema;

/// The Patroni cluster a replica router follows (`--ha` or `--patroni-url`),
/// as last read from Patroni's `GET /cluster`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Cluster)]
pub struct ClusterJson {
    /// The member writes go to now; `null` while no leader accepts writes.
    pub leader: Option<String>,
    /// Every member, by name.
    pub members: Vec<ClusterMemberJson>,
    /// Changes of leader this server followed since it started.
    pub failovers: u64,
    /// How long a write waits for a new primary during a failover before it
    /// is answered 503, in milliseconds.
    pub failover_write_wait_ms: u64,
    /// The Patroni REST endpoints read, in order.
    pub patroni_urls: Vec<String>,
    /// Why the last read of Patroni failed, when it did.
    pub error: Option<String>,
}

/// One member of the cluster.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ClusterMember)]
pub struct ClusterMemberJson {
    /// Patroni's name for it.
    pub name: String,
    /// `leader` or `replica`.
    pub role: &'static str,
    /// Whether it is the synchronous standby (the one a failover promotes).
    pub synchronous: bool,
    /// Its PostgreSQL address, `host:port`.
    pub address: String,
    /// Patroni's state for it: `running`, `streaming`, `starting`, `stopped`, …
    pub state: String,
    /// WAL bytes it is behind the leader, when known (not for the leader).
    pub lag_bytes: Option<u64>,
    /// Its timeline (each promotion starts a new one).
    pub timeline: Option<u64>,
}

#[cfg(feature = "postgres")]
impl From<&minigram::store::ClusterStatus> for ClusterJson {
    fn from(status: &minigram::store::ClusterStatus) -> Self {
        Self {
            leader: status.leader.clone(),
            members: status
                .members
                .iter()
                .map(|m| ClusterMemberJson {
                    name: m.name.clone(),
                    role: m.role.as_str(),
                    synchronous: m.synchronous,
                    address: m.address.clone(),
                    state: m.state.clone(),
                    lag_bytes: m.lag_bytes,
                    timeline: m.timeline,
                })
                .collect(),
            failovers: status.failovers,
            failover_write_wait_ms: status.failover_write_wait.as_millis() as u64,
            patroni_urls: status.patroni_urls.clone(),
            error: status.last_error.clone(),
        }
    }
}
