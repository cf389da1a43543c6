//! The password-hash ceiling: every session registers and logs in, two
//! Argon2 hashes of a fixed cost, so `cores` cores can finish at most
//! `cores / (2 × hash time)` sessions per second, however the rest scales.

use serde::Serialize;

/// The hasher counters read from the servers' `/api/metrics`, summed over
/// instances.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct HasherSample {
    /// Hashes and verifications completed.
    pub completed: u64,
    /// Seconds spent hashing (summed over hashing threads).
    pub busy_s: f64,
}

impl HasherSample {
    /// Adds another instance's counters.
    pub fn plus(self, other: HasherSample) -> HasherSample {
        HasherSample {
            completed: self.completed + other.completed,
            busy_s: self.busy_s + other.busy_s,
        }
    }

    /// Mean seconds per hash, if any completed.
    pub fn hash_time_s(self) -> Option<f64> {
        (self.completed > 0 && self.busy_s > 0.0).then(|| self.busy_s / self.completed as f64)
    }
}

/// Password hashes per session (register + login).
pub const HASHES_PER_SESSION: f64 = 2.0;

/// Most sessions per second `cores` can hash for.
pub fn sessions_ceiling(cores: usize, hash_time_s: f64) -> f64 {
    if hash_time_s <= 0.0 {
        return f64::INFINITY;
    }
    cores as f64 / (HASHES_PER_SESSION * hash_time_s)
}

/// Sessions per second a level achieved: each user runs one session.
pub fn sessions_per_s(users: usize, duration_s: f64) -> f64 {
    users as f64 / duration_s.max(1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cores_hashing_for_25_ms_finish_at_most_40_sessions_a_second() {
        let sample = HasherSample {
            completed: 100,
            busy_s: 2.5,
        }
        .plus(HasherSample {
            completed: 100,
            busy_s: 2.5,
        });
        let hash = sample.hash_time_s().expect("hashes completed");
        assert!((hash - 0.025).abs() < 1e-12);
        assert!((sessions_ceiling(2, hash) - 40.0).abs() < 1e-9);
        assert!((sessions_per_s(200, 10.0) - 20.0).abs() < 1e-12);
        assert_eq!(HasherSample::default().hash_time_s(), None);
        assert!(sessions_ceiling(2, 0.0).is_infinite());
    }
}
