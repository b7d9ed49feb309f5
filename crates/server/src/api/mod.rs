//! The JSON API under `/api`, documented by the OpenAPI document it generates
//! (`/api/openapi.json`, browsable offline at `/api/docs`).

pub mod accounts;
pub mod attachments;
pub mod cases;
pub mod demo;
pub mod evaluation;
pub mod live;
pub mod notifications;
pub mod proxies;
pub mod public;
pub mod reference;
pub mod screen;
pub mod visibility;
pub mod webhooks;
pub mod workbench;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "yiwang 一网", description = "Grid-based grassroots governance: reports, cases and the closed loop. \
        Errors share one body `{code, message}`; `message` follows `?lang=`, the `lang` cookie or `Accept-Language` (zh-CN default, en)."),
    tags((name = "cases", description = "Reports and the closed loop"), (name = "evaluation", description = "Indicators, rankings, the cases behind each number, monthly reports"),
        (name = "reference", description = "Jurisdictions, grids, taxonomy, units"),
        (name = "public", description = "What anyone may read without an account: the public board of cases (masked) and landmarks and places for choosing a place without a map"),
        (name = "attachments", description = "Photos and short videos: uploads, public variants without metadata, thumbnails"),
        (name = "live", description = "Live case events (Server-Sent Events)"),
        (name = "notifications", description = "Who must act on which case: warnings, overdue, 督办, escalation, dispatch, follow-up and callbacks"),
        (name = "proxies", description = "亲友代办: a relative reports and follows for an elder, with the elder's consent by a code sent to their phone"),
        (name = "webhooks", description = "Deliveries of a unit's case events to its own systems, signed with HMAC-SM3; the body of each is a `WebhookPayload`")),
    components(schemas(crate::webhooks::WebhookPayload))
)]
struct ApiDoc;

/// Every API route, with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(cases::router())
        .merge(evaluation::router())
        .merge(reference::router())
        .merge(public::router())
        .merge(accounts::router())
        .merge(demo::router())
        .merge(attachments::router())
        .merge(live::router())
        .merge(notifications::router())
        .merge(proxies::router())
        .merge(webhooks::router())
        .merge(workbench::router())
        .merge(screen::router())
}

/// Statuses every operation may answer, whatever it documents itself: bad input (400), a body
/// over the limit (413), too many requests (429) and an internal fault (500), all with the one
/// error body. Added to each operation that does not describe them already.
pub fn document_common_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
    let common = [
        ("400", "Bad input: the message names the field."),
        ("413", "The request body is too large."),
        ("429", "Too many requests: try again after `Retry-After` seconds."),
        ("500", "Internal fault; the detail is in the server's log."),
    ];
    for item in doc.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
        for op in operations.into_iter().flatten() {
            for (status, description) in common {
                op.responses.responses.entry(status.to_owned()).or_insert_with(|| {
                    RefOr::T(
                        ResponseBuilder::new()
                            .description(description)
                            .content(
                                "application/json",
                                ContentBuilder::new()
                                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorBody"))))
                                    .build(),
                            )
                            .build(),
                    )
                });
            }
        }
    }
}
