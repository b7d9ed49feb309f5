//! What the API shows of domain values: names in the caller's language, times in China Standard
//! Time (RFC 3339), and nothing the caller's role does not need.

use serde::Serialize;
use utoipa::ToSchema;
use yiwang_domain::Lang;
use yiwang_domain::audit::Hash;
use yiwang_domain::case::{Case, Event, Role, Satisfaction};
use yiwang_domain::duplicates::Suggestion;
use yiwang_domain::responsibility::{Assignment, Basis};
use yiwang_domain::time::Timestamp;

use crate::AppState;
use crate::caller::Caller;

fn time(t: Timestamp) -> String {
    t.to_rfc3339_cst()
}

fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// A unit, by id and name.
#[derive(Serialize, ToSchema)]
pub struct UnitRef {
    pub id: String,
    pub name: String,
}

impl UnitRef {
    pub fn of(id: &str, app: &AppState) -> UnitRef {
        let loaded = app.0.engine.loaded();
        let name = loaded.responsibility.unit(id).map_or_else(|| id.to_owned(), |u| u.name.clone());
        UnitRef { id: id.to_owned(), name }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RatingView {
    /// `satisfied`, `basically` or `not_satisfied`.
    pub satisfaction: String,
    pub fixed: bool,
    /// Whether the unit responded, in the resident's words; absent when not asked.
    pub responded: Option<bool>,
    pub at: String,
}

/// A case as the caller may see it.
#[derive(Serialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    /// Machine state, e.g. `handling`.
    pub state: String,
    /// The state in the caller's language.
    pub state_name: String,
    pub open: bool,
    /// Subclass code, e.g. `E0102`.
    pub subclass: String,
    pub subclass_name: String,
    pub request_type: String,
    pub urgency: String,
    /// The 15-digit unit grid.
    pub grid: String,
    /// Names from the city down to the grid.
    pub place: Vec<String>,
    pub lon: f64,
    pub lat: f64,
    pub address: String,
    pub description: String,
    pub channel: String,
    /// Who reported it: shown to staff of the territory and to the reporter.
    pub reporter: Option<String>,
    pub photos: Vec<String>,
    pub reported_at: String,
    pub filed_at: Option<String>,
    pub dispatched_at: Option<String>,
    pub closed_at: Option<String>,
    pub lead_unit: Option<UnitRef>,
    pub assisting_units: Vec<UnitRef>,
    /// The handling deadline, in working time; absent while not running (e.g. parked).
    pub due_at: Option<String>,
    pub warn_at: Option<String>,
    pub warned: bool,
    pub overdue: bool,
    pub supervised: bool,
    pub extension_requested_minutes: Option<i64>,
    pub settled_in_grid: bool,
    pub return_count: u32,
    pub rework_count: u32,
    pub reopen_count: u32,
    pub extension_count: u32,
    pub urge_count: u32,
    pub duplicate_of: Option<i64>,
    pub rating: Option<RatingView>,
    /// 回访超时: the follow-up went unanswered in time.
    pub follow_up_expired: bool,
    /// Events so far.
    pub seq: u32,
}

impl CaseView {
    pub fn of(c: &Case, app: &AppState, caller: &Caller) -> CaseView {
        let lang = caller.lang;
        let engine = &app.0.engine;
        let loaded = engine.loaded();
        let subclass_name = engine
            .rules()
            .taxonomy
            .subclass(c.subclass)
            .map(|s| if lang == Lang::En { s.en.clone() } else { s.name.clone() })
            .unwrap_or_default();
        let staff = caller.actor.as_ref().is_some_and(|a| a.role != Role::Resident);
        // The reporter, or a relative acting for them (亲友代办), sees whose case it is.
        let reporter = caller.actor.as_ref().is_some_and(|a| a.role == Role::Resident && a.resident_id() == c.reporter);
        CaseView {
            id: c.id,
            state: c.state.as_str().to_owned(),
            state_name: if lang == Lang::En { c.state.name_en() } else { c.state.name_zh() }.to_owned(),
            open: c.state.is_open(),
            subclass: c.subclass.to_string(),
            subclass_name,
            request_type: json_name(&c.request_type),
            urgency: json_name(&c.urgency),
            grid: c.grid.to_string(),
            place: loaded.jurisdiction.path_names(&c.grid).into_iter().map(str::to_owned).collect(),
            lon: c.location.lon,
            lat: c.location.lat,
            address: c.address.clone(),
            description: c.description.clone(),
            channel: json_name(&c.channel),
            reporter: (staff || reporter).then(|| c.reporter.clone()),
            photos: c.photos.clone(),
            reported_at: time(c.reported_at),
            filed_at: c.filed_at.map(time),
            dispatched_at: c.dispatched_at.map(time),
            closed_at: c.closed_at.map(time),
            lead_unit: c.lead_unit.as_deref().map(|u| UnitRef::of(u, app)),
            assisting_units: c.assisting_units.iter().map(|u| UnitRef::of(u, app)).collect(),
            due_at: c.clock.due_at.map(time),
            warn_at: c.clock.warn_at.map(time),
            warned: c.warned,
            overdue: c.overdue,
            supervised: c.supervised,
            extension_requested_minutes: c.extension_requested,
            settled_in_grid: c.settled_in_grid,
            return_count: c.return_count,
            rework_count: c.rework_count,
            reopen_count: c.reopen_count,
            extension_count: c.extension_count,
            urge_count: c.urge_count,
            duplicate_of: c.duplicate_of,
            rating: c.rating.map(|r| RatingView {
                satisfaction: match r.satisfaction {
                    Satisfaction::Satisfied => "satisfied",
                    Satisfaction::Basically => "basically",
                    Satisfaction::NotSatisfied => "not_satisfied",
                }
                .into(),
                fixed: r.fixed,
                responded: r.responded,
                at: time(r.at),
            }),
            follow_up_expired: c.follow_up_expired,
            seq: c.seq,
        }
    }
}

/// The snake_case name serde gives a unit enum value.
fn json_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// One event of a case's timeline.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub seq: u32,
    pub at: String,
    /// Staff id of who acted; hidden from residents except for their own actions.
    pub actor: Option<String>,
    pub role: String,
    pub step: String,
    pub from: Option<String>,
    pub to: String,
    pub note: String,
    pub attachments: Vec<String>,
    /// The step's data (units, deadlines, ratings) as recorded.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// SM3 hash of this event, chained to the one before.
    pub hash: String,
}

impl EventView {
    pub fn of(e: &Event, caller: &Caller) -> EventView {
        let resident = caller.actor.as_ref().is_none_or(|a| a.role == Role::Resident);
        let own = caller.actor.as_ref().is_some_and(|a| a.id == e.actor);
        EventView {
            seq: e.seq,
            at: time(e.at),
            actor: (!resident || own).then(|| e.actor.clone()),
            role: e.role.as_str().to_owned(),
            step: e.step.clone(),
            from: e.from.map(|s| s.as_str().to_owned()),
            to: e.to.as_str().to_owned(),
            note: e.note.clone(),
            attachments: e.attachments.clone(),
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
            hash: hex(&e.hash),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnitSuggestion {
    pub lead: UnitRef,
    pub assisting: Vec<UnitRef>,
    /// `listed` (权责清单), `unit_kind`, or `locality` (属地兜底).
    pub basis: String,
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateView {
    pub case_id: i64,
    pub metres: f64,
}

#[derive(Serialize, ToSchema)]
pub struct SuggestionsView {
    pub units: Option<UnitSuggestion>,
    pub duplicates: Vec<DuplicateView>,
}

impl SuggestionsView {
    pub fn of(units: Option<Assignment>, duplicates: Vec<Suggestion>, app: &AppState) -> SuggestionsView {
        SuggestionsView {
            units: units.map(|a| UnitSuggestion {
                lead: UnitRef::of(&a.lead, app),
                assisting: a.assisting.iter().map(|u| UnitRef::of(u, app)).collect(),
                basis: match a.basis {
                    Basis::Listed => "listed",
                    Basis::UnitKind => "unit_kind",
                    Basis::Locality => "locality",
                }
                .into(),
            }),
            duplicates: duplicates
                .into_iter()
                .map(|d| DuplicateView { case_id: d.case_id, metres: d.metres })
                .collect(),
        }
    }
}
