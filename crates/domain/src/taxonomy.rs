//! The taxonomy (分类标准): events (事件) and components (部件), class → subclass, each subclass
//! with its default time limit, the kind of unit responsible and its urgency.
//!
//! The default ships as `data/taxonomy.toml` (from TAXONOMY.md); a deployment replaces it with its
//! own file. Request types and urgency are orthogonal to the subclass.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Refusal;

/// A time limit as the taxonomy writes it: `2h` working hours or `5d` working days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum TimeLimit {
    Hours(u32),
    Days(u32),
}

impl FromStr for TimeLimit {
    type Err = Refusal;
    fn from_str(s: &str) -> Result<Self, Refusal> {
        let bad = || {
            Refusal::bad_field(
                "time_limit",
                format!("“{s}”应写作工作小时数加 h 或工作日数加 d，如 2h、5d"),
                format!("“{s}” must be working hours with h or working days with d, e.g. 2h, 5d"),
            )
        };
        let (n, unit) = s.trim().split_at(s.trim().len().saturating_sub(1));
        let n: u32 = n.parse().map_err(|_| bad())?;
        match unit {
            "h" if n > 0 => Ok(TimeLimit::Hours(n)),
            "d" if n > 0 => Ok(TimeLimit::Days(n)),
            _ => Err(bad()),
        }
    }
}

impl TryFrom<String> for TimeLimit {
    type Error = Refusal;
    fn try_from(s: String) -> Result<Self, Refusal> {
        s.parse()
    }
}

impl From<TimeLimit> for String {
    fn from(t: TimeLimit) -> String {
        t.to_string()
    }
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeLimit::Hours(h) => write!(f, "{h}h"),
            TimeLimit::Days(d) => write!(f, "{d}d"),
        }
    }
}
