//! (reserved for issue 3: accounts)

use async_trait::async_trait;

#[async_trait]
pub trait Accounts: Send + Sync {}
