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

/// Events (事件) and components (部件) share the shape but not the code space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Event,
    Component,
}

/// A subclass key such as `E0101` (event 私搭乱建) or `C0101` (component 上水井盖).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SubclassId {
    pub kind: Kind,
    pub code: u16,
}

impl SubclassId {
    pub fn parse(field: &str, s: &str) -> Result<SubclassId, Refusal> {
        let bad = || {
            Refusal::bad_field(
                field,
                format!("“{s}”应为 E 或 C 加 4 位分类代码，如 E0101（事件）、C0101（部件）"),
                format!("“{s}” must be E or C and a 4-digit code, e.g. E0101 (event), C0101 (component)"),
            )
        };
        let kind = match s.as_bytes().first() {
            Some(b'E' | b'e') => Kind::Event,
            Some(b'C' | b'c') => Kind::Component,
            _ => return Err(bad()),
        };
        let digits = &s[1..];
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        Ok(SubclassId { kind, code: digits.parse().map_err(|_| bad())? })
    }

    /// The 2-digit class code, e.g. 1 for `E0101`.
    pub fn class_code(self) -> u16 {
        self.code / 100
    }
}

impl fmt::Display for SubclassId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = match self.kind {
            Kind::Event => 'E',
            Kind::Component => 'C',
        };
        write!(f, "{k}{:04}", self.code)
    }
}

impl fmt::Debug for SubclassId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TryFrom<String> for SubclassId {
    type Error = Refusal;
    fn try_from(s: String) -> Result<Self, Refusal> {
        SubclassId::parse("subclass", &s)
    }
}

impl From<SubclassId> for String {
    fn from(s: SubclassId) -> String {
        s.to_string()
    }
}

/// 紧急 / 一般 / 缓办.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// 紧急: the subclass's limit or 2 working hours, whichever is shorter.
    Urgent,
    /// 一般
    #[default]
    Normal,
    /// 缓办: e.g. seasonal work; the subclass's limit applies but the case may be parked.
    Deferred,
}

impl Urgency {
    fn from_zh(s: &str) -> Option<Urgency> {
        match s {
            "紧急" | "urgent" => Some(Urgency::Urgent),
            "一般" | "normal" => Some(Urgency::Normal),
            "缓办" | "deferred" => Some(Urgency::Deferred),
            _ => None,
        }
    }

    /// The limit that applies to a case of this urgency whose subclass allows `limit`.
    pub fn limit(self, limit: TimeLimit, minutes_of: impl Fn(TimeLimit) -> i64) -> TimeLimit {
        match self {
            Urgency::Urgent if minutes_of(limit) > 120 => TimeLimit::Hours(2),
            _ => limit,
        }
    }
}

/// 诉求类型, orthogonal to the subclass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    /// 咨询
    Enquiry,
    /// 求助
    Help,
    /// 投诉
    #[default]
    Complaint,
    /// 举报
    Report,
    /// 建议
    Suggestion,
    /// 表扬
    Praise,
}

/// A class (大类) of events or components.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Class {
    pub kind: Kind,
    pub code: u16,
    pub name: String,
    pub en: String,
}

/// A subclass (小类): what a case is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subclass {
    pub id: SubclassId,
    pub name: String,
    pub en: String,
    pub time_limit: TimeLimit,
    /// The kind of unit responsible, bound to real units by the responsibility list.
    pub unit_kind: String,
    pub urgency: Urgency,
    pub synonyms: Vec<String>,
}

/// A kind of responsible unit (城管执法, 环卫, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitKind {
    pub name: String,
    pub en: String,
}

/// The whole taxonomy of a deployment.
#[derive(Clone, Debug, Default)]
pub struct Taxonomy {
    pub classes: Vec<Class>,
    pub subclasses: Vec<Subclass>,
    pub unit_kinds: Vec<UnitKind>,
    by_id: HashMap<SubclassId, usize>,
}

/// The default taxonomy file, shipped inside the binary.
pub const DEFAULT_TAXONOMY: &str = include_str!("../../../data/taxonomy.toml");

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    class: Vec<RawClass>,
    #[serde(default)]
    subclass: Vec<RawSubclass>,
    #[serde(default)]
    unit_kind: Vec<UnitKind>,
}

#[derive(Deserialize)]
struct RawClass {
    kind: Kind,
    code: String,
    name: String,
    en: String,
}

#[derive(Deserialize)]
struct RawSubclass {
    kind: Kind,
    code: String,
    name: String,
    en: String,
    time_limit: String,
    unit_kind: String,
    urgency: String,
    #[serde(default)]
    synonyms: Vec<String>,
}

impl Taxonomy {
    /// The shipped default (TAXONOMY.md).
    pub fn china_default() -> Taxonomy {
        Taxonomy::from_toml(DEFAULT_TAXONOMY).expect("the shipped taxonomy is valid")
    }

    /// Parses a deployment's taxonomy file and checks that it hangs together.
    pub fn from_toml(s: &str) -> Result<Taxonomy, Refusal> {
        let file: File = toml::from_str(s).map_err(|e| {
            Refusal::new(
                "invalid_taxonomy",
                format!("分类文件无法解析：{e}"),
                format!("taxonomy file does not parse: {e}"),
            )
        })?;
        let mut t = Taxonomy { unit_kinds: file.unit_kind, ..Default::default() };
        for c in file.class {
            let code = c.code.parse::<u16>().ok().filter(|n| c.code.len() == 2 && *n > 0).ok_or_else(|| {
                Refusal::bad_field(
                    "class.code",
                    format!("“{}”应为 2 位数字", c.code),
                    format!("“{}” must be 2 digits", c.code),
                )
            })?;
            t.classes.push(Class { kind: c.kind, code, name: c.name, en: c.en });
        }
        for s in file.subclass {
            let prefix = match s.kind {
                Kind::Event => "E",
                Kind::Component => "C",
            };
            let id = SubclassId::parse("subclass.code", &format!("{prefix}{}", s.code))?;
            if !t.classes.iter().any(|c| c.kind == id.kind && c.code == id.class_code()) {
                return Err(Refusal::bad_field(
                    "subclass.code",
                    format!("{id} 所属的大类未定义"),
                    format!("{id} belongs to no defined class"),
                ));
            }
            if !t.unit_kinds.iter().any(|k| k.name == s.unit_kind) {
                return Err(Refusal::bad_field(
                    "subclass.unit_kind",
                    format!("{id} 的责任单位类型“{}”未定义", s.unit_kind),
                    format!("{id}: unit kind “{}” is not defined", s.unit_kind),
                ));
            }
            let urgency = Urgency::from_zh(&s.urgency).ok_or_else(|| {
                Refusal::bad_field(
                    "subclass.urgency",
                    format!("{id}：“{}”应为 紧急、一般 或 缓办", s.urgency),
                    format!("{id}: “{}” must be 紧急, 一般 or 缓办", s.urgency),
                )
            })?;
            if t.by_id.insert(id, t.subclasses.len()).is_some() {
                return Err(Refusal::bad_field("subclass.code", format!("{id} 重复"), format!("{id} appears twice")));
            }
            t.subclasses.push(Subclass {
                id,
                name: s.name,
                en: s.en,
                time_limit: s.time_limit.parse()?,
                unit_kind: s.unit_kind,
                urgency,
                synonyms: s.synonyms,
            });
        }
        Ok(t)
    }

    pub fn subclass(&self, id: SubclassId) -> Option<&Subclass> {
        self.by_id.get(&id).map(|&i| &self.subclasses[i])
    }

    /// The subclass, or a refusal naming the field and the unknown code.
    pub fn require(&self, field: &str, id: SubclassId) -> Result<&Subclass, Refusal> {
        self.subclass(id).ok_or_else(|| {
            Refusal::bad_field(
                field,
                format!("分类 {id} 不在本地分类标准中"),
                format!("subclass {id} is not in this deployment's taxonomy"),
            )
        })
    }

    pub fn class_of(&self, id: SubclassId) -> Option<&Class> {
        self.classes.iter().find(|c| c.kind == id.kind && c.code == id.class_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_default_matches_taxonomy_md() {
        let t = Taxonomy::china_default();
        assert_eq!(t.subclasses.iter().filter(|s| s.id.kind == Kind::Event).count(), 55);
        assert_eq!(t.subclasses.iter().filter(|s| s.id.kind == Kind::Component).count(), 20);
        let s = t.subclass(SubclassId::parse("s", "E0401").unwrap()).unwrap();
        assert_eq!((s.name.as_str(), s.time_limit, s.unit_kind.as_str()), ("管道破裂", TimeLimit::Hours(2), "水务"));
        assert_eq!(s.urgency, Urgency::Urgent);
        let c = t.subclass(SubclassId::parse("s", "C0101").unwrap()).unwrap();
        assert_eq!(c.name, "上水井盖");
        assert_eq!(t.class_of(c.id).unwrap().name, "公用设施");
    }

    #[test]
    fn codes_and_limits_parse_strictly() {
        assert_eq!("2h".parse::<TimeLimit>().unwrap(), TimeLimit::Hours(2));
        assert_eq!("15d".parse::<TimeLimit>().unwrap(), TimeLimit::Days(15));
        for bad in ["", "0d", "2", "d", "2w", "-1h"] {
            assert!(bad.parse::<TimeLimit>().is_err(), "{bad}");
        }
        assert_eq!(SubclassId::parse("s", "E0705").unwrap().to_string(), "E0705");
        let e = SubclassId::parse("subclass", "X0101").unwrap_err();
        assert!(e.en.contains("subclass") && e.zh.contains("subclass"));
        assert!(SubclassId::parse("s", "E101").is_err());
    }

    #[test]
    fn urgent_shortens_to_two_hours() {
        let minutes = |l: TimeLimit| match l {
            TimeLimit::Hours(h) => h as i64 * 60,
            TimeLimit::Days(d) => d as i64 * 420,
        };
        assert_eq!(Urgency::Urgent.limit(TimeLimit::Days(5), minutes), TimeLimit::Hours(2));
        assert_eq!(Urgency::Urgent.limit(TimeLimit::Hours(1), minutes), TimeLimit::Hours(1));
        assert_eq!(Urgency::Normal.limit(TimeLimit::Days(5), minutes), TimeLimit::Days(5));
    }
}
