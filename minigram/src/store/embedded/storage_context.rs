use crate::error::StoreError;

/// Attaches what the store was doing to a redb error.
pub(super) trait StorageContext<T> {
    /// Converts the error into `StoreError::Backend` naming `action`.
    fn during(self, action: &'static str) -> Result<T, StoreError>;
}

impl<T, E> StorageContext<T> for Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn during(self, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::backend(action, e))
    }
}
