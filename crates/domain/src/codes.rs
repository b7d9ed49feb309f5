//! National codes of the jurisdiction tree (行政区划代码 and 单元网格代码).
//!
//! One type, [`AreaCode`], covers every level because the codes nest by prefix: a province is
//! 2 digits, a city 4, a county-level district 6 (GB/T 2260), a street or town 9, a community or
//! village 12 (the statistical division code), a unit grid 15 (GB/T 30428: county + street +
//! community + 3-digit grid serial), and a micro-grid 18 (our convention: grid + 3-digit serial).
//! So "is this grid inside that street?" is a prefix test, and a role held on a node covers
//! exactly the codes that start with the node's code.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Refusal;

/// A level of the jurisdiction tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 省级
    Province,
    /// 地级市
    City,
    /// 县级（区）
    County,
    /// 街道/乡镇
    Street,
    /// 社区/村
    Community,
    /// 单元网格
    Grid,
    /// 微网格
    MicroGrid,
}

impl Level {
    pub const ALL: [Level; 7] =
        [Level::Province, Level::City, Level::County, Level::Street, Level::Community, Level::Grid, Level::MicroGrid];

    /// Number of digits of a code at this level.
    pub const fn digits(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::County => 6,
            Level::Street => 9,
            Level::Community => 12,
            Level::Grid => 15,
            Level::MicroGrid => 18,
        }
    }

    pub fn from_digits(n: usize) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.digits() == n)
    }

    pub fn parent(self) -> Option<Level> {
        let i = Level::ALL.iter().position(|l| *l == self)?;
        i.checked_sub(1).map(|p| Level::ALL[p])
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Level::Province => "省",
            Level::City => "市",
            Level::County => "区县",
            Level::Street => "街道乡镇",
            Level::Community => "社区村",
            Level::Grid => "网格",
            Level::MicroGrid => "微网格",
        }
    }
}

/// A code of any node of the jurisdiction tree, from province down to micro-grid.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AreaCode(String);

impl AreaCode {
    /// Parses a code; `field` names the input in the refusal.
    pub fn parse(field: &str, s: &str) -> Result<AreaCode, Refusal> {
        let s = s.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Refusal::bad_field(
                field,
                format!("“{s}”含有非数字字符，区划和网格代码只能由数字组成"),
                format!("“{s}” contains a non-digit; area and grid codes are digits only"),
            ));
        }
        let Some(level) = Level::from_digits(s.len()) else {
            return Err(Refusal::bad_field(
                field,
                format!("“{s}”有 {} 位，代码应为 2、4、6、9、12、15 或 18 位", s.len()),
                format!("“{s}” has {} digits; a code has 2, 4, 6, 9, 12, 15 or 18", s.len()),
            ));
        };
        // Every level's own segment must be non-zero: "110100" is not a district.
        let own = &s[level.parent().map_or(0, |p| p.digits())..];
        if own.bytes().all(|b| b == b'0') {
            return Err(Refusal::bad_field(
                field,
                format!("“{s}”的{}段全为零", level.name_zh()),
                format!("“{s}”: its {level:?} segment is all zeros"),
            ));
        }
        Ok(AreaCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        Level::from_digits(self.0.len()).expect("checked at parse")
    }

    pub fn parent(&self) -> Option<AreaCode> {
        self.level().parent().map(|p| AreaCode(self.0[..p.digits()].to_owned()))
    }

    /// The ancestor (or self) at the given level, if that level is at or above this one.
    pub fn at_level(&self, level: Level) -> Option<AreaCode> {
        (level.digits() <= self.0.len()).then(|| AreaCode(self.0[..level.digits()].to_owned()))
    }

    /// True when `other` is this node or lies below it.
    pub fn covers(&self, other: &AreaCode) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The child code with the given serial (3 digits below county, 2 above).
    pub fn child(&self, serial: u32) -> Result<AreaCode, Refusal> {
        let width = Level::ALL
            .iter()
            .position(|l| *l == self.level())
            .and_then(|i| Level::ALL.get(i + 1))
            .map(|l| l.digits() - self.0.len())
            .ok_or_else(|| Refusal::bad_field("serial", "微网格下没有下级", "a micro-grid has no children"))?;
        AreaCode::parse("serial", &format!("{}{:0width$}", self.0, serial, width = width))
    }
}

impl TryFrom<String> for AreaCode {
    type Error = Refusal;
    fn try_from(s: String) -> Result<Self, Refusal> {
        AreaCode::parse("code", &s)
    }
}

impl From<AreaCode> for String {
    fn from(c: AreaCode) -> String {
        c.0
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AreaCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_nest_by_prefix() {
        let grid = AreaCode::parse("grid", "110101001001003").unwrap();
        assert_eq!(grid.level(), Level::Grid);
        let street = AreaCode::parse("street", "110101001").unwrap();
        assert!(street.covers(&grid));
        assert_eq!(grid.at_level(Level::County).unwrap().as_str(), "110101");
        assert_eq!(grid.parent().unwrap().as_str(), "110101001001");
        assert!(!AreaCode::parse("x", "110102").unwrap().covers(&grid));
        assert_eq!(street.child(2).unwrap().as_str(), "110101001002");
        assert_eq!(AreaCode::parse("x", "1101").unwrap().child(5).unwrap().as_str(), "110105");
    }

    #[test]
    fn bad_codes_name_the_field() {
        let e = AreaCode::parse("grid_code", "11010100100100").unwrap_err();
        assert_eq!(e.code, "invalid_field");
        assert!(e.zh.contains("grid_code") && e.en.contains("14 digits"), "{e}");
        assert!(AreaCode::parse("grid_code", "1101a1").unwrap_err().en.contains("non-digit"));
        assert!(AreaCode::parse("district", "110100").unwrap_err().en.contains("all zeros"));
    }
}
