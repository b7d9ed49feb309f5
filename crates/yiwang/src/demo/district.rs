//! The demo district's reference data: real divisions, synthetic geometry, plausible units and
//! generated staff.
//!
//! Names and codes of 北京市东城区's streets and communities are real (national statistical
//! division codes, 2023). Their shapes are NOT: streets are laid out as bands from north to south
//! inside the district's approximate bounding box, each band as tall as its share of communities,
//! communities as columns inside their street, and each community split into unit grids of
//! roughly 10,000–60,000 m². The tiling is seamless, so every point of the box lies in a grid.
//! Each community's landmarks (地标: committee office, estate gate, market, bus stop, health
//! station) are synthetic too: named after the community, placed at fixed points of its box.

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use yiwang_domain::case::Role;
use yiwang_domain::codes::{AreaCode, Level};
use yiwang_domain::geo::{Point, Polygon};
use yiwang_domain::jurisdiction::{Area, Grid, GridKind, Landmark};
use yiwang_domain::responsibility::{COMMUNITY_COMMITTEE, Duty, STREET_OFFICE, Unit};
use yiwang_domain::staff::Staff;
use yiwang_domain::taxonomy::SubclassId;
use yiwang_store::Reference;

const DIVISIONS: &str = include_str!("../../../../data/demo/divisions.toml");
const UNITS: &str = include_str!("../../../../data/demo/units.toml");

/// The district's approximate bounding box (west, south, east, north), WGS-84.
const BOX: (f64, f64, f64, f64) = (116.381, 39.857, 116.447, 39.973);
/// Unit grids per community: columns × rows.
const GRID_COLS: u32 = 3;
const GRID_ROWS: u32 = 3;
/// The command centre (指挥中心) of the district: intake, dispatch, shift chiefs.
pub const COMMAND_CENTRE: &str = "dc-zhzx";

#[derive(Deserialize)]
struct Divisions {
    area: Vec<RawArea>,
}

#[derive(Deserialize)]
struct RawArea {
    code: String,
    name: String,
}

#[derive(Deserialize)]
struct Units {
    unit: Vec<RawUnit>,
}

#[derive(Deserialize)]
struct RawUnit {
    id: String,
    name: String,
    kind: String,
    area: String,
}

pub struct District {
    pub reference: Reference,
    pub county: AreaCode,
    /// Resident ids (the people who report).
    pub residents: Vec<String>,
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高",
    "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "建华", "志强", "海燕",
];

pub fn person(rng: &mut ChaCha8Rng) -> String {
    format!("{}{}", SURNAMES.choose(rng).expect("names"), GIVEN.choose(rng).expect("names"))
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse("demo", s).expect("the shipped demo data has valid codes")
}

/// A community's landmarks (地标), as synthetic as its grids: a committee office, a housing
/// estate's gate, a market, a bus stop and a health station, named after the community and put
/// at fixed places of its box (west, south, east, north), so inside its grids. They draw nothing
/// from the random generator: the rest of the demo stays as it was.
fn landmarks_of(street: &Area, community: &Area, (w, s, e, n): (f64, f64, f64, f64)) -> Vec<Landmark> {
    let short = community.name.trim_end_matches("居委会").trim_end_matches("社区");
    let address = format!("{}{}", street.name, community.name);
    [
        (format!("{short}社区居委会"), 0.5, 0.5),
        (format!("{short}小区南门"), 0.3, 0.12),
        (format!("{short}菜市场"), 0.78, 0.7),
        (format!("{short}公交站"), 0.1, 0.88),
        (format!("{short}社区卫生服务站"), 0.62, 0.3),
    ]
    .into_iter()
    .map(|(name, x, y)| Landmark {
        community: community.code.clone(),
        name,
        location: Point::new(w + (e - w) * x, s + (n - s) * y),
        address: Some(address.clone()),
    })
    .collect()
}

pub fn build(rng: &mut ChaCha8Rng) -> District {
    let divisions: Divisions = toml::from_str(DIVISIONS).expect("the shipped divisions parse");
    let areas: Vec<Area> = divisions.area.iter().map(|a| Area { code: code(&a.code), name: a.name.clone() }).collect();
    let county = areas.iter().find(|a| a.code.level() == Level::County).expect("a district").code.clone();
    let streets: Vec<&Area> = areas.iter().filter(|a| a.code.level() == Level::Street).collect();
    let communities_of = |s: &AreaCode| -> Vec<&Area> {
        areas.iter().filter(|a| a.code.level() == Level::Community && s.covers(&a.code)).collect()
    };

    // Streets as bands from north to south, as tall as their share of communities.
    let total: usize = streets.iter().map(|s| communities_of(&s.code).len()).sum();
    let (west, south, east, north) = BOX;
    let mut grids = Vec::new();
    let mut landmarks = Vec::new();
    let mut top = north;
    for street in &streets {
        let communities = communities_of(&street.code);
        let height = (north - south) * communities.len() as f64 / total as f64;
        let bottom = if std::ptr::eq(*street, *streets.last().expect("streets")) { south } else { top - height };
        let width = (east - west) / communities.len() as f64;
        for (i, community) in communities.iter().enumerate() {
            let (cw, ce) = (
                west + width * i as f64,
                if i + 1 == communities.len() { east } else { west + width * (i + 1) as f64 },
            );
            landmarks.extend(landmarks_of(street, community, (cw, bottom, ce, top)));
            // Grids numbered west→east, then north→south, as the standard says.
            for row in 0..GRID_ROWS {
                for col in 0..GRID_COLS {
                    let serial = row * GRID_COLS + col + 1;
                    let gw = cw + (ce - cw) * col as f64 / GRID_COLS as f64;
                    let ge =
                        if col + 1 == GRID_COLS { ce } else { cw + (ce - cw) * (col + 1) as f64 / GRID_COLS as f64 };
                    let gn = top - (top - bottom) * row as f64 / GRID_ROWS as f64;
                    let gs = if row + 1 == GRID_ROWS {
                        bottom
                    } else {
                        top - (top - bottom) * (row + 1) as f64 / GRID_ROWS as f64
                    };
                    let grid_code = community.code.child(serial).expect("grid serials fit");
                    let short = community.name.trim_end_matches("居委会").trim_end_matches("社区");
                    // Every ninth grid of a community stands for one institution (a school).
                    let (kind, name) = if serial == 9 && rng.random_bool(0.3) {
                        (GridKind::Dedicated, format!("{short}社区第{serial}网格（学校专属网格）"))
                    } else {
                        (GridKind::Comprehensive, format!("{short}社区第{serial}网格"))
                    };
                    grids.push(Grid {
                        code: grid_code,
                        name,
                        kind,
                        polygon: Polygon::rectangle(gw, gs, ge, gn),
                        members: vec![],
                    });
                }
            }
        }
        top = bottom;
    }
    // Micro-grids (微网格) in the first community: each of its grids split into an east and a west half.
    let first_community = communities_of(&streets[0].code)[0].code.clone();
    let micro: Vec<Grid> = grids
        .iter()
        .filter(|g| first_community.covers(&g.code))
        .flat_map(|g| {
            let (sw, ne) = g.polygon.bbox();
            let mid = (sw.lon + ne.lon) / 2.0;
            [(1, sw.lon, mid), (2, mid, ne.lon)].map(|(n, w, e)| Grid {
                code: g.code.child(n).expect("micro serial"),
                name: format!("{}微网格{n}", g.name),
                kind: GridKind::Micro,
                polygon: Polygon::rectangle(w, sw.lat, e, ne.lat),
                members: vec![],
            })
        })
        .collect();

    // Units: the district's departments, the command centre, street offices, community committees.
    let shipped: Units = toml::from_str(UNITS).expect("the shipped units parse");
    let mut units: Vec<Unit> =
        shipped.unit.into_iter().map(|u| Unit { id: u.id, name: u.name, kind: u.kind, area: code(&u.area) }).collect();
    units.push(Unit {
        id: COMMAND_CENTRE.into(),
        name: "东城区城市运行管理服务指挥中心".into(),
        kind: "指挥中心".into(),
        area: county.clone(),
    });
    for s in &streets {
        units.push(Unit {
            id: format!("jd-{}", s.code),
            name: format!("{}办事处", s.name),
            kind: STREET_OFFICE.into(),
            area: s.code.clone(),
        });
    }
    for c in areas.iter().filter(|a| a.code.level() == Level::Community) {
        units.push(Unit {
            id: format!("sq-{}", c.code),
            name: c.name.clone(),
            kind: COMMUNITY_COMMITTEE.into(),
            area: c.code.clone(),
        });
    }
    // Listed duties: joint handling (一体事联办) in the old town, where streets lead.
    let sub = |s: &str| SubclassId::parse("demo", s).expect("demo subclass");
    let mut duties = Vec::new();
    for s in streets.iter().take(4) {
        duties.push(Duty {
            subclass: sub("E0801"),
            area: s.code.clone(),
            lead: format!("jd-{}", s.code),
            assisting: vec!["dc-sthj".into(), "dc-ga".into()],
        });
        duties.push(Duty {
            subclass: sub("E0703"),
            area: s.code.clone(),
            lead: format!("jd-{}", s.code),
            assisting: vec!["dc-jj".into()],
        });
    }

    // Staff for every role.
    let mut staff = Vec::new();
    let mut add = |id: String, role: Role, scope: &AreaCode, unit: Option<&str>, rng: &mut ChaCha8Rng| {
        staff.push(Staff { id, name: person(rng), role, scope: scope.clone(), unit: unit.map(Into::into) });
    };
    for (role, n, prefix) in [
        (Role::IntakeOperator, 4, "op"),
        (Role::ShiftChief, 2, "chief"),
        (Role::Dispatcher, 3, "disp"),
        (Role::Supervisor, 2, "sup"),
        (Role::Leader, 1, "leader"),
        (Role::DataOfficer, 1, "cdo"),
        (Role::SystemAdmin, 1, "sysadmin"),
        (Role::SecurityAdmin, 1, "secadmin"),
        (Role::AuditAdmin, 1, "auditadmin"),
    ] {
        let unit = matches!(role, Role::IntakeOperator | Role::ShiftChief | Role::Dispatcher | Role::Supervisor)
            .then_some(COMMAND_CENTRE);
        for i in 1..=n {
            add(format!("{prefix}-{i}"), role, &county, unit, rng);
        }
    }
    for s in &streets {
        add(format!("leader-{}", s.code), Role::Leader, &s.code, None, rng);
        add(format!("insp-{}", s.code), Role::Inspector, &s.code, None, rng);
    }
    for u in &units {
        if u.id != COMMAND_CENTRE {
            for i in 1..=2 {
                add(format!("h-{}-{i}", u.id), Role::Handler, &u.area, Some(&u.id), rng);
            }
        }
    }
    for g in grids.iter_mut() {
        let id = format!("gm-{}", g.code);
        add(id.clone(), Role::GridMember, &g.code, None, rng);
        g.members.push(id);
    }
    grids.extend(micro);

    let residents = (1..=3000).map(|i| format!("r{i:05}")).collect();
    District { reference: Reference { areas, grids, units, duties, staff, landmarks }, county, residents }
}
