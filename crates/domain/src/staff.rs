//! Staff (工作人员): who holds which role on which node.

use serde::{Deserialize, Serialize};

use crate::case::{Actor, Role};
use crate::codes::AreaCode;

/// A member of staff with one role held on one node (and everything below it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub scope: AreaCode,
    /// The unit of a handler, a shift chief or a dispatcher.
    pub unit: Option<String>,
}

impl Staff {
    pub fn actor(&self) -> Actor {
        Actor::staff(&self.id, self.role, &self.scope, self.unit.as_deref())
    }
}
