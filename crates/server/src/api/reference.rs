//! The reference data: jurisdiction tree, grids, taxonomy, units and the responsibility list.
//! Readable by anyone signed in (the public needs the taxonomy and the map to report).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::Lang;
use yiwang_domain::codes::AreaCode;
use yiwang_domain::geo::{Point, Polygon};
use yiwang_domain::jurisdiction::GridKind;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorBody, Json, Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(areas))
        .routes(routes!(grids))
        .routes(routes!(grid))
        .routes(routes!(outline))
        .routes(routes!(locate))
        .routes(routes!(taxonomy))
        .routes(routes!(units))
        .routes(routes!(duties))
}

#[derive(Serialize, ToSchema)]
pub struct AreaView {
    pub code: String,
    pub name: String,
    /// `province`, `city`, `county`, `street` or `community`.
    pub level: String,
    pub parent: Option<String>,
}

/// The jurisdiction tree above the grids, top down.
#[utoipa::path(get, path = "/api/areas", tag = "reference", responses((status = 200, body = Vec<AreaView>)))]
async fn areas(State(app): State<AppState>) -> Json<Vec<AreaView>> {
    let loaded = app.0.engine.loaded();
    Json(
        loaded
            .jurisdiction
            .areas()
            .map(|a| AreaView {
                code: a.code.to_string(),
                name: a.name.clone(),
                level: level_name(&a.code),
                parent: a.code.parent().map(|p| p.to_string()),
            })
            .collect(),
    )
}

fn level_name(code: &AreaCode) -> String {
    serde_json::to_value(code.level()).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[derive(Serialize, ToSchema)]
pub struct GridView {
    pub code: String,
    pub name: String,
    /// `comprehensive` (综合网格), `dedicated` (专属网格) or `micro` (微网格).
    pub kind: String,
    /// Staff ids of the grid members.
    pub members: Vec<String>,
    /// GeoJSON Polygon geometry (WGS-84 lon/lat).
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GridQuery {
    /// Only grids under this node (2–15 digits).
    pub area: Option<String>,
}

/// A polygon as a GeoJSON Polygon geometry (rings closed).
fn geometry(polygon: &Polygon) -> serde_json::Value {
    let ring = |r: &Vec<Point>| {
        let mut v: Vec<[f64; 2]> = r.iter().map(|p| [p.lon, p.lat]).collect();
        if v.first() != v.last()
            && let Some(f) = v.first().copied()
        {
            v.push(f);
        }
        v
    };
    let mut rings = vec![ring(&polygon.exterior)];
    rings.extend(polygon.holes.iter().map(ring));
    serde_json::json!({"type": "Polygon", "coordinates": rings})
}

fn grid_view(g: &yiwang_domain::jurisdiction::Grid) -> GridView {
    GridView {
        code: g.code.to_string(),
        name: g.name.clone(),
        kind: match g.kind {
            GridKind::Comprehensive => "comprehensive",
            GridKind::Dedicated => "dedicated",
            GridKind::Micro => "micro",
        }
        .into(),
        members: g.members.clone(),
        geometry: geometry(&g.polygon),
    }
}

/// Grids with their polygons.
#[utoipa::path(get, path = "/api/grids", tag = "reference", params(GridQuery),
    responses((status = 200, body = Vec<GridView>), (status = 400, body = ErrorBody)))]
async fn grids(State(app): State<AppState>, Query(q): Query<GridQuery>) -> Result<Json<Vec<GridView>>, ApiError> {
    let area = q.area.as_deref().filter(|a| !a.is_empty()).map(|a| AreaCode::parse("area", a)).transpose()?;
    let loaded = app.0.engine.loaded();
    Ok(Json(
        loaded
            .jurisdiction
            .grids()
            .filter(|g| area.as_ref().is_none_or(|a| a.covers(&g.code)))
            .map(grid_view)
            .collect(),
    ))
}

/// One grid.
#[utoipa::path(get, path = "/api/grids/{code}", tag = "reference", params(("code" = String, Path, description = "15- or 18-digit grid code")),
    responses((status = 200, body = GridView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn grid(State(app): State<AppState>, Path(code): Path<String>) -> Result<Json<GridView>, ApiError> {
    let code = AreaCode::parse("code", &code)?;
    let loaded = app.0.engine.loaded();
    let g = loaded
        .jurisdiction
        .grid(&code)
        .ok_or_else(|| ApiError::not_found(format!("网格 {code} 不存在"), format!("grid {code} does not exist")))?;
    Ok(Json(grid_view(g)))
}

/// An area's outline.
#[derive(Serialize, ToSchema)]
pub struct OutlineView {
    pub code: String,
    pub name: String,
    /// GeoJSON Polygon geometry (WGS-84 lon/lat): the convex hull of the area's grids, so it
    /// may take in some ground between them; grids themselves come from `GET /api/grids?area=`.
    #[schema(value_type = Object)]
    pub geometry: serde_json::Value,
}

/// The outline of an area above the grids (a street, a community, a district), for maps.
#[utoipa::path(get, path = "/api/areas/{code}/outline", tag = "reference", params(("code" = String, Path, description = "2- to 12-digit area code")),
    responses((status = 200, body = OutlineView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn outline(State(app): State<AppState>, Path(code): Path<String>) -> Result<Json<OutlineView>, ApiError> {
    let code = AreaCode::parse("code", &code)?;
    let loaded = app.0.engine.loaded();
    match (loaded.jurisdiction.area(&code), loaded.outlines.get(&code)) {
        (Some(a), Some(p)) => {
            Ok(Json(OutlineView { code: code.to_string(), name: a.name.clone(), geometry: geometry(p) }))
        }
        _ => Err(ApiError::not_found(
            format!("区域 {code} 不存在或没有网格"),
            format!("area {code} does not exist or has no grids"),
        )),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocateQuery {
    pub lon: f64,
    pub lat: f64,
}

#[derive(Serialize, ToSchema)]
pub struct LocateView {
    pub grid: String,
    /// Names from the city down to the grid.
    pub place: Vec<String>,
}

/// The unit grid at a point; a point outside every grid is refused naming the nearest grid.
#[utoipa::path(get, path = "/api/locate", tag = "reference", params(LocateQuery),
    responses((status = 200, body = LocateView), (status = 400, body = ErrorBody)))]
async fn locate(State(app): State<AppState>, Query(q): Query<LocateQuery>) -> Result<Json<LocateView>, ApiError> {
    let p = Point::new_checked(q.lon, q.lat)?;
    let grid = app.0.engine.locate(p)?;
    let place = app.0.engine.loaded().jurisdiction.path_names(&grid).into_iter().map(str::to_owned).collect();
    Ok(Json(LocateView { grid: grid.to_string(), place }))
}

#[derive(Serialize, ToSchema)]
pub struct SubclassView {
    /// e.g. `E0102`.
    pub code: String,
    pub kind: String,
    pub class_name: String,
    pub name: String,
    /// `2h` working hours or `5d` working days.
    pub time_limit: String,
    pub unit_kind: String,
    pub urgency: String,
    /// Plain words residents type for it.
    pub synonyms: Vec<String>,
}

/// The taxonomy: every subclass with its class, time limit and unit kind, in the caller's language.
#[utoipa::path(get, path = "/api/taxonomy", tag = "reference", responses((status = 200, body = Vec<SubclassView>)))]
async fn taxonomy(State(app): State<AppState>, caller: Caller) -> Json<Vec<SubclassView>> {
    let t = &app.0.engine.rules().taxonomy;
    let en = caller.lang == Lang::En;
    Json(
        t.subclasses
            .iter()
            .map(|s| SubclassView {
                code: s.id.to_string(),
                kind: serde_json::to_value(s.id.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                class_name: t
                    .class_of(s.id)
                    .map(|c| if en { c.en.clone() } else { c.name.clone() })
                    .unwrap_or_default(),
                name: if en { s.en.clone() } else { s.name.clone() },
                time_limit: s.time_limit.to_string(),
                unit_kind: s.unit_kind.clone(),
                urgency: serde_json::to_value(s.urgency)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                synonyms: s.synonyms.clone(),
            })
            .collect(),
    )
}

#[derive(Serialize, ToSchema)]
pub struct UnitView {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// The node it serves.
    pub area: String,
}

/// The responsible units (责任单位).
#[utoipa::path(get, path = "/api/units", tag = "reference", responses((status = 200, body = Vec<UnitView>)))]
async fn units(State(app): State<AppState>) -> Json<Vec<UnitView>> {
    let loaded = app.0.engine.loaded();
    Json(
        loaded
            .responsibility
            .units()
            .iter()
            .map(|u| UnitView {
                id: u.id.clone(),
                name: u.name.clone(),
                kind: u.kind.clone(),
                area: u.area.to_string(),
            })
            .collect(),
    )
}

#[derive(Serialize, ToSchema)]
pub struct DutyView {
    pub subclass: String,
    pub area: String,
    pub lead: String,
    pub assisting: Vec<String>,
}

/// The listed duties of the responsibility list (权责清单); subclasses not listed go to the unit
/// of their kind, and failing that to the street office (属地兜底).
#[utoipa::path(get, path = "/api/duties", tag = "reference", responses((status = 200, body = Vec<DutyView>)))]
async fn duties(State(app): State<AppState>) -> Json<Vec<DutyView>> {
    let loaded = app.0.engine.loaded();
    Json(
        loaded
            .responsibility
            .duties()
            .iter()
            .map(|d| DutyView {
                subclass: d.subclass.to_string(),
                area: d.area.to_string(),
                lead: d.lead.clone(),
                assisting: d.assisting.clone(),
            })
            .collect(),
    )
}
