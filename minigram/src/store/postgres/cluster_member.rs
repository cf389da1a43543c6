//! One member of a Patroni-managed cluster, as the router last saw it.

/// What a member of a Patroni cluster is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MemberRole {
    /// Holds the leader key: the primary, which takes the writes.
    Leader,
    /// A streaming replica (synchronous or not: see
    /// [`ClusterMember::synchronous`]).
    Replica,
}

impl MemberRole {
    /// `leader` or `replica`, for status pages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Leader => "leader",
            Self::Replica => "replica",
        }
    }
}

/// One member of the cluster, from Patroni's `GET /cluster`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterMember {
    /// Patroni's name for the member.
    pub name: String,
    /// Leader or replica.
    pub role: MemberRole,
    /// Whether it is the synchronous standby: with `synchronous_mode` on, a
    /// commit is acknowledged only once this member has flushed it, and
    /// only this member may be promoted.
    pub synchronous: bool,
    /// Its PostgreSQL address, `host:port`.
    pub address: String,
    /// Patroni's word for its state: `running` (the leader), `streaming`,
    /// `starting`, `stopped`, `crashed`, …
    pub state: String,
    /// WAL bytes it is behind the leader, as Patroni last reported
    /// (`None` for the leader, or when Patroni does not know).
    pub lag_bytes: Option<u64>,
    /// Its timeline: each promotion starts a new one.
    pub timeline: Option<u64>,
}
