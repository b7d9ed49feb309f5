//! The public board's story: cases near a point (`CaseFilter::near`), exactly the circle and not
//! its bounding box, alone and with states, area and paging; and landmarks kept with the
//! reference data. Needs a fresh store.

use std::sync::Arc;

use yiwang_domain::case::{self, Action, Actor, Case, Role, State};
use yiwang_domain::geo::{Circle, Point};

use super::{T0, code, reference, report, rules, staff, step};
use crate::{CaseFilter, Change, Store};

/// Opens a case at an exact point, in the grid on that side of the street border (116.402).
async fn open_at(s: &dyn Store, p: Point) -> Case {
    let grid = if p.lon >= 116.402 { "110101002001001" } else { "110101001001002" };
    let mut r = report(grid, "E0101", p.lon);
    r.location = p;
    let id = s.allocate_case_ids(1).await.expect("allocate id");
    let (c, event) = case::open(id, r, &Actor::resident("near"), T0, &rules()).expect("open");
    s.commit(vec![Change { case: c.clone(), event, evaluation: None }]).await.expect("commit new case");
    c
}

async fn ids(s: &dyn Store, f: CaseFilter) -> Vec<i64> {
    let n = s.count_cases_where(&f).await.expect("count near");
    let found: Vec<i64> = s.find_cases(&f).await.expect("find near").iter().map(|c| c.id).collect();
    assert_eq!(n, found.len() as i64, "count and list agree for {f:?}");
    found
}

pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let r = reference();
    assert!(!r.landmarks.is_empty());
    s.save_reference(&r).await.expect("save reference");
    assert_eq!(s.load_reference().await.expect("load reference").landmarks, r.landmarks, "landmarks round-trip");
    let mut fewer = r.clone();
    fewer.landmarks.truncate(1);
    s.save_reference(&fewer).await.expect("save again");
    assert_eq!(s.load_reference().await.unwrap().landmarks, fewer.landmarks, "saving replaces landmarks");

    // On the border of the two streets; 100 m around it.
    let circle = Circle { centre: Point::new(116.402, 39.9005), radius_m: 100.0 };
    let at = |east_m: f64, north_m: f64| {
        Point::new(
            circle.centre.lon + east_m / circle.m_per_deg_lon(),
            circle.centre.lat + north_m / Circle::M_PER_DEG_LAT,
        )
    };
    // Sixteen directions at 95 m (inside) and 105 m (outside), and the box's corners (outside).
    let mut cases = Vec::new();
    for k in 0..16 {
        let a = f64::from(k) * std::f64::consts::TAU / 16.0;
        for m in [95.0, 105.0] {
            cases.push(open_at(s, at(m * a.cos(), m * a.sin())).await);
        }
    }
    for (e, n) in [(99.0, 99.0), (-99.0, 99.0), (99.0, -99.0), (-99.0, -99.0)] {
        cases.push(open_at(s, at(e, n)).await);
    }
    let mut inside: Vec<i64> = cases.iter().filter(|c| circle.contains(c.location)).map(|c| c.id).collect();
    inside.reverse();
    assert_eq!(inside.len(), 16);
    let near = |f: CaseFilter| CaseFilter { near: Some(circle), limit: 100, ..f };
    assert_eq!(ids(s, near(CaseFilter::default())).await, inside, "exactly the circle, newest first");

    // With a state: the one filed.
    let filed = cases.iter().find(|c| c.id == inside[3]).unwrap();
    let filed =
        step(s, filed, staff("op", Role::IntakeOperator, None), 1, Action::File { subclass: None, urgency: None })
            .await;
    assert_eq!(ids(s, near(CaseFilter { states: vec![State::Filed], ..Default::default() })).await, vec![filed.id]);

    // With an area: the half east of the border.
    let east: Vec<i64> =
        cases.iter().rev().filter(|c| circle.contains(c.location) && c.location.lon >= 116.402).map(|c| c.id).collect();
    assert!(!east.is_empty() && east.len() < inside.len());
    assert_eq!(ids(s, near(CaseFilter { area: Some(code("110101002")), ..Default::default() })).await, east);

    // Paging by id, newest first.
    let page = s.find_cases(&CaseFilter { before_id: Some(inside[4]), limit: 5, ..near(CaseFilter::default()) }).await;
    assert_eq!(page.unwrap().iter().map(|c| c.id).collect::<Vec<_>>(), inside[5..10].to_vec());

    // A small circle far away finds nothing.
    let far = Circle { centre: Point::new(116.5, 39.95), radius_m: 500.0 };
    assert!(ids(s, CaseFilter { near: Some(far), limit: 100, ..Default::default() }).await.is_empty());
}
