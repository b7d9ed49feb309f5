//! (reserved for issue 3: accounts)

use async_trait::async_trait;

use crate::PostgresStore;

#[async_trait]
impl yiwang_store::accounts::Accounts for PostgresStore {}
