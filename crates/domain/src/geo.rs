//! (stub until the geo branch lands: same API)
use serde::{Deserialize, Serialize};
use crate::{codes::AreaCode, Refusal};
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point { pub lon: f64, pub lat: f64 }
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Polygon { pub exterior: Vec<Point>, pub holes: Vec<Vec<Point>> }
impl Polygon {
    pub fn rectangle(west: f64, south: f64, east: f64, north: f64) -> Polygon {
        let p = |lon, lat| Point { lon, lat };
        Polygon { exterior: vec![p(west, south), p(east, south), p(east, north), p(west, north)], holes: vec![] }
    }
    pub fn centroid(&self) -> Point { self.exterior[0] }
}
pub fn distance_m(a: Point, b: Point) -> f64 { let dx = (a.lon - b.lon) * 85_000.0; let dy = (a.lat - b.lat) * 111_000.0; (dx * dx + dy * dy).sqrt() }
pub struct GridIndex { grids: Vec<(AreaCode, Polygon)> }
impl GridIndex {
    pub fn new(grids: impl IntoIterator<Item = (AreaCode, Polygon)>) -> Result<GridIndex, Refusal> { Ok(GridIndex { grids: grids.into_iter().collect() }) }
    pub fn len(&self) -> usize { self.grids.len() }
    pub fn locate(&self, p: Point) -> Result<AreaCode, Refusal> { let _ = p; Ok(self.grids[0].0.clone()) }
    pub fn nearest(&self, p: Point) -> Option<(AreaCode, f64)> { let _ = p; None }
}
