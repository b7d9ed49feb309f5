//! Units (责任单位) and the responsibility list (权责清单).
//!
//! Who must act on a case is decided in three steps, most specific first:
//! 1. a listed duty for the case's subclass whose area covers the grid (the deepest area wins),
//!    with a lead unit and, for joint cases (一体事联办), assisting units;
//! 2. otherwise the unit of the subclass's unit kind that serves the grid (the deepest wins);
//! 3. otherwise locality fallback (属地兜底): the street office of the grid's street owns it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::Refusal;
use crate::codes::{AreaCode, Level};
use crate::taxonomy::{SubclassId, Taxonomy};

/// The unit kind of street offices, which own whatever has no listed unit.
pub const STREET_OFFICE: &str = "街道办事处";
/// The unit kind of community committees.
pub const COMMUNITY_COMMITTEE: &str = "社区居委会";

/// A responsible unit: a department, a utility, a street office, a community committee.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    pub id: String,
    pub name: String,
    /// A unit kind of the taxonomy, or 街道办事处 / 社区居委会.
    pub kind: String,
    /// The node it serves: everything below it is its territory.
    pub area: AreaCode,
}

/// One line of the responsibility list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Duty {
    pub subclass: SubclassId,
    pub area: AreaCode,
    pub lead: String,
    #[serde(default)]
    pub assisting: Vec<String>,
}

/// Why a unit was chosen: shown to the dispatcher beside the suggestion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// 权责清单 lists it.
    Listed,
    /// The taxonomy's unit kind, served by this unit here.
    UnitKind,
    /// 属地兜底: nobody is listed, the street office owns it.
    Locality,
}

/// The units that must act on a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub lead: String,
    pub assisting: Vec<String>,
    pub basis: Basis,
}

/// The units of a deployment and its responsibility list.
#[derive(Clone, Debug, Default)]
pub struct ResponsibilityList {
    units: Vec<Unit>,
    duties: Vec<Duty>,
    /// Positions in `units` by id, and by kind and then area (the first unit listed wins), so
    /// that a city's thousands of units cost a few hash lookups per case, not a walk.
    by_id: HashMap<String, usize>,
    by_kind: HashMap<String, HashMap<String, usize>>,
}

impl ResponsibilityList {
    /// Checks that every duty names known units.
    pub fn new(units: Vec<Unit>, duties: Vec<Duty>) -> Result<ResponsibilityList, Refusal> {
        let mut by_id = HashMap::new();
        let mut by_kind: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            by_id.entry(u.id.clone()).or_insert(i);
            by_kind.entry(u.kind.clone()).or_default().entry(u.area.as_str().to_owned()).or_insert(i);
        }
        let list = ResponsibilityList { units, duties, by_id, by_kind };
        for d in &list.duties {
            for id in std::iter::once(&d.lead).chain(&d.assisting) {
                list.require_unit("unit", id)?;
            }
        }
        Ok(list)
    }

    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    pub fn duties(&self) -> &[Duty] {
        &self.duties
    }

    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.by_id.get(id).map(|&i| &self.units[i])
    }

    pub fn require_unit(&self, field: &str, id: &str) -> Result<&Unit, Refusal> {
        self.unit(id)
            .ok_or_else(|| Refusal::bad_field(field, format!("单位 {id} 不存在"), format!("unit {id} does not exist")))
    }

    /// Who must act on a case of `subclass` in `grid`.
    pub fn assign(&self, taxonomy: &Taxonomy, subclass: SubclassId, grid: &AreaCode) -> Result<Assignment, Refusal> {
        let deepest_duty = self
            .duties
            .iter()
            .filter(|d| d.subclass == subclass && d.area.covers(grid))
            .max_by_key(|d| d.area.as_str().len());
        if let Some(d) = deepest_duty {
            return Ok(Assignment { lead: d.lead.clone(), assisting: d.assisting.clone(), basis: Basis::Listed });
        }
        let kind = &taxonomy.require("subclass", subclass)?.unit_kind;
        if let Some(u) = self.deepest_of_kind(kind, grid) {
            return Ok(Assignment { lead: u.id.clone(), assisting: vec![], basis: Basis::UnitKind });
        }
        let street = grid.at_level(Level::Street);
        street
            .and_then(|s| self.of_kind_at(STREET_OFFICE, s.as_str()))
            .map(|u| Assignment { lead: u.id.clone(), assisting: vec![], basis: Basis::Locality })
            .ok_or_else(|| {
                Refusal::new(
                    "no_responsible_unit",
                    format!("网格 {grid} 没有负责 {subclass} 的单位，也没有可兜底的街道办事处"),
                    format!("no unit is responsible for {subclass} in grid {grid}, and no street office can take it"),
                )
            })
    }

    /// The unit of `kind` serving the deepest node on the grid's path up to the province.
    fn deepest_of_kind(&self, kind: &str, grid: &AreaCode) -> Option<&Unit> {
        let code = grid.as_str();
        Level::ALL
            .iter()
            .rev()
            .filter(|l| l.digits() <= code.len())
            .find_map(|l| self.of_kind_at(kind, &code[..l.digits()]))
    }

    fn of_kind_at(&self, kind: &str, area: &str) -> Option<&Unit> {
        self.by_kind.get(kind)?.get(area).map(|&i| &self.units[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AreaCode {
        AreaCode::parse("t", s).unwrap()
    }
    fn unit(id: &str, kind: &str, area: &str) -> Unit {
        Unit { id: id.into(), name: id.into(), kind: kind.into(), area: code(area) }
    }
    fn sub(s: &str) -> SubclassId {
        SubclassId::parse("t", s).unwrap()
    }

    #[test]
    fn listed_then_kind_then_locality() {
        let t = Taxonomy::china_default();
        let units = vec![
            unit("cgzf", "城管执法", "110101"),
            unit("cgzf-dhm", "城管执法", "110101001"),
            unit("jd-dhm", STREET_OFFICE, "110101001"),
            unit("jd-jsh", STREET_OFFICE, "110101002"),
            unit("hw", "环卫", "110101"),
        ];
        let duties = vec![Duty {
            subclass: sub("E0102"),
            area: code("110101002"),
            lead: "jd-jsh".into(),
            assisting: vec!["hw".into()],
        }];
        let list = ResponsibilityList::new(units, duties).unwrap();
        let g1 = code("110101001001001");
        let g2 = code("110101002003001");
        // Deepest unit of the kind wins.
        assert_eq!(list.assign(&t, sub("E0101"), &g1).unwrap().lead, "cgzf-dhm");
        assert_eq!(list.assign(&t, sub("E0101"), &g2).unwrap().lead, "cgzf");
        // A listed joint duty beats the unit kind.
        let a = list.assign(&t, sub("E0102"), &g2).unwrap();
        assert_eq!(
            (a.lead.as_str(), a.assisting.as_slice(), a.basis),
            ("jd-jsh", &["hw".to_string()][..], Basis::Listed)
        );
        assert_eq!(list.assign(&t, sub("E0102"), &g1).unwrap().basis, Basis::UnitKind);
        // Nobody of kind 水务: the street office takes it.
        let a = list.assign(&t, sub("E0105"), &g1).unwrap();
        assert_eq!((a.lead.as_str(), a.basis), ("jd-dhm", Basis::Locality));
        assert_eq!(list.assign(&t, sub("E0105"), &code("110101003001001")).unwrap_err().code, "no_responsible_unit");
    }

    #[test]
    fn duties_must_name_known_units() {
        let e = ResponsibilityList::new(
            vec![],
            vec![Duty { subclass: sub("E0101"), area: code("110101"), lead: "ghost".into(), assisting: vec![] }],
        )
        .unwrap_err();
        assert!(e.en.contains("ghost"));
    }
}
