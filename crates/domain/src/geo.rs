//! Points, polygons and the point → unit grid index (坐标落格).
//!
//! Every report carries a position; the platform must say which unit grid (单元网格) it lies in,
//! fast enough to be called on every request. [`GridIndex`] answers that question: a lattice of
//! equal cells over the grids' bounding boxes picks candidates, and an exact point-in-polygon
//! test decides; for a point in no grid, an R-tree of the boxes finds the nearest one.
//!
//! Conventions:
//! - Coordinates are degrees, longitude then latitude. We treat them as WGS-84; a deployment that
//!   stores GCJ-02 must simply use it everywhere (we never transform between datums).
//! - A polygon is closed: its border belongs to it. Rings may be given open or closed (first
//!   vertex repeated at the end), clockwise or not.
//! - Grids tile a community seamlessly (无缝拼接), so a point on a shared border, or on the
//!   vertex shared by four grids, lies in several closed polygons. It then goes to the grid with
//!   the **smallest code** among them, whatever the order in which the grids were loaded.
//! - A point in no grid but within a few centimetres of one (a digitising sliver between
//!   neighbours, see [`GridIndex::DEFAULT_SNAP_M`]) goes to the smallest code among the grids
//!   that close; farther out it is refused as `outside_grids`, naming the nearest grid.
//! - Distances to polygons use a local equirectangular projection at the query point's latitude:
//!   within about 0.1 % at city scale, only rough beyond a hundred kilometres. [`distance_m`]
//!   between two points is the haversine distance.
//! - Longitudes do not wrap at ±180°: no Chinese grid crosses the antimeridian.

use std::fmt;

use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use serde::{Deserialize, Serialize};

use crate::Refusal;
use crate::codes::{AreaCode, Level};

/// Mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// Metres per degree of latitude (and of longitude at the equator).
const M_PER_DEG: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
/// A ring smaller than this (a sliver or a line) is degenerate.
const MIN_RING_AREA_M2: f64 = 0.01;

/// A position in degrees (经纬度), WGS-84 unless the deployment decides otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub lon: f64,
    pub lat: f64,
}

impl Point {
    pub const fn new(lon: f64, lat: f64) -> Point {
        Point { lon, lat }
    }

    /// Validates untrusted input: finite, longitude in [-180, 180], latitude in [-90, 90].
    /// A refusal names the field `lon` or `lat`.
    pub fn new_checked(lon: f64, lat: f64) -> Result<Point, Refusal> {
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
            return Err(Refusal::bad_field(
                "lon",
                format!("经度应在 -180 到 180 之间，收到 {lon}"),
                format!("a longitude lies between -180 and 180, got {lon}"),
            ));
        }
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(Refusal::bad_field(
                "lat",
                format!("纬度应在 -90 到 90 之间，收到 {lat}"),
                format!("a latitude lies between -90 and 90, got {lat}"),
            ));
        }
        Ok(Point { lon, lat })
    }

    fn is_valid(self) -> bool {
        Point::new_checked(self.lon, self.lat).is_ok()
    }
}

/// Great-circle (haversine) distance between two points, in metres.
pub fn distance_m(a: Point, b: Point) -> f64 {
    let (phi1, phi2) = (a.lat.to_radians(), b.lat.to_radians());
    let dphi = phi2 - phi1;
    let dlambda = (b.lon - a.lon).to_radians();
    let h = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// A circle on the ground (a public board's "near me"): a centre and a radius in metres.
///
/// Distances are measured in the local equirectangular projection at the centre's latitude, the
/// same that a store can compute with plain arithmetic in SQL (`cos` of the centre's latitude is
/// passed in): at 5 km it differs from the haversine distance by a few metres at most.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Circle {
    pub centre: Point,
    pub radius_m: f64,
}

impl Circle {
    /// Metres per degree of longitude at the centre's latitude.
    pub fn m_per_deg_lon(&self) -> f64 {
        M_PER_DEG * self.centre.lat.to_radians().cos()
    }

    /// Metres per degree of latitude.
    pub const M_PER_DEG_LAT: f64 = M_PER_DEG;

    /// The bounding box as (south-west, north-east): what an index on (lat, lon) can narrow by.
    pub fn bbox(&self) -> (Point, Point) {
        let dlat = self.radius_m / M_PER_DEG;
        let dlon = self.radius_m / self.m_per_deg_lon().max(1e-9);
        (
            Point::new(self.centre.lon - dlon, self.centre.lat - dlat),
            Point::new(self.centre.lon + dlon, self.centre.lat + dlat),
        )
    }

    /// Metres from the centre, in the circle's projection.
    pub fn distance_m(&self, p: Point) -> f64 {
        let dx = (p.lon - self.centre.lon) * self.m_per_deg_lon();
        let dy = (p.lat - self.centre.lat) * M_PER_DEG;
        (dx * dx + dy * dy).sqrt()
    }

    /// True when `p` lies inside or on the circle.
    pub fn contains(&self, p: Point) -> bool {
        self.distance_m(p) <= self.radius_m
    }
}

/// Moves a point to the centre of its cell in a grid of squares about `cell_m` metres on a side
/// (rows by latitude, columns by longitude at the row's own latitude), so that a published place
/// cannot be traced to a door: every point of a cell gives the same answer, and no answer is more
/// than half a cell's diagonal from the truth.
pub fn snap(p: Point, cell_m: f64) -> Point {
    let dlat = cell_m / M_PER_DEG;
    let lat = ((p.lat / dlat).floor() + 0.5) * dlat;
    let dlon = cell_m / (M_PER_DEG * lat.to_radians().cos()).max(1e-9);
    let lon = ((p.lon / dlon).floor() + 0.5) * dlon;
    // Rounded to 1e-6° (about 0.1 m): no false precision in what is published.
    let round = |v: f64| (v * 1e6).round() / 1e6;
    Point::new(round(lon), round(lat))
}

/// A polygon with optional holes, e.g. the boundary of a unit grid (网格边界).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Polygon {
    pub exterior: Vec<Point>,
    #[serde(default)]
    pub holes: Vec<Vec<Point>>,
}

impl Polygon {
    /// The axis-aligned rectangle between two meridians and two parallels.
    pub fn rectangle(west: f64, south: f64, east: f64, north: f64) -> Polygon {
        Polygon {
            exterior: vec![
                Point::new(west, south),
                Point::new(east, south),
                Point::new(east, north),
                Point::new(west, north),
            ],
            holes: Vec::new(),
        }
    }

    fn rings(&self) -> impl Iterator<Item = &[Point]> {
        std::iter::once(self.exterior.as_slice()).chain(self.holes.iter().map(Vec::as_slice))
    }

    /// True when `p` lies inside or on the border (a hole's border included).
    pub fn contains(&self, p: Point) -> bool {
        closed_contains(self.rings(), p)
    }

    /// The bounding box as (south-west, north-east). An empty polygon has an inverted box
    /// (south-west at +∞, north-east at −∞).
    pub fn bbox(&self) -> (Point, Point) {
        let mut sw = Point::new(f64::INFINITY, f64::INFINITY);
        let mut ne = Point::new(f64::NEG_INFINITY, f64::NEG_INFINITY);
        for v in &self.exterior {
            sw = Point::new(sw.lon.min(v.lon), sw.lat.min(v.lat));
            ne = Point::new(ne.lon.max(v.lon), ne.lat.max(v.lat));
        }
        (sw, ne)
    }

    /// 0 when `p` is inside; otherwise metres to the nearest point of any edge.
    pub fn distance_m(&self, p: Point) -> f64 {
        if self.contains(p) {
            return 0.0;
        }
        nearest_on_rings(self.rings(), p).map_or(f64::INFINITY, |(d, _)| d)
    }

    /// Area in square metres, holes removed.
    pub fn area_m2(&self) -> f64 {
        let Some(&origin) = self.exterior.first() else {
            return 0.0;
        };
        let (sw, ne) = self.bbox();
        let kx = ((sw.lat + ne.lat) / 2.0).to_radians().cos();
        let ring_m2 = |r: &[Point]| ring_moments(r, origin).0.abs() * kx * M_PER_DEG * M_PER_DEG;
        let holes: f64 = self.holes.iter().map(|h| ring_m2(h)).sum();
        (ring_m2(&self.exterior) - holes).max(0.0)
    }

    /// A point inside the polygon (on the map, where to pin its name): the centroid when it is
    /// inside, else the middle of the widest stretch inside along the parallel through the
    /// middle of the box. `None` for a polygon without area.
    pub fn interior_point(&self) -> Option<Point> {
        let c = self.centroid();
        if c.lon.is_finite() && self.contains(c) {
            return Some(c);
        }
        let (sw, ne) = self.bbox();
        let lat = (sw.lat + ne.lat) / 2.0;
        let mut crossings: Vec<f64> = Vec::new();
        for ring in self.rings() {
            for (i, a) in ring.iter().enumerate() {
                let b = ring[(i + 1) % ring.len()];
                if (a.lat <= lat) != (b.lat <= lat) {
                    crossings.push(a.lon + (lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon));
                }
            }
        }
        crossings.sort_by(f64::total_cmp);
        crossings
            .chunks_exact(2)
            .max_by(|x, y| (x[1] - x[0]).total_cmp(&(y[1] - y[0])))
            .map(|pair| Point::new((pair[0] + pair[1]) / 2.0, lat))
            .filter(|p| self.contains(*p))
    }

    /// The centre of mass (形心), holes removed. Falls back to the mean vertex when the
    /// polygon has no area. Computed in degrees: an affine map keeps centroids.
    pub fn centroid(&self) -> Point {
        let Some(&origin) = self.exterior.first() else {
            return Point::new(f64::NAN, f64::NAN);
        };
        let (mut area, mut sx, mut sy) = (0.0, 0.0, 0.0);
        for (i, ring) in self.rings().enumerate() {
            let (a, cx, cy) = ring_moments(ring, origin);
            // Orientation-free: the exterior adds, holes subtract.
            let w = if i == 0 { a.abs() } else { -a.abs() };
            if a != 0.0 {
                area += w;
                sx += w * cx;
                sy += w * cy;
            }
        }
        if area > 0.0 {
            return Point::new(origin.lon + sx / area, origin.lat + sy / area);
        }
        let n = self.exterior.len() as f64;
        let (lon, lat) = self.exterior.iter().fold((0.0, 0.0), |(x, y), v| (x + v.lon, y + v.lat));
        Point::new(lon / n, lat / n)
    }
}

/// The convex hull of points (Andrew's monotone chain), counter-clockwise, as a polygon: the
/// outline of an area drawn from its grids' corners. Fewer than three distinct points give
/// those points.
pub fn convex_hull(points: impl IntoIterator<Item = Point>) -> Polygon {
    let mut p: Vec<Point> = points.into_iter().filter(|p| p.lon.is_finite() && p.lat.is_finite()).collect();
    p.sort_by(|a, b| a.lon.total_cmp(&b.lon).then(a.lat.total_cmp(&b.lat)));
    p.dedup();
    if p.len() < 3 {
        return Polygon { exterior: p, holes: Vec::new() };
    }
    let cross = |o: Point, a: Point, b: Point| (a.lon - o.lon) * (b.lat - o.lat) - (a.lat - o.lat) * (b.lon - o.lon);
    let mut hull: Vec<Point> = Vec::with_capacity(p.len() * 2);
    for pass in [p.clone(), p.into_iter().rev().collect()] {
        let start = hull.len();
        for v in pass {
            while hull.len() >= start + 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], v) <= 0.0 {
                hull.pop();
            }
            hull.push(v);
        }
        hull.pop();
    }
    Polygon { exterior: hull, holes: Vec::new() }
}

/// Signed shoelace area of a ring (degrees², relative to `origin` for precision) and its
/// centroid relative to `origin`.
fn ring_moments(ring: &[Point], origin: Point) -> (f64, f64, f64) {
    let Some(&last) = ring.last() else {
        return (0.0, 0.0, 0.0);
    };
    let (mut a2, mut cx, mut cy) = (0.0, 0.0, 0.0);
    let mut prev = (last.lon - origin.lon, last.lat - origin.lat);
    for v in ring {
        let cur = (v.lon - origin.lon, v.lat - origin.lat);
        let cross = prev.0 * cur.1 - cur.0 * prev.1;
        a2 += cross;
        cx += (prev.0 + cur.0) * cross;
        cy += (prev.1 + cur.1) * cross;
        prev = cur;
    }
    if a2 == 0.0 {
        return (0.0, 0.0, 0.0);
    }
    (a2 / 2.0, cx / (3.0 * a2), cy / (3.0 * a2))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Outside,
    Border,
    Inside,
}

/// Where `p` lies relative to one ring (even-odd rule).
///
/// Every edge is read bottom-up whichever way the ring runs, so two grids sharing an edge
/// evaluate the very same floating-point expression for it: a point near a shared border can
/// fall in both closed grids (then the smaller code wins) but never in neither.
#[inline]
fn ring_side(ring: &[Point], p: Point) -> Side {
    let Some(&last) = ring.last() else {
        return Side::Outside;
    };
    let (x, y) = (p.lon, p.lat);
    let mut inside = false;
    let mut a = last;
    for &b in ring {
        // Cheap rejection: the edge lies wholly above or below the point.
        if !((a.lat > y && b.lat > y) || (a.lat < y && b.lat < y)) {
            if a.lat == b.lat {
                // A horizontal edge at the point's latitude never crosses the ray.
                if x >= a.lon.min(b.lon) && x <= a.lon.max(b.lon) {
                    return Side::Border;
                }
            } else {
                let (lo, hi) = if a.lat < b.lat { (a, b) } else { (b, a) };
                let cross = (hi.lon - lo.lon) * (y - lo.lat) - (x - lo.lon) * (hi.lat - lo.lat);
                if cross == 0.0 {
                    return Side::Border;
                }
                // Half-open in latitude, so a ray through a vertex counts once.
                if cross > 0.0 && y < hi.lat {
                    inside = !inside;
                }
            }
        }
        a = b;
    }
    if inside { Side::Inside } else { Side::Outside }
}

/// Closed containment: inside or on the exterior, and not strictly inside any hole.
#[inline]
fn closed_contains<'a>(mut rings: impl Iterator<Item = &'a [Point]>, p: Point) -> bool {
    match rings.next() {
        Some(exterior) if ring_side(exterior, p) != Side::Outside => {
            rings.all(|hole| ring_side(hole, p) != Side::Inside)
        }
        _ => false,
    }
}

/// The nearest point on the rings' edges to `p` and its distance in metres, measured in a
/// local equirectangular projection at `p`'s latitude.
fn nearest_on_rings<'a>(rings: impl Iterator<Item = &'a [Point]>, p: Point) -> Option<(f64, Point)> {
    let kx = p.lat.to_radians().cos();
    let mut best: Option<(f64, Point)> = None;
    for ring in rings {
        let Some(&last) = ring.last() else { continue };
        let mut a = last;
        for &b in ring {
            // Projected, relative to p (degrees of latitude as unit).
            let (ax, ay) = ((a.lon - p.lon) * kx, a.lat - p.lat);
            let (dx, dy) = ((b.lon - a.lon) * kx, b.lat - a.lat);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
            let (nx, ny) = (ax + t * dx, ay + t * dy);
            let d2 = nx * nx + ny * ny;
            if best.is_none_or(|(bd2, _)| d2 < bd2) {
                let q = Point::new(a.lon + t * (b.lon - a.lon), a.lat + t * (b.lat - a.lat));
                best = Some((d2, q));
            }
            a = b;
        }
    }
    best.map(|(d2, q)| (d2.sqrt() * M_PER_DEG, q))
}

/// One R-tree entry: a grid's bounding box (longitude scaled, see [`GridIndex`]) and its rank.
type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// The unit grids of a deployment, indexed for point lookups (网格索引).
///
/// Built once, then shared read-only between threads (`Send + Sync`). Polygons are stored flat:
/// one vertex array, ring offsets and grid offsets, grids ranked by code so that "smallest code"
/// is "smallest rank". The cells and the R-tree hold bounding boxes with longitudes multiplied by
/// the cosine of the area's middle latitude, so that cells are nearly square and tree distances
/// nearly proportional to metres, which keeps the nearest-grid search tight; multiplying by a
/// positive constant keeps every `<=`, so box containment is unaffected.
#[derive(Clone)]
pub struct GridIndex {
    /// Grid codes by rank (ascending).
    codes: Vec<AreaCode>,
    /// Grid `i` owns rings `grid_rings[i]..grid_rings[i + 1]`; its first ring is the exterior.
    grid_rings: Vec<u32>,
    /// Ring `r` owns vertices `ring_vertices[r]..ring_vertices[r + 1]` (open, no repeated vertex).
    ring_vertices: Vec<u32>,
    vertices: Vec<Point>,
    /// Each grid's bounding box, scaled: `[west, south, east, north]`.
    boxes: Vec<[f64; 4]>,
    cells: Cells,
    tree: RTree<Entry>,
    /// Longitude scale of the tree (cosine of the middle latitude).
    kx: f64,
    snap_m: f64,
}

impl GridIndex {
    /// A point outside every grid but within this many metres of one is taken to be in it:
    /// it absorbs rounding slivers and digitising gaps between neighbouring grids, which real
    /// boundary data has at the centimetre level.
    pub const DEFAULT_SNAP_M: f64 = 0.05;

    /// Indexes unit grids. Refuses a code that is not a 15-digit unit grid code, a polygon with
    /// an invalid coordinate or a degenerate ring (fewer than 3 distinct vertices, or no area),
    /// and a code given twice. Self-intersection is not checked.
    pub fn new(grids: impl IntoIterator<Item = (AreaCode, Polygon)>) -> Result<GridIndex, Refusal> {
        let mut cleaned: Vec<(AreaCode, Vec<Vec<Point>>)> = Vec::new();
        for (code, polygon) in grids {
            if code.level() != Level::Grid {
                return Err(Refusal::bad_field(
                    "code",
                    format!("{code} 不是单元网格代码（应为 15 位）"),
                    format!("{code} is not a unit grid code (15 digits)"),
                ));
            }
            let rings = polygon.rings().map(|r| clean_ring(&code, r)).collect::<Result<_, _>>()?;
            cleaned.push((code, rings));
        }
        cleaned.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = cleaned.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Refusal::new(
                "duplicate_grid",
                format!("网格 {} 重复出现", w[0].0),
                format!("grid {} appears more than once", w[0].0),
            ));
        }
        let vertex_count: usize = cleaned.iter().flat_map(|(_, rs)| rs.iter().map(Vec::len)).sum();
        if u32::try_from(vertex_count).is_err() {
            return Err(Refusal::new("too_many_vertices", "网格顶点过多", "too many grid vertices"));
        }

        let (mut south, mut north) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in cleaned.iter().flat_map(|(_, rs)| &rs[0]) {
            south = south.min(v.lat);
            north = north.max(v.lat);
        }
        let kx = if cleaned.is_empty() { 1.0 } else { ((south + north) / 2.0).to_radians().cos() };

        let mut index = GridIndex {
            codes: Vec::with_capacity(cleaned.len()),
            grid_rings: vec![0],
            ring_vertices: vec![0],
            vertices: Vec::with_capacity(vertex_count),
            boxes: Vec::with_capacity(cleaned.len()),
            cells: Cells::default(),
            tree: RTree::new(),
            kx,
            snap_m: Self::DEFAULT_SNAP_M,
        };
        let mut entries = Vec::with_capacity(cleaned.len());
        for (rank, (code, rings)) in cleaned.into_iter().enumerate() {
            let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
            for v in &rings[0] {
                lo = [lo[0].min(v.lon * kx), lo[1].min(v.lat)];
                hi = [hi[0].max(v.lon * kx), hi[1].max(v.lat)];
            }
            entries.push(Entry::new(Rectangle::from_corners(lo, hi), rank as u32));
            index.boxes.push([lo[0], lo[1], hi[0], hi[1]]);
            for ring in rings {
                index.vertices.extend(ring);
                index.ring_vertices.push(index.vertices.len() as u32);
            }
            index.grid_rings.push(index.ring_vertices.len() as u32 - 1);
            index.codes.push(code);
        }
        index.cells = Cells::new(&index.boxes);
        index.tree = RTree::bulk_load(entries);
        Ok(index)
    }

    /// Changes the snapping distance (see [`GridIndex::DEFAULT_SNAP_M`]); 0 turns it off.
    pub fn with_snap_m(mut self, metres: f64) -> GridIndex {
        self.snap_m = if metres.is_finite() { metres.max(0.0) } else { 0.0 };
        self
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The unit grid containing `p` (owned copy of [`GridIndex::locate_ref`]).
    pub fn locate(&self, p: Point) -> Result<AreaCode, Refusal> {
        self.locate_ref(p).cloned()
    }

    /// The unit grid containing `p`, borrowed from the index: no allocation unless refused.
    ///
    /// On a border shared by several grids, the smallest code wins. A point outside every grid
    /// but within the snapping distance of some goes to the smallest code among those. Otherwise
    /// the refusal `outside_grids` names the nearest grid and how far it is; an invalid
    /// coordinate is refused as `invalid_field` naming `lon` or `lat`.
    pub fn locate_ref(&self, p: Point) -> Result<&AreaCode, Refusal> {
        let p = Point::new_checked(p.lon, p.lat)?;
        if let Some(rank) = self.containing(p) {
            return Ok(&self.codes[rank]);
        }
        let Some(search) = self.search_outside(p) else {
            return Err(Refusal::new(
                "outside_grids",
                "位置不在任何网格内：尚未载入任何网格",
                "the location is not inside any grid: no grids are loaded",
            ));
        };
        if let Some(rank) = search.snapped {
            return Ok(&self.codes[rank]);
        }
        let code = &self.codes[search.nearest];
        let (zh, en) = describe_distance(search.distance_m);
        Err(Refusal::new(
            "outside_grids",
            format!("位置不在任何网格内，最近的网格是 {code}（{zh}）"),
            format!("the location is not inside any grid; the nearest grid is {code} ({en})"),
        ))
    }

    /// The nearest grid and the distance to it in metres: the containing grid (as
    /// [`GridIndex::locate`] picks it) at 0 m, else the closest border, ties to the smaller code.
    /// `None` when the index is empty or the coordinate is invalid.
    pub fn nearest(&self, p: Point) -> Option<(AreaCode, f64)> {
        if !p.is_valid() {
            return None;
        }
        if let Some(rank) = self.containing(p) {
            return Some((self.codes[rank].clone(), 0.0));
        }
        self.search_outside(p).map(|s| (self.codes[s.nearest].clone(), s.distance_m))
    }

    fn rings(&self, rank: usize) -> impl Iterator<Item = &[Point]> {
        let (first, end) = (self.grid_rings[rank] as usize, self.grid_rings[rank + 1] as usize);
        (first..end).map(|r| &self.vertices[self.ring_vertices[r] as usize..self.ring_vertices[r + 1] as usize])
    }

    /// The smallest rank whose closed polygon contains `p`.
    #[inline]
    fn containing(&self, p: Point) -> Option<usize> {
        let (x, y) = (p.lon * self.kx, p.lat);
        self.cells.at(x, y).iter().map(|&rank| rank as usize).find(|&rank| {
            let [west, south, east, north] = self.boxes[rank];
            x >= west && x <= east && y >= south && y <= north && closed_contains(self.rings(rank), p)
        })
    }

    /// Best-first walk over bounding boxes for a point no grid contains: finds the nearest grid
    /// and the smallest-ranked grid within the snapping distance. Each box's distance gives a
    /// lower bound in metres, so the walk stops as soon as no further grid can do better.
    fn search_outside(&self, p: Point) -> Option<OutsideSearch> {
        // Metres = tree distance × M_PER_DEG × (ratio of longitude scales), bounded below; the
        // tiny slack keeps rounding from cutting the walk short.
        let ratio = (p.lat.to_radians().cos() / self.kx).min(1.0);
        let to_m = M_PER_DEG * ratio * (1.0 - 1e-9);
        let mut nearest: Option<(f64, usize)> = None;
        let mut snapped: Option<usize> = None;
        for (entry, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&[p.lon * self.kx, p.lat]) {
            let bound = d2.sqrt() * to_m;
            if nearest.is_some_and(|(best, _)| bound > best.max(self.snap_m)) {
                break;
            }
            let rank = entry.data as usize;
            let Some((d, _)) = nearest_on_rings(self.rings(rank), p) else {
                continue;
            };
            if d <= self.snap_m && snapped.is_none_or(|s| rank < s) {
                snapped = Some(rank);
            }
            if nearest.is_none_or(|(best, r)| d < best || (d == best && rank < r)) {
                nearest = Some((d, rank));
            }
        }
        nearest.map(|(distance_m, nearest)| OutsideSearch { nearest, distance_m, snapped })
    }
}

/// A lattice of equal square cells over the grids' bounding boxes (scaled), each listing the
/// ranks of the boxes that meet it, ascending: a point's candidates are one array read away, and
/// the first of them that contains it is the smallest code. Cells are about the size of a typical
/// grid, so a point has a handful of candidates where an R-tree walk visits several levels.
#[derive(Clone, Default)]
struct Cells {
    west: f64,
    south: f64,
    /// Cells per unit of scaled coordinate.
    per_unit: f64,
    cols: usize,
    rows: usize,
    /// Cell `row * cols + col` lists `ranks[start[i]..start[i + 1]]`.
    start: Vec<u32>,
    ranks: Vec<u32>,
}

impl Cells {
    /// Cells start at a typical grid's size and are made coarser while they would number more
    /// than this per grid (grids far apart, the extent mostly empty) …
    const MAX_CELLS_PER_BOX: usize = 16;
    /// … or list more than this many entries per grid (a few rural grids, each thousands of
    /// times a city block, filling thousands of cells).
    const MAX_ENTRIES_PER_BOX: usize = 32;

    fn new(boxes: &[[f64; 4]]) -> Cells {
        if boxes.is_empty() {
            return Cells::default();
        }
        let (mut west, mut south, mut east, mut north) =
            (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        let mut sides: Vec<f64> = Vec::with_capacity(boxes.len());
        for b in boxes {
            (west, south, east, north) = (west.min(b[0]), south.min(b[1]), east.max(b[2]), north.max(b[3]));
            sides.push(((b[2] - b[0]) * (b[3] - b[1])).sqrt());
        }
        sides.sort_by(f64::total_cmp);
        let mut side = sides[sides.len() / 2];
        if !side.is_finite() || side <= 0.0 {
            side = 1.0;
        }
        loop {
            let count = |extent: f64| (extent / side) as usize + 1;
            if count(east - west).saturating_mul(count(north - south)) <= Self::MAX_CELLS_PER_BOX * boxes.len() {
                let cells = Cells::with_side(boxes, [west, south, east, north], side);
                if cells.ranks.len() <= Self::MAX_ENTRIES_PER_BOX * boxes.len() {
                    return cells;
                }
            }
            side *= 2.0;
        }
    }

    fn with_side(boxes: &[[f64; 4]], [west, south, east, north]: [f64; 4], side: f64) -> Cells {
        let per_unit = 1.0 / side;
        let cols = ((east - west) * per_unit) as usize + 1;
        let rows = ((north - south) * per_unit) as usize + 1;
        let mut cells = Cells { west, south, per_unit, cols, rows, start: vec![0; cols * rows + 1], ranks: Vec::new() };
        // Counted, summed into offsets, then filled in rank order so that each list ascends.
        for b in boxes {
            for i in cells.meeting(b) {
                cells.start[i + 1] += 1;
            }
        }
        for i in 0..cols * rows {
            cells.start[i + 1] += cells.start[i];
        }
        let mut next = cells.start.clone();
        cells.ranks = vec![0; cells.start[cols * rows] as usize];
        for (rank, b) in boxes.iter().enumerate() {
            for i in cells.meeting(b) {
                cells.ranks[next[i] as usize] = rank as u32;
                next[i] += 1;
            }
        }
        cells
    }

    /// The column (or row) of a scaled coordinate, clamped to the lattice. Rounding is monotone,
    /// so a point within a box falls in a cell between those of the box's corners.
    fn index(&self, v: f64, from: f64, count: usize) -> usize {
        (((v - from) * self.per_unit).max(0.0) as usize).min(count - 1)
    }

    /// The cells a box meets.
    fn meeting(&self, b: &[f64; 4]) -> impl Iterator<Item = usize> + use<> {
        let (c0, c1) = (self.index(b[0], self.west, self.cols), self.index(b[2], self.west, self.cols));
        let (r0, r1) = (self.index(b[1], self.south, self.rows), self.index(b[3], self.south, self.rows));
        let cols = self.cols;
        (r0..=r1).flat_map(move |r| (c0..=c1).map(move |c| r * cols + c))
    }

    /// The ranks whose boxes may hold the scaled point `(x, y)`, ascending; none off the lattice.
    #[inline]
    fn at(&self, x: f64, y: f64) -> &[u32] {
        let (fx, fy) = ((x - self.west) * self.per_unit, (y - self.south) * self.per_unit);
        if !(fx >= 0.0 && fy >= 0.0) || fx >= self.cols as f64 || fy >= self.rows as f64 {
            return &[];
        }
        let i = fy as usize * self.cols + fx as usize;
        &self.ranks[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

struct OutsideSearch {
    nearest: usize,
    distance_m: f64,
    snapped: Option<usize>,
}

impl fmt::Debug for GridIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GridIndex")
            .field("grids", &self.codes.len())
            .field("vertices", &self.vertices.len())
            .field("snap_m", &self.snap_m)
            .finish()
    }
}

/// A ring without the closing vertex or repeated vertices, checked for validity.
fn clean_ring(code: &AreaCode, ring: &[Point]) -> Result<Vec<Point>, Refusal> {
    let mut out: Vec<Point> = Vec::with_capacity(ring.len());
    for (i, &v) in ring.iter().enumerate() {
        if !v.is_valid() {
            return Err(Refusal::bad_field(
                "polygon",
                format!("网格 {code} 的第 {} 个顶点 ({}, {}) 不是有效坐标", i + 1, v.lon, v.lat),
                format!("grid {code}: vertex {} ({}, {}) is not a valid coordinate", i + 1, v.lon, v.lat),
            ));
        }
        if out.last() != Some(&v) {
            out.push(v);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    let area = Polygon { exterior: out.clone(), holes: Vec::new() }.area_m2();
    if out.len() < 3 || area < MIN_RING_AREA_M2 {
        return Err(Refusal::bad_field(
            "polygon",
            format!("网格 {code} 的边界退化（不同顶点 {} 个，面积 {area:.3} 平方米）", out.len()),
            format!("grid {code}: a degenerate ring ({} distinct vertices, {area:.3} m²)", out.len()),
        ));
    }
    Ok(out)
}

/// "约 120 米" / "about 120 m"; kilometres from 10 km on.
fn describe_distance(m: f64) -> (String, String) {
    if m < 1.0 {
        ("不到 1 米".into(), "less than 1 m".into())
    } else if m < 10_000.0 {
        let m = m.round();
        (format!("约 {m} 米"), format!("about {m} m"))
    } else {
        let km = (m / 100.0).round() / 10.0;
        (format!("约 {km} 公里"), format!("about {km} km"))
    }
}

#[cfg(test)]
mod tests {
    use std::hint::black_box;
    use std::time::Instant;

    use super::*;

    #[test]
    fn a_circle_holds_what_lies_within_its_radius() {
        let c = Circle { centre: Point::new(116.40, 39.90), radius_m: 1000.0 };
        let (sw, ne) = c.bbox();
        // 1 km north and 1 km east, by the haversine distance.
        assert!((distance_m(c.centre, Point::new(116.40, ne.lat)) - 1000.0).abs() < 1.0);
        assert!((distance_m(c.centre, Point::new(ne.lon, 39.90)) - 1000.0).abs() < 1.0);
        assert!((distance_m(c.centre, Point::new(sw.lon, sw.lat)) - 1414.2).abs() < 2.0);
        // The box's corner is outside; 990 m east is in, 1010 m east is out.
        assert!(!c.contains(ne));
        let east = |m: f64| Point::new(116.40 + m / c.m_per_deg_lon(), 39.90);
        assert!(c.contains(east(990.0)) && !c.contains(east(1010.0)));
        // At 5 km the projection stays within a few metres of the haversine distance.
        let far = Circle { radius_m: 5000.0, ..c };
        let p = Point::new(116.43, 39.93);
        assert!((far.distance_m(p) - distance_m(c.centre, p)).abs() < 5.0, "{}", far.distance_m(p));
    }

    #[test]
    fn snapping_hides_the_door_but_not_the_street() {
        let p = Point::new(116.403_21, 39.914_87);
        let s = snap(p, 50.0);
        // No farther than half a cell's diagonal, and not the point itself.
        assert!(distance_m(p, s) <= 25.0 * 2f64.sqrt() + 0.5, "{}", distance_m(p, s));
        assert_ne!(s, p);
        // Every point of the cell gives the same answer; snapping again changes nothing.
        assert_eq!(snap(Point::new(p.lon + 0.000_05, p.lat - 0.000_05), 50.0), s);
        assert_eq!(snap(s, 50.0), s);
        // A point a cell further north lands in the next row: 50 m north, its columns shifted
        // a little east or west (they follow each row's own latitude).
        let next = snap(Point::new(p.lon, p.lat + 50.0 / M_PER_DEG), 50.0);
        assert!(((next.lat - s.lat) * M_PER_DEG - 50.0).abs() < 0.2, "{next:?}");
        assert!((50.0..=50.0 * 2f64.sqrt()).contains(&distance_m(s, next)), "{}", distance_m(s, next));
    }

    #[test]
    fn an_interior_point_is_inside_even_when_the_centroid_is_not() {
        let square = Polygon::rectangle(0.0, 0.0, 2.0, 2.0);
        assert_eq!(square.interior_point(), Some(Point::new(1.0, 1.0)));
        // A U shape: its centroid falls in the notch.
        let u = Polygon {
            exterior: vec![
                Point::new(0.0, 0.0),
                Point::new(3.0, 0.0),
                Point::new(3.0, 3.0),
                Point::new(2.0, 3.0),
                Point::new(2.0, 1.0),
                Point::new(1.0, 1.0),
                Point::new(1.0, 3.0),
                Point::new(0.0, 3.0),
            ],
            holes: vec![],
        };
        assert!(!u.contains(u.centroid()));
        let p = u.interior_point().unwrap();
        assert!(u.contains(p), "{p:?}");
        assert_eq!(Polygon { exterior: vec![], holes: vec![] }.interior_point(), None);
    }

    #[test]
    fn the_hull_of_two_rectangles_spans_both() {
        let a = Polygon::rectangle(0.0, 0.0, 1.0, 1.0);
        let b = Polygon::rectangle(1.0, 0.0, 2.0, 2.0);
        let hull = convex_hull(a.exterior.iter().chain(&b.exterior).copied());
        let mut corners: Vec<(f64, f64)> = hull.exterior.iter().map(|p| (p.lon, p.lat)).collect();
        corners.sort_by(|x, y| x.partial_cmp(y).unwrap());
        // (1, 1) lies inside and (1, 0) on an edge: both left out.
        assert_eq!(corners, [(0.0, 0.0), (0.0, 1.0), (1.0, 2.0), (2.0, 0.0), (2.0, 2.0)]);
        assert!(hull.contains(Point::new(1.5, 0.5)) && !hull.contains(Point::new(0.2, 1.5)));
        assert_eq!(convex_hull([Point::new(1.0, 1.0), Point::new(1.0, 1.0)]).exterior.len(), 1);
    }

    fn code(s: &str) -> AreaCode {
        AreaCode::parse("code", s).unwrap()
    }

    fn pt(lon: f64, lat: f64) -> Point {
        Point::new(lon, lat)
    }

    /// Degrees of longitude for `m` metres east at latitude `lat`.
    fn east_deg(m: f64, lat: f64) -> f64 {
        m / (M_PER_DEG * lat.to_radians().cos())
    }

    /// Deterministic pseudo-random numbers (SplitMix64).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn range(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * self.unit()
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const ORIGIN: Point = Point::new(116.30, 39.85);

    /// A seamless synthetic tiling of `cols × rows` cells over `width × height` degrees from
    /// [`ORIGIN`], numbered west→east then north→south. Columns before `irregular_from` are
    /// rectangles (with `holes`, every seventh has a square hole filled by a grid of its own);
    /// the others have jittered corners and 0–4 extra vertices on each edge, shared with the
    /// neighbour, so they are irregular and often concave (4–20 vertices).
    fn tiling(
        cols: usize,
        rows: usize,
        width: f64,
        height: f64,
        irregular_from: usize,
        holes: bool,
        seed: u64,
    ) -> Vec<(AreaCode, Polygon)> {
        let mut rng = Rng(seed);
        let (w, h) = (width / cols as f64, height / rows as f64);
        let lattice: Vec<Vec<Point>> = (0..=rows)
            .map(|r| {
                (0..=cols)
                    .map(|c| {
                        let jitter = c > irregular_from && c < cols && r > 0 && r < rows;
                        let (jx, jy) =
                            if jitter { (rng.range(-0.15, 0.15), rng.range(-0.15, 0.15)) } else { (0.0, 0.0) };
                        pt(ORIGIN.lon + (c as f64 + jx) * w, ORIGIN.lat + (r as f64 + jy) * h)
                    })
                    .collect()
            })
            .collect();
        // A shared edge from `a` to `b`, bent perpendicular when irregular (both ends included).
        let mut edge = |a: Point, b: Point, irregular: bool| -> Vec<Point> {
            let k = if irregular { rng.below(5) } else { 0 };
            let mut line = vec![a];
            for i in 1..=k {
                let t = i as f64 / (k + 1) as f64;
                let off = rng.range(-0.1, 0.1);
                // Perpendicular in cell units: swap the roles of the axes.
                let (dx, dy) = ((b.lon - a.lon) / w, (b.lat - a.lat) / h);
                line.push(pt(a.lon + t * (b.lon - a.lon) - off * dy * w, a.lat + t * (b.lat - a.lat) + off * dx * h));
            }
            line.push(b);
            line
        };
        let horizontal: Vec<Vec<Vec<Point>>> = (0..=rows)
            .map(|r| {
                (0..cols)
                    .map(|c| edge(lattice[r][c], lattice[r][c + 1], c >= irregular_from && r > 0 && r < rows))
                    .collect()
            })
            .collect();
        let vertical: Vec<Vec<Vec<Point>>> = (0..=cols)
            .map(|c| {
                (0..rows).map(|r| edge(lattice[r][c], lattice[r + 1][c], c > irregular_from && c < cols)).collect()
            })
            .collect();
        let mut grids = Vec::new();
        let mut inner = 0;
        for r in 0..rows {
            for c in 0..cols {
                let mut ring = Vec::new();
                let forward = |ring: &mut Vec<Point>, line: &[Point]| ring.extend(&line[..line.len() - 1]);
                let backward = |ring: &mut Vec<Point>, line: &[Point]| ring.extend(line[1..].iter().rev());
                forward(&mut ring, &horizontal[r][c]);
                forward(&mut ring, &vertical[c + 1][r]);
                backward(&mut ring, &horizontal[r + 1][c]);
                backward(&mut ring, &vertical[c][r]);
                let n = (rows - 1 - r) * cols + c;
                let id = format!("110101001{:03}{:03}", n / 999 + 1, n % 999 + 1);
                let mut polygon = Polygon { exterior: ring, holes: Vec::new() };
                if holes && c < irregular_from && (c + r) % 7 == 3 {
                    let (x, y) = (ORIGIN.lon + c as f64 * w, ORIGIN.lat + r as f64 * h);
                    let hole = Polygon::rectangle(x + 0.35 * w, y + 0.35 * h, x + 0.65 * w, y + 0.65 * h);
                    polygon.holes.push(hole.exterior.iter().rev().copied().collect());
                    inner += 1;
                    let id = format!("110101001{:03}{:03}", 900 + inner / 999, inner % 999 + 1);
                    grids.push((code(&id), hole));
                }
                grids.push((code(&id), polygon));
            }
        }
        grids
    }

    /// The answer [`GridIndex::locate`] must give (snapping off), by scanning every polygon.
    fn brute_locate(grids: &[(AreaCode, Polygon)], p: Point) -> Option<&AreaCode> {
        grids.iter().filter(|(_, g)| g.contains(p)).map(|(c, _)| c).min()
    }

    fn brute_nearest(grids: &[(AreaCode, Polygon)], p: Point) -> (&AreaCode, f64) {
        grids.iter().map(|(c, g)| (c, g.distance_m(p))).min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(b.0))).unwrap()
    }

    #[test]
    fn rectangle_contains_its_border_and_measures_itself() {
        let (w, s) = (116.39, 39.90);
        let (e, n) = (w + east_deg(1000.0, 39.9), s + 1000.0 / M_PER_DEG);
        let r = Polygon::rectangle(w, s, e, n);
        assert!(r.contains(pt((w + e) / 2.0, (s + n) / 2.0)));
        for corner in [pt(w, s), pt(e, s), pt(e, n), pt(w, n)] {
            assert!(r.contains(corner), "{corner:?}");
        }
        assert!(r.contains(pt(w, (s + n) / 2.0)) && r.contains(pt((w + e) / 2.0, n)));
        assert!(!r.contains(pt(w - 1e-9, s)) && !r.contains(pt(e, n + 1e-9)));
        assert_eq!(r.bbox(), (pt(w, s), pt(e, n)));
        assert!((r.area_m2() - 1_000_000.0).abs() < 2_000.0, "{}", r.area_m2());
        let c = r.centroid();
        assert!((c.lon - (w + e) / 2.0).abs() < 1e-12 && (c.lat - (s + n) / 2.0).abs() < 1e-12);
        assert_eq!(r.distance_m(c), 0.0);
    }

    #[test]
    fn closed_and_open_rings_are_the_same_polygon() {
        let open = Polygon::rectangle(0.0, 0.0, 1.0, 1.0);
        let mut closed = open.clone();
        closed.exterior.push(closed.exterior[0]);
        let mut clockwise = open.clone();
        clockwise.exterior.reverse();
        for p in [pt(0.5, 0.5), pt(0.0, 0.0), pt(1.0, 0.3), pt(1.5, 0.5), pt(-0.1, 1.0)] {
            assert_eq!(open.contains(p), closed.contains(p), "{p:?}");
            assert_eq!(open.contains(p), clockwise.contains(p), "{p:?}");
        }
        assert_eq!(open.area_m2(), closed.area_m2());
        assert_eq!(open.centroid(), closed.centroid());
    }

    #[test]
    fn concave_polygons_exclude_their_notch() {
        // A "U": the notch (1..2, 1..3) is open to the north.
        let u = Polygon {
            exterior: [(0., 0.), (3., 0.), (3., 3.), (2., 3.), (2., 1.), (1., 1.), (1., 3.), (0., 3.)]
                .map(|(x, y)| pt(x, y))
                .to_vec(),
            holes: vec![],
        };
        assert!(u.contains(pt(0.5, 2.0)) && u.contains(pt(2.5, 2.0)) && u.contains(pt(1.5, 0.5)));
        assert!(!u.contains(pt(1.5, 2.0)), "the notch is outside");
        assert!(u.contains(pt(1.5, 1.0)) && u.contains(pt(1.0, 2.0)), "the notch's border is inside");
        assert!(u.contains(pt(2.0, 1.0)), "the reflex vertex is inside");
        // A ray along the notch's floor passes through two vertices and must still count right.
        assert!(u.contains(pt(0.5, 1.0)) && !u.contains(pt(-0.5, 1.0)) && !u.contains(pt(3.5, 1.0)));
        assert!(!u.contains(pt(1.5, 3.0)), "the mouth of the notch is outside");
        let c = u.centroid();
        assert!((c.lon - 1.5).abs() < 1e-12 && (c.lat - 9.5 / 7.0).abs() < 1e-12, "{c:?}");
    }

    #[test]
    fn holes_are_outside_but_their_border_is_inside() {
        let mut g = Polygon::rectangle(0.0, 0.0, 0.004, 0.004);
        g.holes.push(Polygon::rectangle(0.001, 0.001, 0.003, 0.003).exterior);
        assert!(!g.contains(pt(0.002, 0.002)));
        assert!(g.contains(pt(0.001, 0.002)) && g.contains(pt(0.003, 0.003)));
        assert!(g.contains(pt(0.0005, 0.002)) && g.contains(pt(0.0035, 0.0035)));
        let full = Polygon::rectangle(0.0, 0.0, 0.004, 0.004).area_m2();
        let hole = Polygon::rectangle(0.001, 0.001, 0.003, 0.003).area_m2();
        assert!((g.area_m2() - (full - hole)).abs() < 1e-6);
        assert!((g.distance_m(pt(0.002, 0.002)) - 0.001 * M_PER_DEG).abs() < 0.01);

        // The hole is another grid (专属网格), with a larger code: it still gets the point.
        let outer = code("110101001001001");
        let inner = code("110101001001002");
        let index = GridIndex::new([
            (outer.clone(), g.clone()),
            (inner.clone(), Polygon::rectangle(0.001, 0.001, 0.003, 0.003)),
        ])
        .unwrap();
        assert_eq!(index.locate(pt(0.002, 0.002)).unwrap(), inner);
        assert_eq!(index.locate(pt(0.0005, 0.002)).unwrap(), outer);
        assert_eq!(index.locate(pt(0.001, 0.002)).unwrap(), outer, "shared border: smaller code");
        // An empty hole: the point is outside, 0.001° from the hole's border.
        let index = GridIndex::new([(outer.clone(), g)]).unwrap();
        let e = index.locate(pt(0.002, 0.002)).unwrap_err();
        assert_eq!(e.code, "outside_grids");
        assert!(e.zh.contains("110101001001001") && e.zh.contains("约 111 米"), "{e}");
    }

    /// Four rectangles meeting at one corner, and a pair sharing a slanted edge.
    fn quartet() -> Vec<(AreaCode, Polygon)> {
        let (x0, x1, x2) = (116.39, 116.392, 116.394);
        let (y0, y1, y2) = (39.90, 39.902, 39.904);
        vec![
            (code("110101001001001"), Polygon::rectangle(x0, y1, x1, y2)), // north-west
            (code("110101001001002"), Polygon::rectangle(x1, y1, x2, y2)), // north-east
            (code("110101001001003"), Polygon::rectangle(x0, y0, x1, y1)), // south-west
            (code("110101001001004"), Polygon::rectangle(x1, y0, x2, y1)), // south-east
            // Two triangles east of them, split by a slanted diagonal.
            (
                code("110101001001006"),
                Polygon { exterior: vec![pt(x2, y0), pt(116.397, y0), pt(116.397, y2)], holes: vec![] },
            ),
            (
                code("110101001001005"),
                Polygon { exterior: vec![pt(x2, y0), pt(116.397, y2), pt(x2, y2)], holes: vec![] },
            ),
        ]
    }

    #[test]
    fn shared_borders_and_corners_go_to_the_smallest_code_in_any_order() {
        let grids = quartet();
        let probes = [
            (pt(116.392, 39.902), "110101001001001"),   // the corner of four grids
            (pt(116.391, 39.902), "110101001001001"),   // NW | SW
            (pt(116.393, 39.902), "110101001001002"),   // NE | SE
            (pt(116.392, 39.903), "110101001001001"),   // NW | NE
            (pt(116.392, 39.901), "110101001001003"),   // SW | SE
            (pt(116.394, 39.903), "110101001001002"),   // NE | triangle 005
            (pt(116.394, 39.90), "110101001001004"),    // SE | both triangles, at a vertex
            (pt(116.397, 39.904), "110101001001005"),   // the diagonal's end
            (pt(116.3915, 39.9035), "110101001001001"), // plainly inside
        ];
        // Every insertion order: all rotations and their reverses.
        for shift in 0..grids.len() {
            for reverse in [false, true] {
                let mut order = grids.clone();
                order.rotate_left(shift);
                if reverse {
                    order.reverse();
                }
                let index = GridIndex::new(order).unwrap();
                for (p, want) in probes {
                    assert_eq!(index.locate(p).unwrap().as_str(), want, "{p:?}");
                    assert_eq!(index.nearest(p).unwrap(), (code(want), 0.0));
                }
            }
        }
        // Points on or right beside the slanted shared edge always land in a triangle.
        // Neighbouring floats on either side, with snapping off: never in neither.
        let index = GridIndex::new(grids).unwrap().with_snap_m(0.0);
        for i in 1..1000 {
            let t = i as f64 / 1000.0;
            let on = pt(116.394 + t * 0.003, 39.90 + t * 0.004);
            for p in [
                on,
                pt(on.lon.next_up(), on.lat),
                pt(on.lon.next_down(), on.lat),
                pt(on.lon, on.lat.next_up()),
                pt(on.lon, on.lat.next_down()),
            ] {
                let got = index.locate(p);
                assert!(got.is_ok(), "{p:?}: {got:?}");
            }
        }
    }

    #[test]
    fn outside_point_is_refused_naming_the_nearest_grid() {
        let index = GridIndex::new(quartet()).unwrap();
        // 120 m south of the south-west grid's bottom edge.
        let p = pt(116.391, 39.90 - 120.0 / M_PER_DEG);
        let e = index.locate(p).unwrap_err();
        assert_eq!(e.code, "outside_grids");
        assert_eq!(e.zh, "位置不在任何网格内，最近的网格是 110101001001003（约 120 米）");
        assert_eq!(e.en, "the location is not inside any grid; the nearest grid is 110101001001003 (about 120 m)");
        // Equally far from two grids (south of their shared corner): the smaller code.
        let (c, d) = index.nearest(pt(116.392, 39.89)).unwrap();
        assert_eq!(c.as_str(), "110101001001003");
        assert!((d - 0.01 * M_PER_DEG).abs() < 0.01, "{d}");
        // Far away: kilometres.
        let e = index.locate(pt(121.47, 31.23)).unwrap_err();
        assert!(e.zh.contains("公里") && e.en.contains(" km)"), "{e}");
        // No grids at all.
        let empty = GridIndex::new([]).unwrap();
        assert!(empty.is_empty() && empty.nearest(p).is_none());
        assert_eq!(empty.locate(p).unwrap_err().code, "outside_grids");
    }

    #[test]
    fn nearest_distance_is_metres_at_beijing_latitude() {
        let lat = 39.9;
        let east_edge = 116.40;
        let grid = Polygon::rectangle(116.39, lat - 0.001, east_edge, lat + 0.001);
        let index = GridIndex::new([(code("110101001001001"), grid.clone())]).unwrap();
        let p = pt(east_edge + east_deg(100.0, lat), lat);
        let (c, d) = index.nearest(p).unwrap();
        assert_eq!(c.as_str(), "110101001001001");
        assert!((d - 100.0).abs() < 2.0, "{d}");
        assert!((grid.distance_m(p) - 100.0).abs() < 2.0);
        assert!((distance_m(p, pt(east_edge, lat)) - 100.0).abs() < 2.0);
        // Diagonal from the north-east corner: 300 m east, 400 m north ≈ 500 m.
        let q = pt(east_edge + east_deg(300.0, lat + 0.001), lat + 0.001 + 400.0 / M_PER_DEG);
        assert!((index.nearest(q).unwrap().1 - 500.0).abs() < 2.0);
        assert!((distance_m(q, pt(east_edge, lat + 0.001)) - 500.0).abs() < 2.0);
        // Inside: zero.
        assert_eq!(index.nearest(pt(116.395, lat)).unwrap().1, 0.0);
    }

    #[test]
    fn haversine_distance() {
        assert!((distance_m(pt(116.0, 39.0), pt(116.0, 40.0)) - 111_195.0).abs() < 1.0);
        assert_eq!(distance_m(pt(116.4, 39.9), pt(116.4, 39.9)), 0.0);
        // Beijing to Shanghai, about 1,067 km.
        let d = distance_m(pt(116.4074, 39.9042), pt(121.4737, 31.2304));
        assert!((d - 1_067_000.0).abs() < 5_000.0, "{d}");
    }

    #[test]
    fn invalid_coordinates_are_refused_naming_the_field() {
        let index = GridIndex::new(quartet()).unwrap();
        for (p, field) in [
            (pt(f64::NAN, 39.9), "lon"),
            (pt(180.5, 39.9), "lon"),
            (pt(f64::NEG_INFINITY, 39.9), "lon"),
            (pt(116.4, f64::NAN), "lat"),
            (pt(116.4, 91.0), "lat"),
            (pt(39.9, 116.4), "lat"), // swapped
        ] {
            let e = index.locate(p).unwrap_err();
            assert_eq!(e.code, "invalid_field");
            assert!(e.zh.contains(field) && e.en.contains(&format!("field {field} ")), "{e}");
            assert_eq!(Point::new_checked(p.lon, p.lat).unwrap_err(), e);
            assert!(index.nearest(p).is_none());
        }
        assert_eq!(Point::new_checked(-180.0, -90.0).unwrap(), pt(-180.0, -90.0));
    }

    #[test]
    fn index_refuses_bad_codes_degenerate_polygons_and_duplicates() {
        let ok = Polygon::rectangle(116.39, 39.90, 116.391, 39.901);
        let e = GridIndex::new([(code("110101001001"), ok.clone())]).unwrap_err();
        assert!(e.code == "invalid_field" && e.en.contains("not a unit grid code"), "{e}");
        assert!(GridIndex::new([(code("110101001001001002"), ok.clone())]).is_err(), "a micro-grid");

        let g = code("110101001001001");
        let degenerate = [
            vec![pt(116.39, 39.90), pt(116.391, 39.90)],
            vec![pt(116.39, 39.90), pt(116.391, 39.90), pt(116.39, 39.90)],
            vec![pt(116.39, 39.90), pt(116.391, 39.90), pt(116.392, 39.90), pt(116.39, 39.90)],
            vec![pt(116.39, 39.90); 5],
            vec![],
        ];
        for ring in degenerate {
            let e = GridIndex::new([(g.clone(), Polygon { exterior: ring.clone(), holes: vec![] })]).unwrap_err();
            assert!(
                e.code == "invalid_field" && e.en.contains("degenerate") && e.zh.contains("110101001001001"),
                "{ring:?}: {e}"
            );
        }
        let mut holed = ok.clone();
        holed.holes.push(vec![pt(116.3901, 39.9001), pt(116.3902, 39.9001)]);
        assert!(GridIndex::new([(g.clone(), holed)]).unwrap_err().en.contains("degenerate"));
        let mut nan = ok.clone();
        nan.exterior[2].lat = f64::NAN;
        let e = GridIndex::new([(g.clone(), nan)]).unwrap_err();
        assert!(e.en.contains("field polygon") && e.en.contains("vertex 3"), "{e}");

        let e = GridIndex::new([
            (g.clone(), ok.clone()),
            (code("110101001001002"), ok.clone()),
            (g.clone(), Polygon::rectangle(116.40, 39.90, 116.401, 39.901)),
        ])
        .unwrap_err();
        assert_eq!(e.code, "duplicate_grid");
        assert!(e.zh.contains("110101001001001"));
        // A closed ring with a repeated vertex is fine.
        let mut closed = ok.clone();
        closed.exterior.insert(1, closed.exterior[1]);
        closed.exterior.push(closed.exterior[0]);
        assert_eq!(GridIndex::new([(g, closed)]).unwrap().len(), 1);
    }

    #[test]
    fn snapping_absorbs_slivers_between_grids() {
        // Two grids with a 1 cm gap between them (digitising noise).
        let gap = east_deg(0.01, 39.9);
        let west = (code("110101001001002"), Polygon::rectangle(116.39, 39.90, 116.391, 39.901));
        let east = (code("110101001001001"), Polygon::rectangle(116.391 + gap, 39.90, 116.392, 39.901));
        let index = GridIndex::new([west, east]).unwrap();
        let in_gap = pt(116.391 + gap / 2.0, 39.9005);
        assert_eq!(index.locate(in_gap).unwrap().as_str(), "110101001001001", "smallest code");
        let near = pt(116.392 + east_deg(0.03, 39.9), 39.9005);
        assert_eq!(index.locate(near).unwrap().as_str(), "110101001001001");
        let index = index.with_snap_m(0.0);
        assert_eq!(index.locate(in_gap).unwrap_err().code, "outside_grids");
        let far = pt(116.392 + east_deg(0.5, 39.9), 39.9005);
        assert_eq!(index.with_snap_m(1.0).locate(far).unwrap().as_str(), "110101001001001");
    }

    #[test]
    fn random_points_agree_with_a_brute_force_scan() {
        let (cols, rows) = (20, 15);
        let (width, height) = (0.02, 0.012);
        let grids = tiling(cols, rows, width, height, 8, true, 7);
        assert!(grids.len() > 300);
        let index = GridIndex::new(grids.iter().rev().cloned()).unwrap().with_snap_m(0.0);
        assert_eq!(index.len(), grids.len());
        let mut rng = Rng(42);
        let (mut located, mut on_vertices) = (0, 0);
        for i in 0..10_000 {
            let p = match i % 10 {
                // A vertex of some grid: on borders shared by up to four grids.
                0 => {
                    let (_, g) = &grids[rng.below(grids.len())];
                    on_vertices += 1;
                    g.exterior[rng.below(g.exterior.len())]
                }
                // Halfway along an edge.
                1 => {
                    let (_, g) = &grids[rng.below(grids.len())];
                    let j = rng.below(g.exterior.len());
                    let (a, b) = (g.exterior[j], g.exterior[(j + 1) % g.exterior.len()]);
                    pt((a.lon + b.lon) / 2.0, (a.lat + b.lat) / 2.0)
                }
                // Anywhere in and around the tiled area.
                _ => pt(
                    rng.range(ORIGIN.lon - 0.2 * width, ORIGIN.lon + 1.2 * width),
                    rng.range(ORIGIN.lat - 0.2 * height, ORIGIN.lat + 1.2 * height),
                ),
            };
            let inside_area = p.lon >= ORIGIN.lon
                && p.lon <= ORIGIN.lon + width
                && p.lat >= ORIGIN.lat
                && p.lat <= ORIGIN.lat + height;
            let want = brute_locate(&grids, p);
            assert_eq!(want.is_some(), inside_area, "the tiling is seamless: {p:?}");
            match (index.locate(p), want) {
                (Ok(got), Some(want)) => {
                    assert_eq!(&got, want, "{p:?}");
                    assert_eq!(index.nearest(p).unwrap(), (got, 0.0));
                    located += 1;
                }
                (Err(e), None) => {
                    let (want, want_d) = brute_nearest(&grids, p);
                    let (got, got_d) = index.nearest(p).unwrap();
                    assert!((got_d - want_d).abs() < 1e-6, "{p:?}: {got_d} vs {want_d}");
                    assert_eq!(&got, want, "{p:?}");
                    assert_eq!(e.code, "outside_grids");
                    assert!(e.zh.contains(got.as_str()) && e.en.contains(got.as_str()), "{e}");
                }
                (got, want) => panic!("{p:?}: index says {got:?}, scan says {want:?}"),
            }
        }
        assert!(located > 6_000 && on_vertices == 1_000, "{located}");
    }

    /// A rural grid thousands of times a block's size beside the blocks: the cells grow coarser
    /// rather than list it thousands of times, and every answer stays the scan's.
    #[test]
    fn a_huge_grid_beside_small_ones_keeps_the_cells_small() {
        let (width, height) = (0.02, 0.012);
        let mut grids = tiling(20, 15, width, height, 8, true, 11);
        let (east, north) = (ORIGIN.lon + width + 1.0, ORIGIN.lat + 0.5);
        grids.push((code("110102001001001"), Polygon::rectangle(ORIGIN.lon + width, ORIGIN.lat, east, north)));
        let index = GridIndex::new(grids.clone()).unwrap().with_snap_m(0.0);
        let cells = &index.cells;
        assert!(cells.ranks.len() <= Cells::MAX_ENTRIES_PER_BOX * index.len(), "{}", cells.ranks.len());
        assert!(cells.cols * cells.rows <= Cells::MAX_CELLS_PER_BOX * index.len(), "{} × {}", cells.cols, cells.rows);
        let mut rng = Rng(5);
        for i in 0..5_000 {
            let p = if i % 2 == 0 {
                pt(rng.range(ORIGIN.lon, ORIGIN.lon + 1.5 * width), rng.range(ORIGIN.lat, ORIGIN.lat + height))
            } else {
                pt(rng.range(ORIGIN.lon, east + 0.1), rng.range(ORIGIN.lat - 0.1, north + 0.1))
            };
            assert_eq!(index.locate(p).ok().as_ref(), brute_locate(&grids, p), "{p:?}");
        }
    }

    #[test]
    fn the_index_is_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<GridIndex>();
        let index = std::sync::Arc::new(GridIndex::new(quartet()).unwrap());
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let index = index.clone();
                std::thread::spawn(move || index.locate(pt(116.392, 39.902)).unwrap())
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().as_str(), "110101001001001");
        }
    }

    /// Lookups per second over a Shanghai-sized index: 40,625 grids on 5 × 5 km, half of them
    /// rectangles, half irregular (4–20 vertices). Timing is printed, never asserted:
    /// `cargo test --release -p yiwang-domain geo::tests::speed -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn speed_of_locate_over_40625_grids() {
        let (width, height) = (east_deg(5000.0, 39.9), 5000.0 / M_PER_DEG);
        let started = Instant::now();
        let grids = tiling(325, 125, width, height, 162, false, 1);
        assert_eq!(grids.len(), 40_625);
        let vertices: usize = grids.iter().map(|(_, g)| g.exterior.len()).sum();
        let generated = started.elapsed();
        let started = Instant::now();
        let index = GridIndex::new(grids).unwrap();
        println!(
            "{} grids, {vertices} exterior vertices: generated in {generated:?}, indexed in {:?}",
            index.len(),
            started.elapsed()
        );

        let mut rng = Rng(3);
        let points: Vec<Point> = (0..1_000_000)
            .map(|_| pt(rng.range(ORIGIN.lon, ORIGIN.lon + width), rng.range(ORIGIN.lat, ORIGIN.lat + height)))
            .collect();
        let per_second = |started: Instant| points.len() as f64 / started.elapsed().as_secs_f64();
        for round in 0..3 {
            let started = Instant::now();
            for &p in &points {
                black_box(index.locate_ref(black_box(p)).unwrap());
            }
            let borrowed = per_second(started);
            let started = Instant::now();
            for &p in &points {
                black_box(index.locate(black_box(p)).unwrap());
            }
            let owned = per_second(started);
            println!("round {round}: locate_ref {:.2} M/s, locate {:.2} M/s (1 thread)", borrowed / 1e6, owned / 1e6);
        }
        let outside: Vec<Point> = (0..10_000)
            .map(|_| pt(rng.range(ORIGIN.lon - width, ORIGIN.lon), rng.range(ORIGIN.lat, ORIGIN.lat + height)))
            .collect();
        let started = Instant::now();
        for &p in &outside {
            black_box(index.locate(black_box(p)).unwrap_err());
        }
        println!(
            "outside (refusal with nearest) {:.0} k/s",
            outside.len() as f64 / started.elapsed().as_secs_f64() / 1e3
        );
    }
}
