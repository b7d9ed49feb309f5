//! The JSON API under `/api`, documented by the OpenAPI document it generates
//! (`/api/openapi.json`, browsable offline at `/api/docs`).

pub mod accounts;
pub mod attachments;
pub mod cases;
pub mod live;
pub mod reference;
pub mod visibility;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "yiwang 一网", description = "Grid-based grassroots governance: reports, cases and the closed loop. \
        Errors share one body `{code, message}`; `message` follows `?lang=`, the `lang` cookie or `Accept-Language` (zh-CN default, en)."),
    tags((name = "cases", description = "Reports and the closed loop"), (name = "reference", description = "Jurisdictions, grids, taxonomy, units"),
        (name = "attachments", description = "Photos and short videos: uploads, public variants without metadata, thumbnails"))
)]
struct ApiDoc;

/// Every API route, with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(cases::router())
        .merge(reference::router())
        .merge(accounts::router())
        .merge(attachments::router())
        .merge(live::router())
}
