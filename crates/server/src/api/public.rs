//! What anyone may read without an account: the public board of cases (公开案件) and the named
//! places for choosing where a problem is without a map (地标, for screen-reader users and
//! whoever prefers a list).
//!
//! The board shows cases once they are filed (立案) and were not voided or merged
//! ([`State::is_public`]), masked for the public: no reporter, followers or staff; phone numbers,
//! ID numbers and e-mail addresses inside the description and address masked as in Open311's
//! lists ([`public_text`], which leaves our own area and grid codes readable); the location
//! snapped to the centre of a ~50 m cell ([`snap`]) so that a report cannot be traced to a door;
//! photos only as the public variant of each uploaded attachment (metadata, GPS included,
//! removed). None of these answers needs the caller: a session that has expired does not turn
//! them into 401.

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yiwang_domain::case::{Case, State as CaseState};
use yiwang_domain::codes::{AreaCode, Level};
use yiwang_domain::geo::{Circle, Point, snap};
use yiwang_domain::{Lang, Refusal};
use yiwang_store::CaseFilter;

use crate::AppState;
use crate::error::{ApiError, ErrorBody, Json, Query, lang_of};
use crate::mask::public_text;
use crate::view::UnitRef;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(board)).routes(routes!(landmarks)).routes(routes!(places))
}

/// The side of the cells a published location is snapped to, in metres.
pub const SNAP_M: f64 = 50.0;
/// The largest circle the board searches.
pub const MAX_RADIUS_M: f64 = 5_000.0;
/// The most cases one page of the board holds.
pub const MAX_BOARD: u32 = 200;
/// The longest place search, in characters.
pub const MAX_QUERY: usize = 50;
/// The most places a search answers.
pub const MAX_PLACES: usize = 20;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Only cases under this node (2–15 digits: a street, a community, a grid).
    pub area: Option<String>,
    /// With `lat` and `radius_m`: only cases within the circle.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// The circle's radius in metres (at most 5,000).
    pub radius_m: Option<f64>,
    /// `open`, `closed`, or empty for both.
    pub state: Option<String>,
    /// Keyset paging: cases with ids below this one.
    pub before: Option<i64>,
    /// At most this many (1–200, default 50).
    pub limit: Option<u32>,
}

/// A case as the public sees it: masked, without the reporter, the place coarsened.
#[derive(Serialize, ToSchema)]
pub struct PublicCaseView {
    pub id: i64,
    /// Machine state, e.g. `handling`.
    pub state: String,
    pub state_name: String,
    pub open: bool,
    pub subclass: String,
    pub subclass_name: String,
    /// The 15-digit unit grid.
    pub grid: String,
    /// Names from the city down to the grid.
    pub place: Vec<String>,
    /// The location snapped to the centre of its ~50 m cell.
    pub lon: f64,
    pub lat: f64,
    /// With phone numbers and ID numbers masked.
    pub description: String,
    /// With phone numbers and ID numbers masked; absent when the reporter gave none.
    pub address: Option<String>,
    pub reported_at: String,
    pub closed_at: Option<String>,
    /// The unit handling it (a public body, named).
    pub lead_unit: Option<UnitRef>,
    pub due_at: Option<String>,
    pub overdue: bool,
    pub warned: bool,
    /// The reporter's photos, as the URLs of their public variants (metadata removed).
    #[schema(example = json!(["/api/attachments/5f0c6c1e8a2b4d7f9e3a1b2c3d4e5f60"]))]
    pub photos: Vec<String>,
}

impl PublicCaseView {
    pub fn of(c: &Case, app: &AppState, lang: Lang) -> PublicCaseView {
        let engine = &app.0.engine;
        let loaded = engine.loaded();
        let en = lang == Lang::En;
        let subclass_name = engine
            .rules()
            .taxonomy
            .subclass(c.subclass)
            .map(|s| if en { s.en.clone() } else { s.name.clone() })
            .unwrap_or_default();
        let at = snap(c.location, SNAP_M);
        let address = c.address.trim();
        PublicCaseView {
            id: c.id,
            state: c.state.as_str().to_owned(),
            state_name: if en { c.state.name_en() } else { c.state.name_zh() }.to_owned(),
            open: c.state.is_open(),
            subclass: c.subclass.to_string(),
            subclass_name,
            grid: c.grid.to_string(),
            place: loaded.jurisdiction.path_names(&c.grid).into_iter().map(str::to_owned).collect(),
            lon: at.lon,
            lat: at.lat,
            description: public_text(app, &c.description),
            address: (!address.is_empty()).then(|| public_text(app, address)),
            reported_at: c.reported_at.to_rfc3339_cst(),
            closed_at: c.closed_at.map(|t| t.to_rfc3339_cst()),
            lead_unit: c.lead_unit.as_deref().map(|u| UnitRef::of(u, app)),
            due_at: c.clock.due_at.map(|t| t.to_rfc3339_cst()),
            overdue: c.overdue,
            warned: c.warned,
            // Only uploaded attachments have a public variant; anything else (a legacy file
            // name) has nothing safe to show.
            photos: c
                .photos
                .iter()
                .filter(|p| crate::api::attachments::is_id(p))
                .map(|p| format!("/api/attachments/{p}"))
                .collect(),
        }
    }
}

fn bad(field: &str, zh: impl std::fmt::Display, en: impl std::fmt::Display) -> ApiError {
    Refusal::bad_field(field, zh, en).into()
}

/// The filter of a board query: public states only, newest first.
fn board_filter(q: &BoardQuery) -> Result<CaseFilter, ApiError> {
    let public = CaseState::ALL.into_iter().filter(|s| s.is_public());
    let states = match q.state.as_deref().map(str::trim).unwrap_or("") {
        "" => public.collect(),
        "open" => public.filter(|s| s.is_open()).collect(),
        "closed" => public.filter(|s| !s.is_open()).collect(),
        other => {
            return Err(bad(
                "state",
                format!("应为 open、closed 或留空，收到“{other}”"),
                format!("it is open, closed or empty, not “{other}”"),
            ));
        }
    };
    let area = q.area.as_deref().filter(|a| !a.is_empty()).map(|a| AreaCode::parse("area", a)).transpose()?;
    let near = match (q.lon, q.lat, q.radius_m) {
        (None, None, None) => None,
        (Some(lon), Some(lat), Some(radius_m)) => {
            let centre = Point::new_checked(lon, lat)?;
            if !(radius_m > 0.0 && radius_m <= MAX_RADIUS_M) {
                return Err(bad(
                    "radius_m",
                    format!("半径应大于 0 且不超过 {MAX_RADIUS_M} 米，收到 {radius_m}"),
                    format!("the radius is above 0 and at most {MAX_RADIUS_M} m, got {radius_m}"),
                ));
            }
            Some(Circle { centre, radius_m })
        }
        _ => {
            return Err(bad(
                "radius_m",
                "按位置查找需要同时给出 lon、lat 和 radius_m",
                "a search by place needs lon, lat and radius_m together",
            ));
        }
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_BOARD).contains(&limit) {
        return Err(bad(
            "limit",
            format!("应在 1 到 {MAX_BOARD} 之间，收到 {limit}"),
            format!("it is between 1 and {MAX_BOARD}, got {limit}"),
        ));
    }
    Ok(CaseFilter { states, area, near, before_id: q.before, limit, ..Default::default() })
}

/// The public board (公开案件): filed cases near a point or under an area, open or closed,
/// newest first, masked for the public. Anyone may read it; it is rate-limited per client
/// address (429 with `Retry-After`).
#[utoipa::path(get, path = "/api/public/cases", tag = "public", params(BoardQuery),
    responses((status = 200, body = Vec<PublicCaseView>), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn board(
    State(app): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<BoardQuery>,
) -> Result<Json<Vec<PublicCaseView>>, ApiError> {
    let filter = board_filter(&q)?;
    let lang = lang_of(uri.query(), &headers);
    let cases = app.0.engine.store().find_cases(&filter).await?;
    // The store answered the filter; the domain's rule is checked again on every case shown.
    Ok(Json(cases.iter().filter(|c| c.state.is_public()).map(|c| PublicCaseView::of(c, &app, lang)).collect()))
}

/// A named point: a landmark, a street or a community.
#[derive(Serialize, ToSchema)]
pub struct NamedPoint {
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    /// Where it is, in words (for a community: its street; for a street: its district).
    pub address: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LandmarkQuery {
    /// The 12-digit community.
    #[param(pattern = "^[0-9]{12}$", example = "110101001001")]
    pub area: String,
}

/// The landmarks (地标) of a community, by name: for choosing a place from a list.
#[utoipa::path(get, path = "/api/landmarks", tag = "public", params(LandmarkQuery),
    responses((status = 200, body = Vec<NamedPoint>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn landmarks(
    State(app): State<AppState>,
    Query(q): Query<LandmarkQuery>,
) -> Result<Json<Vec<NamedPoint>>, ApiError> {
    let area = AreaCode::parse("area", &q.area)?;
    if area.level() != Level::Community {
        return Err(bad(
            "area",
            format!("应为 12 位社区代码，收到“{area}”"),
            format!("it is a 12-digit community code, not “{area}”"),
        ));
    }
    let loaded = app.0.engine.loaded();
    if loaded.jurisdiction.area(&area).is_none() {
        return Err(ApiError::not_found(format!("社区 {area} 不存在"), format!("community {area} does not exist")));
    }
    let mut found: Vec<NamedPoint> = loaded
        .reference
        .landmarks
        .iter()
        .filter(|l| l.community == area)
        .map(|l| NamedPoint {
            name: l.name.clone(),
            lon: l.location.lon,
            lat: l.location.lat,
            address: l.address.clone(),
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(found))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceQuery {
    /// Words of the name or address (1–50 characters); every word must match.
    #[param(min_length = 1, max_length = 50, example = "菜市场")]
    pub q: String,
}

/// Places whose name (or, for a landmark, address) holds every word of `q`: streets and
/// communities (at a point inside one of their grids) and landmarks; names that begin with the
/// first word first, then by name; at most 20.
#[utoipa::path(get, path = "/api/places", tag = "public", params(PlaceQuery),
    responses((status = 200, body = Vec<NamedPoint>), (status = 400, body = ErrorBody)))]
async fn places(State(app): State<AppState>, Query(q): Query<PlaceQuery>) -> Result<Json<Vec<NamedPoint>>, ApiError> {
    let words: Vec<String> = q.q.split_whitespace().map(str::to_lowercase).collect();
    let length = q.q.trim().chars().count();
    if words.is_empty() {
        return Err(bad("q", "请输入要查找的地名", "type the name of a place to look for"));
    }
    if length > MAX_QUERY {
        return Err(bad(
            "q",
            format!("查找的文字最多 {MAX_QUERY} 个字，收到 {length} 个"),
            format!("a search has at most {MAX_QUERY} characters, got {length}"),
        ));
    }
    let matches = |texts: &[&str]| {
        let texts: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
        words.iter().all(|w| texts.iter().any(|t| t.contains(w.as_str())))
    };
    let loaded = app.0.engine.loaded();
    let j = &loaded.jurisdiction;
    let mut found: Vec<NamedPoint> = Vec::new();
    for a in j.areas().filter(|a| matches!(a.code.level(), Level::Street | Level::Community)) {
        if !matches(&[&a.name]) {
            continue;
        }
        // A point inside its first grid: where a report there would be located.
        let Some(point) = j.unit_grids().find(|g| a.code.covers(&g.code)).and_then(|g| g.polygon.interior_point())
        else {
            continue;
        };
        let above = a.code.parent().and_then(|p| j.area(&p)).map(|p| p.name.clone());
        found.push(NamedPoint { name: a.name.clone(), lon: point.lon, lat: point.lat, address: above });
    }
    for l in &loaded.reference.landmarks {
        if matches(&[&l.name, l.address.as_deref().unwrap_or("")]) {
            found.push(NamedPoint {
                name: l.name.clone(),
                lon: l.location.lon,
                lat: l.location.lat,
                address: l.address.clone(),
            });
        }
    }
    let first = &words[0];
    found.sort_by(|a, b| {
        let starts = |p: &NamedPoint| !p.name.to_lowercase().starts_with(first.as_str());
        starts(a).cmp(&starts(b)).then_with(|| a.name.cmp(&b.name))
    });
    found.truncate(MAX_PLACES);
    Ok(Json(found))
}
