//! Open-loop timing: when each request is due, and latency measured from
//! that intended time (corrected for coordinated omission) as well as from
//! the actual send.
//!
//! A closed-loop client that waits for each answer sends less when the
//! server slows down, so its latencies hide the queueing a real arrival
//! stream would see. Measuring from the intended send time restores it.

use std::time::Duration;

/// The intended send offset of request `index` at `rate` requests/second.
pub fn intended_offset(index: u64, rate: f64) -> Duration {
    Duration::from_secs_f64(index as f64 / rate)
}

/// Latencies of one request: from its intended send time (corrected) and
/// from its actual send time (uncorrected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latencies {
    /// done − intended.
    pub corrected: Duration,
    /// done − sent.
    pub uncorrected: Duration,
}

/// Both latencies from offsets relative to the run's start.
pub fn latencies(intended: Duration, sent: Duration, done: Duration) -> Latencies {
    Latencies {
        corrected: done.saturating_sub(intended),
        uncorrected: done.saturating_sub(sent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_evenly_spaced() {
        assert_eq!(intended_offset(0, 100.0), Duration::ZERO);
        assert_eq!(intended_offset(50, 100.0), Duration::from_millis(500));
    }

    #[test]
    fn a_late_send_is_charged_to_corrected_latency_only() {
        // Due at 100 ms, sent at 300 ms (the sender was stalled), done at 310 ms.
        let l = latencies(
            Duration::from_millis(100),
            Duration::from_millis(300),
            Duration::from_millis(310),
        );
        assert_eq!(l.uncorrected, Duration::from_millis(10));
        assert_eq!(l.corrected, Duration::from_millis(210));
    }
}
