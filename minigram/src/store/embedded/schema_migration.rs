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

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use redb::Database;

    use super::*;
    use crate::domain::{Caption, Email, PhotoId, UserId, Username};
    use crate::media::{ImageType, MediaKey, StoredMedia};
    use crate::store::embedded::records::{PhotoRecord, UserRecord, encode};
    use crate::store::{EmbeddedConfig, EmbeddedStore, NewPhoto, Store};

    fn key() -> MediaKey {
        MediaKey::parse(&format!("{}.png", "ab".repeat(32))).expect("a key")
    }

    /// A file as release 1 wrote it: user 1 with photos 1 and 2, which
    /// share one media key.
    fn write_version_1_file(path: &std::path::Path) -> Result<(), StoreError> {
        let db = Database::create(path).during("creating")?;
        let txn = db.begin_write().during("writing")?;
        {
            let mut settings = txn.open_table(SETTINGS).during("settings")?;
            settings
                .insert(SCHEMA_VERSION_KEY, [1u8].as_slice())
                .during("version")?;
            let mut users = txn.open_table(USERS).during("users")?;
            let user = UserRecord {
                username: Username::parse("ada").expect("valid"),
                email: Email::parse("ada@example.com").expect("valid"),
                password_hash: "phc".into(),
                created_at_ms: 0,
            };
            users.insert(1, encode(&user)?.as_slice()).during("user")?;
            let mut photos = txn.open_table(PHOTOS).during("photos")?;
            let mut by_user = txn.open_table(PHOTOS_BY_USER).during("by user")?;
            for id in [1, 2] {
                let photo = PhotoRecord {
                    author: 1,
                    author_username: user.username.clone(),
                    caption: Caption::default(),
                    media_key: key(),
                    content_type: ImageType::Png,
                    width: 1,
                    height: 1,
                    created_at_ms: 0,
                };
                photos
                    .insert(id, encode(&photo)?.as_slice())
                    .during("photo")?;
                by_user.insert((1, id), ()).during("index")?;
            }
        }
        txn.commit().during("committing")?;
        Ok(())
    }

    #[tokio::test]
    async fn a_version_1_file_is_migrated_so_its_photos_can_be_deleted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v1.redb");
        write_version_1_file(&path).expect("writes a v1 file");
        let store = EmbeddedStore::open(&path, EmbeddedConfig::default())
            .await
            .expect("opens and migrates");
        let ada = UserId::MIN;
        let [first, second] = [1, 2].map(|id| PhotoId::new(id).expect("nonzero"));
        assert!(store.media_in_use(&key()).await.expect("reads"));
        store.delete_photo(second, ada).await.expect("deletes");
        assert!(
            store.media_in_use(&key()).await.expect("reads"),
            "photo 1 still uses the key"
        );
        store.delete_photo(first, ada).await.expect("deletes");
        assert!(!store.media_in_use(&key()).await.expect("reads"));
        let next = store
            .create_photo(NewPhoto {
                author: ada,
                caption: Caption::default(),
                media: StoredMedia {
                    key: key(),
                    content_type: ImageType::Png,
                    width: 1,
                    height: 1,
                },
                created_at: Utc::now(),
            })
            .await
            .expect("posts");
        assert_eq!(next.id.get(), 3, "the counter started at the largest v1 id");
        store.close().await.expect("closes");
        // Reopening finds version 2 and migrates nothing again.
        let store = EmbeddedStore::open(&path, EmbeddedConfig::default())
            .await
            .expect("reopens");
        assert!(store.media_in_use(&key()).await.expect("reads"));
        store.close().await.expect("closes");
    }
}
