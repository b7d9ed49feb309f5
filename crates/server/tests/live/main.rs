//! The API's live events, webhooks and abuse limits, through the real router.

mod app;
mod limits;
mod sse;
mod webhooks;
