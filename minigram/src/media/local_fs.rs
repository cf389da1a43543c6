use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::{
    DEFAULT_MAX_UPLOAD_BYTES, MediaError, MediaKey, MediaStore, StoredMedia, inspect_image,
};

/// Media on the local filesystem, one file per key in one directory.
///
/// Writes go to a temporary file in the same directory, are synced, then
/// renamed into place, so a key's file is always complete. All file I/O runs
/// on the blocking pool, never on the async runtime.
#[derive(Debug, Clone)]
pub struct LocalMediaStore {
    dir: Arc<PathBuf>,
    max_bytes: usize,
}

impl LocalMediaStore {
    /// Opens (creating if needed) a media directory with the default 10 MiB limit.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, MediaError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)
            .map_err(|e| MediaError::io("creating the media directory", e))?;
        Ok(Self {
            dir: Arc::new(dir),
            max_bytes: DEFAULT_MAX_UPLOAD_BYTES,
        })
    }

    /// Sets the largest accepted upload.
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, key: &MediaKey) -> PathBuf {
        // Safe by MediaKey's invariant: a key is a plain file name.
        self.dir.join(key.as_str())
    }

    fn write_blocking(&self, bytes: &[u8]) -> Result<StoredMedia, MediaError> {
        let stored = inspect_image(bytes, self.max_bytes)?;
        let target = self.path_of(&stored.key);
        if target.exists() {
            // Same key, same bytes: content addressing makes this a no-op.
            return Ok(stored);
        }
        let mut temp = tempfile::NamedTempFile::new_in(self.dir.as_path())
            .map_err(|e| MediaError::io("creating a temporary media file", e))?;
        temp.write_all(bytes)
            .map_err(|e| MediaError::io("writing a media file", e))?;
        temp.as_file()
            .sync_all()
            .map_err(|e| MediaError::io("syncing a media file", e))?;
        temp.persist(&target)
            .map_err(|e| MediaError::io("moving a media file into place", e.error))?;
        Ok(stored)
    }
}

#[async_trait]
impl MediaStore for LocalMediaStore {
    async fn put(&self, bytes: Vec<u8>) -> Result<StoredMedia, MediaError> {
        if bytes.len() > self.max_bytes {
            return Err(MediaError::TooLarge {
                limit: self.max_bytes,
            });
        }
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.write_blocking(&bytes))
            .await
            .map_err(|e| MediaError::io("joining the media writer", std::io::Error::other(e)))?
    }

    async fn get(&self, key: &MediaKey) -> Result<Option<Vec<u8>>, MediaError> {
        match tokio::fs::read(self.path_of(key)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(MediaError::io("reading a media file", e)),
        }
    }

    async fn contains(&self, key: &MediaKey) -> Result<bool, MediaError> {
        tokio::fs::try_exists(self.path_of(key))
            .await
            .map_err(|e| MediaError::io("checking a media file", e))
    }

    async fn delete(&self, key: &MediaKey) -> Result<(), MediaError> {
        match tokio::fs::remove_file(self.path_of(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(MediaError::io("deleting a media file", e)),
        }
    }

    fn max_bytes(&self) -> usize {
        self.max_bytes
    }
}
