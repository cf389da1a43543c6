//! Invalidation after writes: a write commits in the store first, then
//! makes stale every cached value that depends on what it changed.

use super::cached_store::CachedStore;
use super::dependency::Dependency;

impl CachedStore {
    /// Makes every value depending on `deps` stale, here and (through
    /// Redis) in every other instance. Called after the store's commit.
    pub(super) async fn invalidate(&self, deps: &[Dependency]) {
        self.table.bump(deps);
        #[cfg(feature = "redis")]
        if let Some(tier) = &self.l2 {
            tier.bump(deps).await;
        }
    }

    /// Passes a write's `result` through after invalidating `deps`, unless
    /// `refused` says the store turned the write down before changing
    /// anything (an unknown user or photo, a self-follow). Any other error
    /// invalidates too: the write may have committed before it failed.
    pub(super) async fn invalidate_unless_refused<T, E>(
        &self,
        result: Result<T, E>,
        refused: impl FnOnce(&E) -> bool,
        deps: &[Dependency],
    ) -> Result<T, E> {
        let changed = match &result {
            Ok(_) => true,
            Err(error) => !refused(error),
        };
        if changed {
            self.invalidate(deps).await;
        }
        result
    }
}
