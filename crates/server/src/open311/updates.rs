//! FixMyStreet's `servicerequestupdates`: the changes of cases in a window of time (public, like
//! the request list), and an update posted by a client system.
//!
//! Going out, an update is a change of a case's state, oldest first: `update_id` is
//! `{case}_{event}` (stable, unique), `status` comes from the table in [`super::status`], the
//! `external_status_code` is our own state, and the description is the step's note with personal
//! data masked. Steps that change no state (warnings, urging, ratings) are not updates.
//!
//! Coming in, an update is a step of the closed loop taken by the API key's caller, through the
//! engine like any other step (so the state machine, roles and territory all apply), recorded at
//! the moment it is received (the client's `updated_datetime` is checked but not trusted as the
//! time of record). Its description becomes the step's note and its `media_url` links the
//! step's attachments. A status that maps to no step the caller may take is refused, saying why;
//! nothing is recorded then. The client's own `update_id` and the commenter's name and contacts
//! are not kept.

use yiwang_domain::case::{Command, Event};
use yiwang_domain::time::Timestamp;
use yiwang_store::open311::key_of;

use super::doc::Node;
use super::requests::public_media;
use super::status::{self, Status};
use super::{Call, Failure, Reply, media_urls, paging, parse_time, plain_text, window};
use crate::AppState;
use crate::api::visibility;
use crate::caller::Caller;
use crate::mask::public_text;

/// An update that changes a case's state (the opening report is the request itself).
fn is_update(e: &Event) -> bool {
    e.from.is_some_and(|from| from != e.to)
}

fn update_id(case_id: i64, seq: u32) -> String {
    format!("{case_id}_{seq}")
}

fn update(app: &AppState, e: &Event) -> Node {
    Node::Object(vec![
        ("update_id", Node::text(update_id(e.case_id, e.seq))),
        ("service_request_id", Node::text(e.case_id.to_string())),
        ("status", Node::text(status::of_change(&e.step, e.to, &e.detail).as_str())),
        ("updated_datetime", Node::text(e.at.to_rfc3339_cst())),
        ("description", Node::text(public_text(app, &e.note))),
        ("media_url", public_media(&e.attachments)),
        ("external_status_code", Node::text(e.to.as_str())),
    ])
}

/// `GET servicerequestupdates`: changes with `start_date <= updated_datetime <= end_date`
/// (the last 90 days by default), oldest first, a page at a time.
pub async fn list(app: &AppState, call: &Call) -> Result<Reply, Failure> {
    let (from, to) = window(&call.params, Timestamp::now())?;
    let to = to.unwrap_or(Timestamp(i64::MAX));
    let (offset, size) = paging(&call.params)?;
    let store = app.0.engine.store();
    let chunk = (offset + u64::from(size)).clamp(100, 2_000) as u32;
    let (mut after, mut skipped, mut out) = (None, 0u64, Vec::new());
    'read: loop {
        let events = store.events_between(from, to, after, chunk).await?;
        let Some(last) = events.last() else { break };
        after = Some(key_of(last));
        let exhausted = (events.len() as u32) < chunk;
        for e in events.iter().filter(|e| is_update(e)) {
            if skipped < offset {
                skipped += 1;
                continue;
            }
            out.push(update(app, e));
            if out.len() as u32 == size {
                break 'read;
            }
        }
        if exhausted {
            break;
        }
    }
    Ok(Reply::ok("service_request_updates", Node::List("request_update", out)))
}

/// `POST servicerequestupdates`: the client system's update, taken as a step of the case.
pub async fn post(app: &AppState, call: &Call, caller: &Caller) -> Result<Reply, Failure> {
    let params = &call.params;
    let required = |name: &str| {
        params.get(name).ok_or_else(|| Failure::bad(format!("须提供 {name}"), format!("{name} is required")))
    };
    let id_text = required("service_request_id")?;
    let status_text = required("status")?;
    let status = Status::parse(status_text).ok_or_else(|| {
        let known: Vec<&str> = status::TABLE.iter().map(|r| r.status.as_str()).collect();
        Failure::bad(
            format!("status “{status_text}”应为 {} 之一", known.join("、")),
            format!("status “{status_text}” must be one of {}", known.join(", ")),
        )
    })?;
    if let Some(t) = params.get("updated_datetime") {
        parse_time("updated_datetime", t)?;
    }
    let note = plain_text("description", params.get("description").unwrap_or(""))?;
    let attachments = media_urls(params)?;
    let not_found = || {
        Failure::not_found(
            format!("service_request_id “{id_text}”不存在"),
            format!("service_request_id “{id_text}” was not found"),
        )
    };
    let id = id_text.parse::<i64>().map_err(|_| not_found())?;
    let case = app.0.engine.store().case(id).await?.ok_or_else(not_found)?;
    // A case the caller may not see is, to them, a case that does not exist.
    if !visibility::can_see(caller, &case) {
        return Err(not_found());
    }
    let actor = caller.actor.clone().expect("checked by api_caller");
    let action = status::action_for(status, actor.role, case.state)?;
    let cmd = Command { actor, at: Timestamp::now(), action, note, attachments };
    let (_, event) = app.0.engine.act(id, cmd).await?;
    Ok(Reply::ok(
        "service_request_updates",
        Node::List("request_update", vec![Node::Object(vec![("update_id", Node::text(update_id(id, event.seq)))])]),
    ))
}
