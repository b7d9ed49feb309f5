//! Where a posted request is: `lat` and `long`; or `address_id`, which here is the code of a
//! unit grid or community (the grid layer is our master address repository); or `address_string`,
//! located by the names of the communities and grids it contains.
//!
//! FixMyStreet sends `address_id=#NOTPINPOINTED#` when the reporter placed no pin: then only the
//! address string can place the report, and without one it is refused. A report placed by name
//! lands at a point inside the named grid (or the community's first grid) and keeps the address
//! as written, so that intake can see how it was placed.

use yiwang_domain::codes::{AreaCode, Level};
use yiwang_domain::geo::{Point, Polygon};
use yiwang_engine::Loaded;

use super::{Failure, Params};

/// FixMyStreet's `address_id` for a report without a pin.
pub const NOT_PINPOINTED: &str = "#NOTPINPOINTED#";
const MAX_ADDRESS: usize = 200;

/// A located report: the point, and the address to keep with it.
#[derive(Debug)]
pub struct Located {
    pub point: Point,
    pub address: String,
}

pub fn locate(loaded: &Loaded, params: &Params) -> Result<Located, Failure> {
    let address = params.get("address_string").unwrap_or("").to_owned();
    if address.chars().count() > MAX_ADDRESS {
        return Err(Failure::bad(
            format!("address_string 不能超过 {MAX_ADDRESS} 字"),
            format!("address_string may not be longer than {MAX_ADDRESS} characters"),
        ));
    }
    let (lat, long) = (params.get("lat"), params.get("long"));
    if lat.is_some() || long.is_some() {
        let (Some(lat), Some(long)) = (lat, long) else {
            return Err(Failure::bad("lat 与 long 须同时提供", "lat and long must be given together"));
        };
        let number = |name: &str, v: &str| {
            v.parse::<f64>().map_err(|_| {
                Failure::bad(format!("{name} “{v}”应为十进制度数"), format!("{name} “{v}” must be decimal degrees"))
            })
        };
        let point = Point::new_checked(number("long", long)?, number("lat", lat)?)?;
        return Ok(Located { point, address });
    }
    match params.get("address_id") {
        Some(NOT_PINPOINTED) | None => {}
        Some(id) => return Ok(Located { point: by_code(loaded, id)?, address }),
    }
    if !address.is_empty() {
        return Ok(Located { point: by_name(loaded, &address)?, address });
    }
    if params.get("address_id") == Some(NOT_PINPOINTED) {
        return Err(Failure::bad(
            "未标注位置（#NOTPINPOINTED#）时须在 address_string 中写明社区或网格名称",
            "without a pin (#NOTPINPOINTED#) the address_string must name the community or grid",
        ));
    }
    Err(Failure::bad(
        "须提供位置：lat 与 long、address_string 或 address_id（网格代码）",
        "a location is required: lat and long, address_string, or address_id (a grid code)",
    ))
}

/// A point inside a polygon that locates to `grid`: its centroid, or the centre of its box.
fn inside(loaded: &Loaded, grid: &AreaCode, polygon: &Polygon) -> Option<Point> {
    let (sw, ne) = polygon.bbox();
    let centre = Point { lon: (sw.lon + ne.lon) / 2.0, lat: (sw.lat + ne.lat) / 2.0 };
    [polygon.centroid(), centre].into_iter().find(|p| loaded.grids.locate_ref(*p).ok() == Some(grid))
}

/// A point in the first unit grid under `code` (itself, when it is a grid) that has one.
fn point_in(loaded: &Loaded, code: &AreaCode) -> Option<Point> {
    loaded.jurisdiction.unit_grids().filter(|g| code.covers(&g.code)).find_map(|g| inside(loaded, &g.code, &g.polygon))
}

fn by_code(loaded: &Loaded, id: &str) -> Result<Point, Failure> {
    let unknown = || {
        Failure::bad(
            format!("address_id “{id}”应为本辖区的网格或社区代码"),
            format!("address_id “{id}” must be the code of a grid or community of this jurisdiction"),
        )
    };
    let code = AreaCode::parse("address_id", id).map_err(|_| unknown())?;
    let known = match code.level() {
        Level::Community => loaded.jurisdiction.area(&code).is_some(),
        Level::Grid | Level::MicroGrid => loaded.jurisdiction.grid(&code).is_some(),
        _ => false,
    };
    if !known {
        return Err(unknown());
    }
    // A micro-grid is placed by its unit grid.
    let grid = code.at_level(Level::Grid).unwrap_or(code);
    point_in(loaded, &grid).ok_or_else(unknown)
}

/// The names an area or grid may be written with: as registered, and without the suffix of
/// its committee (多福巷社区居委会 → 多福巷社区).
fn names(name: &str) -> Vec<&str> {
    let mut out = vec![name];
    for suffix in ["居委会", "居民委员会", "村委会", "村民委员会", "办事处"] {
        if let Some(short) = name.strip_suffix(suffix)
            && short.chars().count() >= 2
        {
            out.push(short);
        }
    }
    out
}

fn by_name(loaded: &Loaded, address: &str) -> Result<Point, Failure> {
    let text: String = address.chars().filter(|c| !c.is_whitespace()).collect();
    let j = &loaded.jurisdiction;
    let areas = j.areas().map(|a| (&a.code, a.name.as_str()));
    let grids = j.grids().map(|g| (&g.code, g.name.as_str()));
    // The deepest node named, then the longest name.
    let best = areas
        .chain(grids)
        .filter(|(code, _)| code.level() >= Level::Street)
        .filter_map(|(code, name)| {
            names(name).into_iter().filter(|n| text.contains(n)).map(|n| n.chars().count()).max().map(|len| (code, len))
        })
        .max_by_key(|(code, len)| (code.level(), *len));
    match best {
        Some((code, _)) if code.level() >= Level::Community => {
            let grid = code.at_level(Level::Grid).unwrap_or_else(|| code.clone());
            point_in(loaded, &grid).ok_or_else(|| no_place(address))
        }
        Some((code, _)) => {
            let name = j.area(code).map_or("", |a| a.name.as_str());
            Err(Failure::bad(
                format!("address_string 只写到{name}，请写明社区（村）或网格，或提供 lat 与 long"),
                format!("address_string names only {name} ({code}); name the community or grid, or give lat and long"),
            ))
        }
        None => Err(no_place(address)),
    }
}

fn no_place(address: &str) -> Failure {
    Failure::bad(
        format!("address_string “{address}”中没有本辖区的社区或网格名称，请提供 lat 与 long"),
        format!("address_string “{address}” names no community or grid of this jurisdiction; give lat and long"),
    )
}
