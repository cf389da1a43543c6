//! GCRA in this process.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::Instant;

use super::quota::{Admitted, Quota, RetryAfter, gcra};

const SHARDS: usize = 16;

/// A keyed GCRA limiter over sharded maps; forgets keys back to a full
/// burst once a shard grows large.
#[derive(Debug)]
pub struct LocalLimiter {
    epoch: Instant,
    shards: Vec<Mutex<HashMap<String, u64>>>,
}

impl Default for LocalLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self {
            epoch: Instant::now(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Admits or refuses one request of `key` under `quota`.
    pub fn check(&self, key: &str, quota: Quota) -> Result<Admitted, RetryAfter> {
        let now = self.epoch.elapsed().as_micros() as u64 + 1;
        let index = (fxhash(key) as usize) % SHARDS;
        let mut map = self.shards[index].lock();
        if map.len() > 100_000 {
            map.retain(|_, tat| *tat > now);
        }
        let tat = map.get(key).copied().unwrap_or(0);
        let (new_tat, answer) = gcra(&quota, tat, now);
        if let Some(new_tat) = new_tat {
            map.insert(key.to_owned(), new_tat);
        }
        answer
    }
}

fn fxhash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
