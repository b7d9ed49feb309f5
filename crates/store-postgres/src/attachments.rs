//! (reserved for issue 3: attachments)

use async_trait::async_trait;

use crate::PostgresStore;

#[async_trait]
impl yiwang_store::attachments::Attachments for PostgresStore {}
