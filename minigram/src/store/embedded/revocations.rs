use parking_lot::RwLock;
use std::collections::HashMap;

use redb::{ReadTransaction, ReadableTable as _};

use super::storage_context::StorageContext as _;
use super::tables::REVOKED_TOKENS;
use crate::error::StoreError;

/// Prune expired entries after this many insertions.
const PRUNE_EVERY: usize = 1024;

/// Every unexpired revoked token id, in memory, so that authenticating a
/// request needs no read transaction.
///
/// Invariant: holds every revocation in `revoked_tokens` whose expiry is in
/// the future. This is authoritative because the embedded store is the only
/// writer of its file (redb locks it against other processes): the set is
/// loaded at open and updated after each revocation commits.
#[derive(Debug, Default)]
pub(super) struct Revocations {
    /// token id → expiry, ms since the epoch.
    tokens: RwLock<HashMap<String, i64>>,
    inserted: std::sync::atomic::AtomicUsize,
}

impl Revocations {
    /// Loads the unexpired revocations from the database.
    pub(super) fn load(txn: &ReadTransaction, now_ms: i64) -> Result<Self, StoreError> {
        let table = txn
            .open_table(REVOKED_TOKENS)
            .during("opening revoked tokens")?;
        let mut tokens = HashMap::new();
        for entry in table.iter().during("loading revoked tokens")? {
            let (id, expires) = entry.during("loading revoked tokens")?;
            if expires.value() > now_ms {
                tokens.insert(id.value().to_owned(), expires.value());
            }
        }
        Ok(Self {
            tokens: RwLock::new(tokens),
            inserted: Default::default(),
        })
    }

    /// Records a committed revocation.
    pub(super) fn insert(&self, token_id: &str, expires_ms: i64, now_ms: i64) {
        let mut tokens = self.tokens.write();
        tokens.insert(token_id.to_owned(), expires_ms);
        let inserted = self
            .inserted
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if inserted % PRUNE_EVERY == PRUNE_EVERY - 1 {
            tokens.retain(|_, expires| *expires > now_ms);
        }
    }

    /// Whether the token is revoked.
    pub(super) fn contains(&self, token_id: &str) -> bool {
        self.tokens.read().contains_key(token_id)
    }
}
