//! Running several statements as one transaction, retried when PostgreSQL
//! aborts it for a deadlock or a serialization failure.
//!
//! The timeline operations lock rows in a fixed order (see
//! `migrations/V3__timelines.sql`), but a few pairs (a rebuild and a
//! delete of a photo in the old timeline) can still meet in opposite
//! orders; PostgreSQL then aborts one of them, which changed nothing, so
//! running it again is safe.

use std::future::Future;
use std::pin::Pin;

use deadpool_postgres::Transaction;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use super::PostgresStore;
use super::pg_failure::PgFailure;

/// What a transaction body returns.
pub(super) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Attempts before a deadlocked transaction's error is returned.
const ATTEMPTS: u32 = 5;

/// The statements of one transaction (prepared once per connection).
pub(super) struct Tx<'t> {
    txn: &'t Transaction<'t>,
}

impl Tx<'_> {
    pub(super) async fn query(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, PgFailure> {
        let prepared = self.txn.prepare_cached(statement).await?;
        Ok(self.txn.query(&prepared, params).await?)
    }

    pub(super) async fn query_opt(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, PgFailure> {
        let prepared = self.txn.prepare_cached(statement).await?;
        Ok(self.txn.query_opt(&prepared, params).await?)
    }

    pub(super) async fn query_one(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, PgFailure> {
        let prepared = self.txn.prepare_cached(statement).await?;
        Ok(self.txn.query_one(&prepared, params).await?)
    }

    pub(super) async fn execute(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, PgFailure> {
        let prepared = self.txn.prepare_cached(statement).await?;
        Ok(self.txn.execute(&prepared, params).await?)
    }
}

impl PostgresStore {
    /// Runs `body` in a READ COMMITTED transaction and commits it, running
    /// it again (up to [`ATTEMPTS`] times) when PostgreSQL aborts it for a
    /// deadlock or a serialization failure. An `Err` from `body` rolls the
    /// transaction back; so does an `Ok` that `body` wants undone: return
    /// `Ok` only for what may be committed.
    pub(super) async fn in_transaction<T, F>(&self, body: F) -> Result<T, PgFailure>
    where
        F: for<'t> Fn(Tx<'t>) -> BoxFuture<'t, Result<T, PgFailure>>,
    {
        let mut attempt = 1;
        loop {
            let mut client = self.client().await?;
            let txn = client.transaction().await?;
            let result = match body(Tx { txn: &txn }).await {
                Ok(value) => txn.commit().await.map(|()| value).map_err(PgFailure::from),
                Err(e) => {
                    // Dropping the transaction rolls it back.
                    drop(txn);
                    Err(e)
                }
            };
            match result {
                Err(e) if attempt < ATTEMPTS && e.is_transient_conflict() => {
                    tracing::debug!(attempt, error = ?e, "a transaction met a lock conflict; running it again");
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

impl PgFailure {
    /// A deadlock or serialization failure: the transaction was aborted
    /// whole and may simply run again. So may one that inserted a photo
    /// into a timeline while a concurrent delete removed the photo (a
    /// rebuild reading it just before): run again, it no longer sees it.
    fn is_transient_conflict(&self) -> bool {
        match self {
            Self::Db(e) => {
                e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED)
                    || e.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
                    || self.foreign_key_violation() == Some("timelines_photo_id_fkey")
            }
            Self::Pool(_) => false,
            #[cfg(feature = "redis")]
            Self::Other(_) => false,
        }
    }
}
