//! The schema, applied with refinery from `migrations/*.sql` (embedded in
//! the binary) when a store connects to a primary.

use crate::error::StoreError;

refinery::embed_migrations!("src/store/postgres/migrations");

/// Any fixed number: the advisory lock that serialises instances migrating
/// the same database at the same time.
const MIGRATION_LOCK: i64 = 0x6d69_6e69_6772_616d; // "minigram"

/// Applies the migrations not applied yet, one instance at a time.
pub(super) async fn apply(client: &mut tokio_postgres::Client) -> Result<(), StoreError> {
    let unavailable = |e: tokio_postgres::Error| StoreError::Unavailable {
        reason: format!("taking the migration lock: {e}"),
    };
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(unavailable)?;
    let report = migrations::runner().run_async(client).await;
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    let report = report.map_err(|e| StoreError::backend("applying the schema migrations", e))?;
    unlock.map_err(unavailable)?;
    for migration in report.applied_migrations() {
        tracing::info!(migration = %migration, "applied a schema migration");
    }
    Ok(())
}
