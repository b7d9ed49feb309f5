//! Who sees which case. A role holds on one node of the tree and everything below it:
//! - a resident sees the cases they follow (reported, merged into, or reported for them);
//! - a unit's handler sees only what was dispatched to that unit (lead or assisting);
//! - every other staff role sees the cases in its territory (a grid member: own grids);
//! - the three administrators (系统/安全/审计) see no case contents at all;
//! - an anonymous caller sees none (the public board is masked and separate).

use yiwang_domain::case::{Case, Role};
use yiwang_store::CaseFilter;

use crate::caller::Caller;
use crate::error::ApiError;

pub fn can_see(caller: &Caller, case: &Case) -> bool {
    let Some(actor) = &caller.actor else { return false };
    match actor.role {
        Role::Resident => case.followers.iter().any(|f| f == actor.resident_id()),
        Role::Handler => {
            actor.unit.as_ref().is_some_and(|u| case.lead_unit.as_ref() == Some(u) || case.assisting_units.contains(u))
        }
        Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin => false,
        Role::System => true,
        _ => actor.scope.as_ref().is_some_and(|s| s.covers(&case.grid)),
    }
}

/// Narrows a list filter to what the caller may see, so that paging stays exact.
pub fn narrow(caller: &Caller, mut filter: CaseFilter) -> Result<CaseFilter, ApiError> {
    let actor = caller.actor()?;
    match actor.role {
        Role::Resident => filter.follower = Some(actor.resident_id().to_owned()),
        Role::Handler => match (&filter.lead_unit, &actor.unit) {
            (Some(asked), Some(own)) if asked != own => {
                return Err(ApiError::forbidden(
                    "只能查看本单位的案卷",
                    "a handler sees only the cases of their own unit",
                ));
            }
            (_, own) => filter.lead_unit = own.clone(),
        },
        Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin => {
            return Err(ApiError::forbidden("管理员不能查看案卷内容", "administrators do not read case contents"));
        }
        Role::System => {}
        _ => {
            let Some(scope) = &actor.scope else {
                return Err(ApiError::forbidden("没有管辖范围", "no jurisdiction"));
            };
            filter.area = match filter.area.take() {
                Some(asked) if scope.covers(&asked) => Some(asked),
                Some(asked) if asked.covers(scope) => Some(scope.clone()),
                Some(_) => {
                    return Err(ApiError::forbidden(
                        "所查区域不在您的管辖范围内",
                        "that area is outside your jurisdiction",
                    ));
                }
                None => Some(scope.clone()),
            };
        }
    }
    Ok(filter)
}
