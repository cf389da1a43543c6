use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds of history kept (a power of two, larger than the window read).
const SLOTS: usize = 64;
/// Seconds averaged by [`RecentRate::per_second`].
pub(crate) const WINDOW_SECS: u64 = 10;

/// Events per second over the last few whole seconds: a ring of per-second
/// counters, lock-free. Concurrent resets of a slot may lose a few events at
/// second boundaries, which is fine for a rate estimate.
#[derive(Debug)]
pub(crate) struct RecentRate {
    stamps: [AtomicU64; SLOTS],
    counts: [AtomicU64; SLOTS],
}

impl Default for RecentRate {
    fn default() -> Self {
        Self {
            stamps: std::array::from_fn(|_| AtomicU64::new(0)),
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// Whole seconds since the Unix epoch: the clock the slots are keyed by.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl RecentRate {
    /// Counts one event now.
    pub(crate) fn tick(&self) {
        self.add(1);
    }

    /// Counts `amount` now: events, or a quantity summed over them (the
    /// microseconds requests took, say), whose window total divided by an
    /// event count read at the same `now` is a recent mean.
    pub(crate) fn add(&self, amount: u64) {
        let now = now_secs();
        let slot = (now % SLOTS as u64) as usize;
        if self.stamps[slot].swap(now, Ordering::Relaxed) != now {
            self.counts[slot].store(0, Ordering::Relaxed);
        }
        self.counts[slot].fetch_add(amount, Ordering::Relaxed);
    }

    /// Mean events per second over the last [`WINDOW_SECS`] whole seconds
    /// (the current, partial second excluded).
    pub(crate) fn per_second(&self) -> f64 {
        self.window_total(now_secs()) as f64 / WINDOW_SECS as f64
    }

    /// The sum over the [`WINDOW_SECS`] whole seconds before `now` (a
    /// [`now_secs`] reading; the second `now` itself is excluded).
    pub(crate) fn window_total(&self, now: u64) -> u64 {
        (1..=WINDOW_SECS)
            .map(|back| now.saturating_sub(back))
            .map(|sec| {
                let slot = (sec % SLOTS as u64) as usize;
                if self.stamps[slot].load(Ordering::Relaxed) == sec {
                    self.counts[slot].load(Ordering::Relaxed)
                } else {
                    0
                }
            })
            .sum()
    }
}
