//! How PostgreSQL and pool failures become [`StoreError`]s.

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

use crate::error::StoreError;

/// A failed statement: either no connection could be had, or the server
/// (or the connection) failed it.
#[derive(Debug)]
pub(super) enum PgFailure {
    Pool(PoolError),
    Db(tokio_postgres::Error),
    /// Another system the operation needed failed: the Redis holding the
    /// timelines (which rolls the PostgreSQL transaction back).
    #[cfg(feature = "redis")]
    Other(StoreError),
}

impl From<PoolError> for PgFailure {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Backend(e) => Self::Db(e),
            other => Self::Pool(other),
        }
    }
}

impl From<tokio_postgres::Error> for PgFailure {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Db(e)
    }
}

impl PgFailure {
    /// The violated unique constraint, if that is what failed.
    pub(super) fn unique_violation(&self) -> Option<&str> {
        self.violation(&SqlState::UNIQUE_VIOLATION)
    }

    /// The violated foreign key, if that is what failed.
    pub(super) fn foreign_key_violation(&self) -> Option<&str> {
        self.violation(&SqlState::FOREIGN_KEY_VIOLATION)
    }

    fn violation(&self, state: &SqlState) -> Option<&str> {
        match self {
            Self::Db(e) if e.code() == Some(state) => e.as_db_error().and_then(|d| d.constraint()),
            _ => None,
        }
    }

    /// The store error for a failure while doing `action`.
    pub(super) fn into_store(self, action: &'static str) -> StoreError {
        match self {
            Self::Pool(PoolError::Timeout(kind)) => StoreError::Unavailable {
                reason: format!("{action}: timed out waiting for a database connection ({kind:?})"),
            },
            Self::Pool(PoolError::Closed) => StoreError::Unavailable {
                reason: "the PostgreSQL store is closed".into(),
            },
            Self::Pool(other) => StoreError::backend(action, other),
            Self::Db(e) if is_unavailable(&e) => StoreError::Unavailable {
                reason: format!("{action}: {e}"),
            },
            Self::Db(e) => StoreError::backend(action, e),
            #[cfg(feature = "redis")]
            Self::Other(e) => e,
        }
    }
}

/// Whether the database could not be reached or refused service for now:
/// connection failures and losses, shutdowns, "starting up", too many
/// connections, cancelled (timed out) statements, and a read-only server
/// where a primary was expected (a replica, or a demoted primary).
fn is_unavailable(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        // No SQLSTATE: I/O errors, a closed connection, a failed connect.
        None => true,
        Some(code) => {
            code.code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::TOO_MANY_CONNECTIONS,
                    SqlState::QUERY_CANCELED,
                    SqlState::READ_ONLY_SQL_TRANSACTION,
                ]
                .contains(code)
        }
    }
}

/// Adds `action` to the error of a statement returning a `StoreError`.
pub(super) trait Doing<T> {
    fn doing(self, action: &'static str) -> Result<T, StoreError>;
}

impl<T, E: Into<PgFailure>> Doing<T> for Result<T, E> {
    fn doing(self, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| e.into().into_store(action))
    }
}
