//! Duplicate suggestion (疑似重复): an open case of the same subclass near in space and time.
//!
//! The store finds candidates (same subclass, open, reported within the window, inside a box
//! around the point); this module decides which are close enough and orders them nearest first.

use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::geo::{Point, distance_m};
use crate::time::{HOUR_MS, Timestamp};

/// How near counts as "the same problem". Configurable per deployment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DuplicateWindow {
    pub metres: f64,
    pub hours: i64,
}

impl Default for DuplicateWindow {
    fn default() -> Self {
        DuplicateWindow { metres: 50.0, hours: 72 }
    }
}

impl DuplicateWindow {
    /// The earliest report time that still counts.
    pub fn since(&self, at: Timestamp) -> Timestamp {
        at.plus_ms(-self.hours * HOUR_MS)
    }

    /// A box (south-west, north-east) that surely holds every point within `metres` of `p`.
    pub fn bbox(&self, p: Point) -> (Point, Point) {
        let dlat = self.metres / 111_000.0 * 1.01;
        let dlon = dlat / p.lat.to_radians().cos().max(0.01);
        (Point { lon: p.lon - dlon, lat: p.lat - dlat }, Point { lon: p.lon + dlon, lat: p.lat + dlat })
    }
}

/// A suggested duplicate with its distance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub case_id: i64,
    pub metres: f64,
}

/// The candidates that are open, of the subclass, within the window; nearest first.
pub fn suggest<'a>(
    window: &DuplicateWindow,
    subject: &Case,
    candidates: impl IntoIterator<Item = &'a Case>,
) -> Vec<Suggestion> {
    let since = window.since(subject.reported_at);
    let mut found: Vec<Suggestion> = candidates
        .into_iter()
        .filter(|c| c.id != subject.id && c.state.is_open() && c.subclass == subject.subclass)
        .filter(|c| c.reported_at >= since && c.reported_at <= subject.reported_at.plus_ms(window.hours * HOUR_MS))
        .map(|c| Suggestion { case_id: c.id, metres: distance_m(c.location, subject.location) })
        .filter(|s| s.metres <= window.metres)
        .collect();
    found.sort_by(|a, b| a.metres.total_cmp(&b.metres).then(a.case_id.cmp(&b.case_id)));
    found
}
