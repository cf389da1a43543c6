//! Upgrading a database file written by an earlier release, inside the
//! transaction that opens it, so a file is either fully at the new
//! version or untouched.

use redb::{ReadableTable as _, WriteTransaction};

use super::read_ops::photo_record;
use super::storage_context::StorageContext as _;
use super::tables::*;
use crate::error::StoreError;

/// Brings a file at schema `from` up to [`SCHEMA_VERSION`] and records the
/// new version. Refuses versions it does not know (a newer release's file).
pub(super) fn migrate(txn: &WriteTransaction, from: u8) -> Result<(), StoreError> {
    match from {
        SCHEMA_VERSION => return Ok(()),
        1 => index_media_and_count_ids(txn)?,
        other => {
            return Err(StoreError::Corrupt {
                what: format!(
                    "schema version {other} is not known to this release (it reads {SCHEMA_VERSION})"
                ),
            });
        }
    }
    let mut settings = txn.open_table(SETTINGS).during("opening settings")?;
    settings
        .insert(SCHEMA_VERSION_KEY, [SCHEMA_VERSION].as_slice())
        .during("recording the schema version")?;
    tracing::info!(
        from,
        to = SCHEMA_VERSION,
        "migrated the embedded store's schema"
    );
    Ok(())
}

/// 1 → 2: fills `MEDIA_REFS` from every photo, and starts the photo id
/// counter at the largest id (version 1 never deleted a photo, so the
/// largest key is the last id assigned).
fn index_media_and_count_ids(txn: &WriteTransaction) -> Result<(), StoreError> {
    let photos = txn.open_table(PHOTOS).during("opening photos")?;
    let mut refs = txn.open_table(MEDIA_REFS).during("opening media refs")?;
    let mut last_id = 0;
    for entry in photos.iter().during("scanning photos")? {
        let (id, _) = entry.during("scanning photos")?;
        let id = id.value();
        last_id = last_id.max(id);
        let Some(record) = photo_record(&photos, id)? else {
            continue;
        };
        let key = record.media_key.as_str();
        let count = refs
            .get(key)
            .during("reading a media ref")?
            .map_or(0, |c| c.value());
        refs.insert(key, count + 1).during("counting a media ref")?;
    }
    let mut counters = txn.open_table(ID_COUNTERS).during("opening id counters")?;
    counters
        .insert(PHOTO_ID_COUNTER, last_id)
        .during("starting the photo id counter")?;
    Ok(())
}
