//! The breaking-point search: the user levels to try and when to stop.

/// The user counts tried, in order (the origin's levels, extended).
pub const LEVELS: [usize; 12] = [5, 10, 25, 50, 100, 250, 500, 1000, 2000, 4000, 8000, 16000];

/// One level's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelResult {
    /// Simulated users.
    pub users: usize,
    /// Succeeded / total.
    pub success_rate: f64,
    /// p99 latency over all operations, ms.
    pub p99_ms: f64,
    /// Operations per second.
    pub throughput: f64,
}

/// What held and what broke.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Lowest acceptable success rate.
    pub min_success: f64,
    /// Highest acceptable p99, ms.
    pub slo_p99_ms: f64,
}

impl Limits {
    /// Whether a level stayed within the limits.
    pub fn holds(&self, level: &LevelResult) -> bool {
        level.success_rate >= self.min_success && level.p99_ms <= self.slo_p99_ms
    }
}

/// The levels to try, up to `max_users`.
pub fn levels(max_users: usize) -> impl Iterator<Item = usize> {
    LEVELS
        .into_iter()
        .take_while(move |&users| users <= max_users)
}

/// The largest level that held before the first that broke, if any held.
pub fn largest_holding(results: &[LevelResult], limits: Limits) -> Option<usize> {
    results
        .iter()
        .take_while(|r| limits.holds(r))
        .last()
        .map(|r| r.users)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(users: usize, success_rate: f64, p99_ms: f64) -> LevelResult {
        LevelResult {
            users,
            success_rate,
            p99_ms,
            throughput: 0.0,
        }
    }

    #[test]
    fn the_search_stops_at_the_first_level_that_breaks() {
        let limits = Limits {
            min_success: 0.99,
            slo_p99_ms: 1000.0,
        };
        let results = [
            level(5, 1.0, 10.0),
            level(10, 1.0, 20.0),
            level(25, 0.98, 30.0),
            level(50, 1.0, 40.0),
        ];
        assert_eq!(largest_holding(&results, limits), Some(10));
        let slow = [level(5, 1.0, 1500.0)];
        assert_eq!(largest_holding(&slow, limits), None);
        assert_eq!(levels(100).collect::<Vec<_>>(), vec![5, 10, 25, 50, 100]);
    }
}
