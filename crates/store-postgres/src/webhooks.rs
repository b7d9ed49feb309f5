//! (reserved for issue 3: webhooks)

use async_trait::async_trait;

use crate::PostgresStore;

#[async_trait]
impl yiwang_store::webhooks::Webhooks for PostgresStore {}
