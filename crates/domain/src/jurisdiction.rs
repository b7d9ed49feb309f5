//! The jurisdiction tree (行政区划树) and its grids (网格).
//!
//! Areas from province down to community carry national codes and names. Under communities lie
//! the unit grids (单元网格): comprehensive grids (综合网格) that tile the community, dedicated
//! grids (专属网格) for one institution, and micro-grids (微网格) that split a grid further. Each
//! grid is a polygon and has its grid members (网格员).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Refusal;
use crate::codes::{AreaCode, Level};
use crate::geo::{Point, Polygon};

/// A node of the administrative tree above the grids.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Area {
    pub code: AreaCode,
    pub name: String,
}

/// 综合网格 / 专属网格 / 微网格.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridKind {
    /// 综合网格: 300–500 households, tiling the community.
    #[default]
    Comprehensive,
    /// 专属网格: one institution (school, hospital, park, agency, industrial park).
    Dedicated,
    /// 微网格: part of a grid (a building, a courtyard).
    Micro,
}

/// A unit grid or micro-grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub code: AreaCode,
    pub name: String,
    pub kind: GridKind,
    pub polygon: Polygon,
    /// Staff ids of the grid members (网格员) who patrol it.
    pub members: Vec<String>,
}

/// A landmark (地标) of a community: a named point residents know (the committee's office, a
/// housing estate's gate, a market, a bus stop), so that a place can be chosen from a list
/// without a map. Reference data (基础数据), like the grids it lies in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Landmark {
    /// The 12-digit community it belongs to.
    pub community: AreaCode,
    pub name: String,
    pub location: Point,
    #[serde(default)]
    pub address: Option<String>,
}

/// Longest landmark name and address accepted.
pub const MAX_LANDMARK_NAME: usize = 60;
pub const MAX_LANDMARK_ADDRESS: usize = 200;

/// The tree of areas and grids of one deployment.
#[derive(Clone, Debug, Default)]
pub struct Jurisdiction {
    areas: BTreeMap<AreaCode, Area>,
    grids: BTreeMap<AreaCode, Grid>,
}

impl Jurisdiction {
    /// Builds the tree, refusing a node whose parent is missing (except the root level given)
    /// or a grid that is not under a community.
    pub fn new(areas: Vec<Area>, grids: Vec<Grid>) -> Result<Jurisdiction, Refusal> {
        let mut j = Jurisdiction::default();
        let mut areas = areas;
        areas.sort_by(|a, b| a.code.cmp(&b.code));
        for a in areas {
            if a.code.level() >= Level::Grid {
                return Err(Refusal::bad_field(
                    "area.code",
                    format!("{} 是网格代码，应作为网格导入", a.code),
                    format!("{} is a grid code; import it as a grid", a.code),
                ));
            }
            // The first (topmost) area may hang under nothing: a deployment can start at any level.
            if let Some(p) = a.code.parent()
                && !j.areas.contains_key(&p)
                && !j.areas.is_empty()
            {
                return Err(orphan(&a.code, &p));
            }
            j.areas.insert(a.code.clone(), a);
        }
        for g in grids {
            let parent = g.code.parent().expect("grids have parents");
            let ok = match g.code.level() {
                Level::Grid => j.areas.contains_key(&parent),
                Level::MicroGrid => j.grids.contains_key(&parent),
                _ => false,
            };
            if !ok {
                return Err(orphan(&g.code, &parent));
            }
            j.grids.insert(g.code.clone(), g);
        }
        Ok(j)
    }

    pub fn area(&self, code: &AreaCode) -> Option<&Area> {
        self.areas.get(code)
    }

    pub fn grid(&self, code: &AreaCode) -> Option<&Grid> {
        self.grids.get(code)
    }

    pub fn areas(&self) -> impl Iterator<Item = &Area> {
        self.areas.values()
    }

    pub fn grids(&self) -> impl Iterator<Item = &Grid> {
        self.grids.values()
    }

    /// The unit grids (not micro-grids) that tile the territory, for point location.
    pub fn unit_grids(&self) -> impl Iterator<Item = &Grid> {
        self.grids.values().filter(|g| g.code.level() == Level::Grid)
    }

    /// Names from the top of the tree down to `code`, e.g. 北京市 / 东城区 / 东华门街道 / ….
    pub fn path_names(&self, code: &AreaCode) -> Vec<&str> {
        Level::ALL
            .iter()
            .filter_map(|l| code.at_level(*l))
            .filter_map(|c| {
                self.areas.get(&c).map(|a| a.name.as_str()).or_else(|| self.grids.get(&c).map(|g| g.name.as_str()))
            })
            .collect()
    }

    /// Checks landmarks against the tree: each names a community of the tree, has a name (unique
    /// within its community) and lies inside one of that community's unit grids.
    pub fn check_landmarks(&self, landmarks: &[Landmark]) -> Result<(), Refusal> {
        let mut seen = std::collections::HashSet::new();
        for l in landmarks {
            let what = format!("{} {}", l.community, l.name);
            if l.community.level() != Level::Community || !self.areas.contains_key(&l.community) {
                return Err(Refusal::bad_field(
                    "landmarks.community",
                    format!("地标“{what}”：社区 {} 不存在", l.community),
                    format!("landmark “{what}”: there is no community {}", l.community),
                ));
            }
            let name = l.name.trim();
            if name.is_empty() || name.chars().count() > MAX_LANDMARK_NAME {
                return Err(Refusal::bad_field(
                    "landmarks.name",
                    format!("地标“{what}”：名称应为 1 到 {MAX_LANDMARK_NAME} 个字符"),
                    format!("landmark “{what}”: a name has 1 to {MAX_LANDMARK_NAME} characters"),
                ));
            }
            if l.address.as_ref().is_some_and(|a| a.chars().count() > MAX_LANDMARK_ADDRESS) {
                return Err(Refusal::bad_field(
                    "landmarks.address",
                    format!("地标“{what}”：地址最多 {MAX_LANDMARK_ADDRESS} 个字符"),
                    format!("landmark “{what}”: an address has at most {MAX_LANDMARK_ADDRESS} characters"),
                ));
            }
            if !seen.insert((&l.community, name)) {
                return Err(Refusal::bad_field(
                    "landmarks.name",
                    format!("地标“{what}”在该社区重复"),
                    format!("landmark “{what}” appears twice in its community"),
                ));
            }
            Point::new_checked(l.location.lon, l.location.lat)?;
            // The community's grids: a range of the sorted codes, not a walk through all of them.
            let inside = self
                .grids
                .range(l.community.clone()..)
                .take_while(|(code, _)| l.community.covers(code))
                .any(|(code, g)| code.level() == Level::Grid && g.polygon.contains(l.location));
            if !inside {
                return Err(Refusal::bad_field(
                    "landmarks.location",
                    format!("地标“{what}”的位置（{}, {}）不在该社区的网格内", l.location.lon, l.location.lat),
                    format!(
                        "landmark “{what}” at ({}, {}) lies outside its community's grids",
                        l.location.lon, l.location.lat
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Direct children of an area.
    pub fn children(&self, code: &AreaCode) -> Vec<&Area> {
        self.areas.values().filter(|a| a.code.parent().as_ref() == Some(code)).collect()
    }
}

fn orphan(code: &AreaCode, parent: &AreaCode) -> Refusal {
    Refusal::bad_field(
        "parent",
        format!("{code} 的上级 {parent} 不存在"),
        format!("the parent {parent} of {code} does not exist"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AreaCode {
        AreaCode::parse("t", s).unwrap()
    }

    #[test]
    fn grids_must_hang_under_communities() {
        let areas = ["11", "1101", "110101", "110101001", "110101001001"]
            .iter()
            .map(|c| Area { code: code(c), name: format!("n{c}") })
            .collect::<Vec<_>>();
        let grid = |c: &str| Grid {
            code: code(c),
            name: c.into(),
            kind: GridKind::Comprehensive,
            polygon: Polygon::rectangle(0.0, 0.0, 1.0, 1.0),
            members: vec![],
        };
        let j = Jurisdiction::new(areas.clone(), vec![grid("110101001001001"), grid("110101001001001001")]).unwrap();
        assert_eq!(j.path_names(&code("110101001001001001")).len(), 7);
        assert_eq!(j.unit_grids().count(), 1);
        let e = Jurisdiction::new(areas, vec![grid("110101001002001")]).unwrap_err();
        assert!(e.en.contains("110101001002"), "{e}");
    }

    #[test]
    fn landmarks_lie_inside_their_community() {
        let areas = ["11", "1101", "110101", "110101001", "110101001001", "110101001002"]
            .iter()
            .map(|c| Area { code: code(c), name: format!("n{c}") })
            .collect::<Vec<_>>();
        let grid = |c: &str, west: f64| Grid {
            code: code(c),
            name: c.into(),
            kind: GridKind::Comprehensive,
            polygon: Polygon::rectangle(west, 0.0, west + 1.0, 1.0),
            members: vec![],
        };
        let j = Jurisdiction::new(areas, vec![grid("110101001001001", 0.0), grid("110101001002001", 1.0)]).unwrap();
        let at = |community: &str, name: &str, lon: f64| Landmark {
            community: code(community),
            name: name.into(),
            location: Point::new(lon, 0.5),
            address: None,
        };
        assert!(j.check_landmarks(&[at("110101001001", "居委会", 0.5), at("110101001002", "居委会", 1.5)]).is_ok());
        let e = j.check_landmarks(&[at("110101001001", "菜市场", 1.5)]).unwrap_err();
        assert!(e.en.contains("outside its community's grids") && e.zh.contains("菜市场"), "{e}");
        let e = j.check_landmarks(&[at("110101001003", "菜市场", 0.5)]).unwrap_err();
        assert!(e.en.contains("no community 110101001003"), "{e}");
        let e = j.check_landmarks(&[at("110101001", "菜市场", 0.5)]).unwrap_err();
        assert!(e.en.contains("no community"), "a street is not a community: {e}");
        let e = j.check_landmarks(&[at("110101001001", " ", 0.5)]).unwrap_err();
        assert!(e.en.contains("1 to 60"), "{e}");
        let e = j.check_landmarks(&[at("110101001001", "公交站", 0.5), at("110101001001", "公交站", 0.6)]).unwrap_err();
        assert!(e.en.contains("twice"), "{e}");
    }
}
