//! (reserved for issue 3: webhooks)

use async_trait::async_trait;

#[async_trait]
pub trait Webhooks: Send + Sync {}
