//! A synthetic city for the city-scale benchmark: Shanghai's 16 districts (real GB/T 2260
//! codes and names), streets, communities and as many unit grids as asked (Shanghai has 40,625),
//! with units for every kind of the taxonomy and staff for every role.
//!
//! Geometry is synthetic but not rectangular: a lattice of ~400 m cells whose inner corners are
//! jittered and whose edges bend at a jittered midpoint, so each grid is an irregular octagon and
//! neighbours share their borders exactly. Districts are bands of lattice columns; inside a band
//! the cells are taken in snake order (west→east, then east→west on the next row), so splitting
//! that order into runs gives contiguous streets, communities and grids.

use rand::Rng;
use yiwang_domain::case::Role;
use yiwang_domain::codes::{AreaCode, Level};
use yiwang_domain::geo::{Point, Polygon};
use yiwang_domain::jurisdiction::{Area, Grid, GridKind};
use yiwang_domain::responsibility::{COMMUNITY_COMMITTEE, STREET_OFFICE, Unit};
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::Taxonomy;
use yiwang_store::Reference;

const DISTRICTS: &[(&str, &str)] = &[
    ("310101", "黄浦区"),
    ("310104", "徐汇区"),
    ("310105", "长宁区"),
    ("310106", "静安区"),
    ("310107", "普陀区"),
    ("310109", "虹口区"),
    ("310110", "杨浦区"),
    ("310112", "闵行区"),
    ("310113", "宝山区"),
    ("310114", "嘉定区"),
    ("310115", "浦东新区"),
    ("310116", "金山区"),
    ("310117", "松江区"),
    ("310118", "青浦区"),
    ("310120", "奉贤区"),
    ("310151", "崇明区"),
];
/// Shanghai's unit grids, streets and towns (2023), for the proportions of the tree.
pub const SHANGHAI_GRIDS: usize = 40_625;
const SHANGHAI_STREETS: usize = 215;
const GRIDS_PER_COMMUNITY: f64 = 6.75;
/// Lattice cell, degrees (≈ 400 m × 400 m at 31° N).
const CELL: (f64, f64) = (0.0042, 0.0036);
const ORIGIN: (f64, f64) = (121.0, 31.6);
/// How far corners and edge midpoints move, as a share of a cell.
const CORNER_JITTER: f64 = 0.25;
const EDGE_JITTER: f64 = 0.12;

/// The city's command centre (指挥中心): intake, dispatch, shift chiefs, supervisors.
pub const COMMAND_CENTRE: &str = "zhzx";
pub const CITY: &str = "3101";
/// Staff of the command centre per role.
pub const OPERATORS: u32 = 8;
pub const DISPATCHERS: u32 = 6;
pub const CHIEFS: u32 = 4;
pub const SUPERVISORS: u32 = 4;

pub struct CityMap {
    pub reference: Reference,
    /// Every unit grid with its bounding box, in code order.
    pub grids: Vec<(AreaCode, Point, Point)>,
    /// South-west and north-east of the filled part of the lattice.
    pub bounds: (Point, Point),
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse("city", s).expect("generated codes are valid")
}

/// `len` items in `k` consecutive runs of nearly equal length.
fn runs(len: usize, k: usize) -> Vec<std::ops::Range<usize>> {
    let k = k.clamp(1, len.max(1));
    (0..k).map(|i| len * i / k..len * (i + 1) / k).collect()
}

/// A reproducible offset in [-1, 1] for a lattice point (no state, so neighbours agree).
fn jitter(seed: u64, a: u64, b: u64, salt: u64) -> f64 {
    let mut x = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ salt;
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^= x >> 33;
    (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

struct Lattice {
    seed: u64,
    cols: usize,
    rows: usize,
}

impl Lattice {
    fn corner(&self, i: usize, j: usize) -> Point {
        let inner_x = i > 0 && i < self.cols;
        let inner_y = j > 0 && j < self.rows;
        let dx = if inner_x { jitter(self.seed, i as u64, j as u64, 1) * CORNER_JITTER } else { 0.0 };
        let dy = if inner_y { jitter(self.seed, i as u64, j as u64, 2) * CORNER_JITTER } else { 0.0 };
        Point::new(ORIGIN.0 + (i as f64 + dx) * CELL.0, ORIGIN.1 - (j as f64 + dy) * CELL.1)
    }

    /// The bent middle of the edge from `a` to `b`, pushed sideways unless it is the border.
    fn middle(&self, a: Point, b: Point, inner: bool, key: (u64, u64, u64)) -> Point {
        let mid = Point::new((a.lon + b.lon) / 2.0, (a.lat + b.lat) / 2.0);
        if !inner {
            return mid;
        }
        let push = jitter(self.seed, key.0, key.1, key.2) * EDGE_JITTER;
        // Sideways: perpendicular to the edge, in cell units.
        let (ex, ey) = ((b.lon - a.lon) / CELL.0, (b.lat - a.lat) / CELL.1);
        let norm = (ex * ex + ey * ey).sqrt().max(1e-12);
        Point::new(mid.lon - ey / norm * push * CELL.0, mid.lat + ex / norm * push * CELL.1)
    }

    fn cell(&self, i: usize, j: usize) -> Polygon {
        let (nw, ne, se, sw) =
            (self.corner(i, j), self.corner(i + 1, j), self.corner(i + 1, j + 1), self.corner(i, j + 1));
        let (i6, j6) = (i as u64, j as u64);
        let top = self.middle(nw, ne, j > 0, (i6, j6, 3));
        let right = self.middle(ne, se, i + 1 < self.cols, (i6 + 1, j6, 4));
        let bottom = self.middle(sw, se, j + 1 < self.rows, (i6, j6 + 1, 3));
        let left = self.middle(nw, sw, i > 0, (i6, j6, 4));
        Polygon { exterior: vec![nw, top, ne, right, se, bottom, sw, left], holes: vec![] }
    }
}

/// Builds the city with `grid_count` unit grids.
pub fn build(grid_count: usize, seed: u64, taxonomy: &Taxonomy, rng: &mut impl Rng) -> CityMap {
    let cols = (grid_count as f64).sqrt().ceil() as usize;
    let rows = grid_count.div_ceil(cols);
    let lattice = Lattice { seed, cols, rows };
    let districts = DISTRICTS.len().min(grid_count.div_ceil(2_500));
    let grids_per_street = SHANGHAI_GRIDS as f64 / SHANGHAI_STREETS as f64;

    let mut areas =
        vec![Area { code: code("31"), name: "上海市".into() }, Area { code: code(CITY), name: "市辖区".into() }];
    let mut grids = Vec::with_capacity(grid_count);
    let mut boxes = Vec::with_capacity(grid_count);
    let mut units = vec![Unit {
        id: COMMAND_CENTRE.into(),
        name: "城市运行管理服务指挥中心".into(),
        kind: "指挥中心".into(),
        area: code(CITY),
    }];
    let mut staff = Vec::new();
    let kinds: std::collections::BTreeSet<&str> = taxonomy
        .subclasses
        .iter()
        .map(|s| s.unit_kind.as_str())
        .filter(|k| *k != STREET_OFFICE && *k != COMMUNITY_COMMITTEE)
        .collect();
    // One path through every cell: bands of columns, down the first band in snake order, up the
    // next, … so that consecutive cells always touch; the city is its first `grid_count` cells.
    let bands = runs(cols, districts);
    let mut path = Vec::with_capacity(cols * rows);
    for (b, band) in bands.iter().enumerate() {
        for r in 0..rows {
            let j = if b % 2 == 0 { r } else { rows - 1 - r };
            let row: Vec<usize> = if r % 2 == 0 { band.clone().collect() } else { band.clone().rev().collect() };
            path.extend(row.into_iter().map(|i| (i, j)));
        }
    }
    path.truncate(grid_count);
    for (d, range) in runs(path.len(), districts).into_iter().enumerate() {
        let cells = &path[range];
        let (district_code, district_name) = DISTRICTS[d];
        let district = code(district_code);
        areas.push(Area { code: district.clone(), name: district_name.into() });
        for (k, kind) in kinds.iter().enumerate() {
            units.push(Unit {
                id: format!("{district}-{k:02}"),
                name: format!("{district_name}{kind}"),
                kind: (*kind).into(),
                area: district.clone(),
            });
        }
        let street_count = (cells.len() as f64 / grids_per_street).round().max(1.0) as usize;
        for (s, street_cells) in runs(cells.len(), street_count).into_iter().enumerate() {
            let street = district.child(s as u32 + 1).expect("street serial");
            let short = district_name.trim_end_matches('区').trim_end_matches("新");
            areas.push(Area { code: street.clone(), name: format!("{short}第{}街道", s + 1) });
            units.push(Unit {
                id: format!("jd-{street}"),
                name: format!("{short}第{}街道办事处", s + 1),
                kind: STREET_OFFICE.into(),
                area: street.clone(),
            });
            staff.push(Staff {
                id: format!("insp-{street}"),
                name: format!("核查员{street}"),
                role: Role::Inspector,
                scope: street.clone(),
                unit: None,
            });
            let street_cells = &cells[street_cells];
            let community_count = (street_cells.len() as f64 / GRIDS_PER_COMMUNITY).round().max(1.0) as usize;
            for (c, community_cells) in runs(street_cells.len(), community_count).into_iter().enumerate() {
                let community = street.child(c as u32 + 1).expect("community serial");
                areas.push(Area { code: community.clone(), name: format!("第{}社区", c + 1) });
                units.push(Unit {
                    id: format!("sq-{community}"),
                    name: format!("{short}第{}街道第{}社区居委会", s + 1, c + 1),
                    kind: COMMUNITY_COMMITTEE.into(),
                    area: community.clone(),
                });
                for (g, &(i, j)) in street_cells[community_cells].iter().enumerate() {
                    let grid_code = community.child(g as u32 + 1).expect("grid serial");
                    let polygon = lattice.cell(i, j);
                    let (sw, ne) = polygon.bbox();
                    let member = format!("gm-{grid_code}");
                    staff.push(Staff {
                        id: member.clone(),
                        name: format!("网格员{grid_code}"),
                        role: Role::GridMember,
                        scope: grid_code.clone(),
                        unit: None,
                    });
                    let dedicated = rng.random_bool(0.02);
                    grids.push(Grid {
                        code: grid_code.clone(),
                        name: format!("第{}社区第{}网格{}", c + 1, g + 1, if dedicated { "（专属网格）" } else { "" }),
                        kind: if dedicated { GridKind::Dedicated } else { GridKind::Comprehensive },
                        polygon,
                        members: vec![member],
                    });
                    boxes.push((grid_code, sw, ne));
                }
            }
        }
    }
    let city = code(CITY);
    for (role, n, prefix) in [
        (Role::IntakeOperator, OPERATORS, "op"),
        (Role::Dispatcher, DISPATCHERS, "disp"),
        (Role::ShiftChief, CHIEFS, "chief"),
        (Role::Supervisor, SUPERVISORS, "sup"),
    ] {
        for i in 1..=n {
            staff.push(Staff {
                id: format!("{prefix}-{i}"),
                name: format!("{prefix}{i}"),
                role,
                scope: city.clone(),
                unit: Some(COMMAND_CENTRE.into()),
            });
        }
    }
    for u in units.iter().filter(|u| u.id != COMMAND_CENTRE) {
        staff.push(Staff {
            id: format!("h-{}", u.id),
            name: format!("处置人员{}", u.id),
            role: Role::Handler,
            scope: u.area.clone(),
            unit: Some(u.id.clone()),
        });
    }
    let south = boxes.iter().map(|b| b.1.lat).fold(f64::INFINITY, f64::min);
    let bounds = (Point::new(ORIGIN.0, south), Point::new(ORIGIN.0 + cols as f64 * CELL.0, ORIGIN.1));
    debug_assert!(grids.iter().all(|g| g.code.level() == Level::Grid));
    CityMap {
        reference: Reference { areas, grids, units, duties: vec![], staff, landmarks: vec![] },
        grids: boxes,
        bounds,
    }
}
