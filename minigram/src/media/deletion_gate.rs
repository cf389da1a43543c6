use std::sync::Arc;

use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

/// Orders media-file deletion against posts that may reuse the same bytes.
///
/// Media are content-addressed, so a new photo with the same bytes as a
/// deleted one shares its file. Without ordering, a post could find the
/// file present (`put` skips the write), a concurrent delete could then
/// see no photo referencing it and remove it, and the post would record a
/// photo whose file is gone. The rule that prevents it:
///
/// - a post holds a [`post`](Self::post) guard from `put` until its photo
///   is recorded (posts share the gate and never wait for each other);
/// - a deletion holds the [`delete`](Self::delete) guard while it checks
///   `Store::media_in_use` and removes the file.
///
/// So a post either recorded its photo before the check (which then keeps
/// the file) or starts its `put` after the removal (which writes the file
/// again). The gate is in-process: processes that share one media
/// directory are not ordered against each other.
#[derive(Debug, Clone, Default)]
pub(crate) struct MediaDeletionGate {
    lock: Arc<RwLock<()>>,
}

impl MediaDeletionGate {
    /// Held by a post from storing its bytes until its photo is recorded.
    pub(crate) async fn post(&self) -> OwnedRwLockReadGuard<()> {
        Arc::clone(&self.lock).read_owned().await
    }

    /// Held by a deletion while it decides and removes a file. tokio's
    /// lock is fair, so a steady stream of posts cannot starve it.
    pub(crate) async fn delete(&self) -> OwnedRwLockWriteGuard<()> {
        Arc::clone(&self.lock).write_owned().await
    }
}
