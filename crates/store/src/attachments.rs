//! (reserved for issue 3: attachments)

use async_trait::async_trait;

#[async_trait]
pub trait Attachments: Send + Sync {}
