//! (placeholder until the pg branch lands)
use yiwang_store::{Result, StoreError};
pub struct PostgresStore;
impl PostgresStore {
    pub async fn connect(_url: &str) -> Result<std::sync::Arc<dyn yiwang_store::Store>> {
        Err(StoreError::Backend("not yet".into()))
    }
}
