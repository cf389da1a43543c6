//! The origin's published figures (its journey overview's stage comparison
//! table), quoted beside ours. They are distrusted: the Stage 1 "55%" came
//! from 404s and likes of missing photos, register/login time was bcrypt,
//! and "1.5 RPS" divided requests by the whole uptime.

/// One stage's claims, quoted verbatim.
#[derive(Debug, Clone, Copy)]
pub struct OriginClaim {
    /// Stage number (1-3).
    pub stage: u8,
    /// "Max Users".
    pub max_users: &'static str,
    /// "Response Time".
    pub response_time: &'static str,
    /// "Success Rate".
    pub success_rate: &'static str,
    /// "Throughput".
    pub throughput: &'static str,
}

/// Where the claims are quoted from.
pub const SOURCE: &str = "the origin's journey overview, its stage comparison table \
(Max Users / Response Time / Success Rate / Throughput)";

/// The claims, stage by stage.
pub const CLAIMS: [OriginClaim; 3] = [
    OriginClaim {
        stage: 1,
        max_users: "5 concurrent",
        response_time: "2.8s @ 50 users",
        success_rate: "55% under load",
        throughput: "1.5 RPS",
    },
    OriginClaim {
        stage: 2,
        max_users: "200+ concurrent",
        response_time: "1.5s @ 200 users",
        success_rate: ">99% under load",
        throughput: "150 RPS",
    },
    OriginClaim {
        stage: 3,
        max_users: "2000+ concurrent",
        response_time: "20ms @ 100 users",
        success_rate: "100% under load",
        throughput: "10,000+ RPS",
    },
];
