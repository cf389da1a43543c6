//! The commands.

pub mod breaking_point;
pub mod ha;
pub mod rate;
pub mod scenario;
pub mod seed;
