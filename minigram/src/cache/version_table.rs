//! The in-process versions that decide whether an L1 entry is current.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use super::dependency::Dependency;

/// A version a cached value was read under: a slot and the slot's value.
pub(crate) type Stamp = (u32, u64);

/// A fixed table of version counters, indexed by a hash of the dependency.
///
/// Each bump takes the next value of one global sequence and raises the
/// dependency's slot to it. Two dependencies sharing a slot only cause extra
/// misses, never a stale hit; the table never evicts, so a version cannot be
/// forgotten and come back equal (the ABA problem of evictable version maps).
///
/// **Reads racing writes.** A filler takes [`VersionTable::start`] *before*
/// reading the store and stamps its value with [`VersionTable::stamp`]
/// afterwards: a dependency bumped after `start` (its slot is above `start`)
/// gets an impossible stamp, so the value, possibly read before the write,
/// is never served as current. A write's bump always follows its commit, so
/// a slot at or below `start` means the store read saw that write.
#[derive(Debug)]
pub(crate) struct VersionTable {
    sequence: AtomicU64,
    slots: Box<[AtomicU64]>,
    hasher: std::collections::hash_map::RandomState,
}

/// A stamp no slot ever holds.
const NEVER: u64 = u64::MAX;

impl VersionTable {
    /// A table of `2^bits` slots.
    pub(crate) fn new(bits: u32) -> Self {
        Self {
            sequence: AtomicU64::new(0),
            slots: (0..1usize << bits).map(|_| AtomicU64::new(0)).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    fn slot(&self, dep: &Dependency) -> u32 {
        // The table length is a power of two no larger than 2^32.
        (self.hasher.hash_one(dep) as usize & (self.slots.len() - 1)) as u32
    }

    /// The sequence before a fill reads the store.
    pub(crate) fn start(&self) -> u64 {
        self.sequence.load(Ordering::SeqCst)
    }

    /// Marks every value depending on `deps` stale.
    pub(crate) fn bump(&self, deps: &[Dependency]) {
        let version = self.sequence.fetch_add(1, Ordering::SeqCst) + 1;
        for dep in deps {
            self.slots[self.slot(dep) as usize].fetch_max(version, Ordering::SeqCst);
        }
    }

    /// The stamps of a value read after `start`.
    pub(crate) fn stamp(&self, deps: &[Dependency], start: u64) -> Vec<Stamp> {
        deps.iter()
            .map(|dep| {
                let slot = self.slot(dep);
                let version = self.slots[slot as usize].load(Ordering::SeqCst);
                (slot, if version > start { NEVER } else { version })
            })
            .collect()
    }

    /// Whether no dependency of a value stamped `stamps` changed since.
    pub(crate) fn is_current(&self, stamps: &[Stamp]) -> bool {
        stamps
            .iter()
            .all(|&(slot, version)| self.slots[slot as usize].load(Ordering::SeqCst) == version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PhotoId;

    #[test]
    fn a_bump_after_start_makes_the_stamp_stale() {
        let table = VersionTable::new(4);
        let dep = [Dependency::Photo(PhotoId::MIN)];
        let start = table.start();
        let fresh = table.stamp(&dep, start);
        assert!(table.is_current(&fresh));
        table.bump(&dep);
        assert!(!table.is_current(&fresh));
        // Bumped between start and stamp: never current.
        let start = table.start();
        table.bump(&dep);
        let raced = table.stamp(&dep, start);
        assert!(!table.is_current(&raced));
    }
}
