//! (reserved for issue 3: Open311 GeoReport v2 at /open311/v2/)

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
