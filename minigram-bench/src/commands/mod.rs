//! The commands.

pub mod breaking_point;
pub mod rate;
pub mod scenario;
pub mod seed;
