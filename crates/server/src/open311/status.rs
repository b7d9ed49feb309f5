//! FixMyStreet's extended statuses and our case states: one table, read both ways.
//!
//! Going out (`GET servicerequestupdates`), each change of a case is reported with the status of
//! the row listing the state it reached (a reopening is reported as `REOPEN`). Coming in
//! (`POST servicerequestupdates`), a status asks for the steps of its row: the first step that
//! the caller's role may take from the case's current state is taken through the engine, like
//! any other step; a status with no step, or none the caller's role may take, is refused. The
//! engine still decides: a step the state machine refuses is refused with its own reason.

use axum::http::StatusCode;
use yiwang_domain::case::{Action, Role, State};

use super::Failure;

/// FixMyStreet's statuses (its `extended_statuses`, plus the plain `OPEN` and `CLOSED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Open,
    Investigating,
    ActionScheduled,
    InProgress,
    InternalReferral,
    NotCouncilsResponsibility,
    Fixed,
    NoFurtherAction,
    Duplicate,
    Closed,
    Reopen,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::Investigating => "INVESTIGATING",
            Status::ActionScheduled => "ACTION_SCHEDULED",
            Status::InProgress => "IN_PROGRESS",
            Status::InternalReferral => "INTERNAL_REFERRAL",
            Status::NotCouncilsResponsibility => "NOT_COUNCILS_RESPONSIBILITY",
            Status::Fixed => "FIXED",
            Status::NoFurtherAction => "NO_FURTHER_ACTION",
            Status::Duplicate => "DUPLICATE",
            Status::Closed => "CLOSED",
            Status::Reopen => "REOPEN",
        }
    }

    /// Reads a status as clients write it: any case, `_` or spaces (`in progress`).
    pub fn parse(s: &str) -> Option<Status> {
        let norm = s.trim().to_ascii_uppercase().replace([' ', '-'], "_");
        TABLE.iter().map(|r| r.status).find(|st| st.as_str() == norm)
    }
}

/// A step an update may ask for: the steps of the closed loop that need no data beyond a note and
/// attachments (the update's `description` and `media_url`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// 立案
    File,
    /// 签收
    Accept,
    /// 解除挂账
    Unpark,
    /// 回退
    Return,
    /// 作废
    Void,
    /// 处理反馈
    ReportBack,
    /// 核查通过
    VerifyPassed,
    /// 结案（已解决）
    CloseFixed,
    /// 结案（未解决）
    CloseNotFixed,
    /// 重新打开
    Reopen,
}

impl Step {
    pub fn action(self) -> Action {
        match self {
            Step::File => Action::File { subclass: None, urgency: None },
            Step::Accept => Action::Accept,
            Step::Unpark => Action::Unpark,
            Step::Return => Action::Return,
            Step::Void => Action::Void,
            Step::ReportBack => Action::ReportBack,
            Step::VerifyPassed => Action::Verify { passed: true },
            Step::CloseFixed => Action::Close { fixed: true },
            Step::CloseNotFixed => Action::Close { fixed: false },
            Step::Reopen => Action::Reopen,
        }
    }
}

/// One status: the states reported with it, and the steps it asks for.
pub struct Row {
    pub status: Status,
    /// Going out: a change that reaches one of these states is reported with this status.
    pub states: &'static [State],
    /// Coming in: the steps this status asks for, in order of preference.
    pub steps: &'static [Step],
}

/// The mapping, both ways. Every state appears in exactly one row (tested).
pub const TABLE: &[Row] = &[
    Row { status: Status::Open, states: &[State::Reported], steps: &[] },
    Row { status: Status::Investigating, states: &[State::Filed], steps: &[Step::File] },
    Row { status: Status::ActionScheduled, states: &[State::Dispatched, State::Parked], steps: &[Step::Accept] },
    Row {
        status: Status::InProgress,
        states: &[State::Handling, State::ReportedBack],
        steps: &[Step::Accept, Step::Unpark],
    },
    Row { status: Status::InternalReferral, states: &[State::Returned], steps: &[Step::Return] },
    Row { status: Status::NotCouncilsResponsibility, states: &[], steps: &[Step::Return, Step::Void] },
    Row {
        status: Status::Fixed,
        states: &[State::Verified, State::ClosedFixed],
        steps: &[Step::ReportBack, Step::VerifyPassed, Step::CloseFixed],
    },
    Row { status: Status::NoFurtherAction, states: &[State::ClosedNotFixed], steps: &[Step::CloseNotFixed] },
    Row { status: Status::Duplicate, states: &[State::Duplicate], steps: &[] },
    Row { status: Status::Closed, states: &[State::Voided], steps: &[] },
    Row { status: Status::Reopen, states: &[], steps: &[Step::Reopen] },
];

fn row(status: Status) -> &'static Row {
    TABLE.iter().find(|r| r.status == status).expect("every status has a row")
}

/// The status a state is reported with.
pub fn of_state(state: State) -> Status {
    TABLE.iter().find(|r| r.states.contains(&state)).map_or(Status::Open, |r| r.status)
}

/// The status a recorded change is reported with: `REOPEN` for a reopening (by the reopen step,
/// or by a rating of "not satisfied, not fixed"), else the status of the state it reached.
pub fn of_change(step: &str, to: State, detail: &str) -> Status {
    let reopened = step == "reopen"
        || (step == "evaluate"
            && serde_json::from_str::<serde_json::Value>(detail).is_ok_and(|d| d["reopened"] == true));
    if reopened { Status::Reopen } else { of_state(to) }
}

/// The action an incoming status asks of a caller in `role` on a case in `state`.
pub fn action_for(status: Status, role: Role, state: State) -> Result<Action, Failure> {
    let row = row(status);
    let s = status.as_str();
    if row.steps.is_empty() {
        let (zh, en) = match status {
            Status::Open => (
                "状态 OPEN 不对应任何办理步骤：不改变案卷状态的更新不会记入案卷".to_owned(),
                "status OPEN asks for no step of the closed loop: an update that changes nothing is not recorded"
                    .to_owned(),
            ),
            Status::Duplicate => (
                "状态 DUPLICATE 须指明并入哪个案卷，请使用接口 POST /api/cases/{id}/merge".to_owned(),
                "status DUPLICATE needs the case it duplicates: use POST /api/cases/{id}/merge".to_owned(),
            ),
            _ => (
                format!("状态 {s} 未说明问题是否已解决，请发送 FIXED 或 NO_FURTHER_ACTION"),
                format!("status {s} does not say whether the problem was fixed: send FIXED or NO_FURTHER_ACTION"),
            ),
        };
        return Err(Failure::new(StatusCode::BAD_REQUEST, zh, en));
    }
    let allowed: Vec<Step> = row.steps.iter().copied().filter(|st| st.action().roles().contains(&role)).collect();
    if allowed.is_empty() {
        let mut roles_zh: Vec<&str> = Vec::new();
        let mut roles_en: Vec<&str> = Vec::new();
        for st in row.steps {
            for r in st.action().roles() {
                if !roles_en.contains(&r.as_str()) {
                    roles_zh.push(r.name_zh());
                    roles_en.push(r.as_str());
                }
            }
        }
        let steps: Vec<&str> = row.steps.iter().map(|st| st.action().name()).collect();
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            format!("{}不能以状态 {s} 更新案卷：{s} 对应的办理步骤只有{}可以执行", role.name_zh(), roles_zh.join("、")),
            format!(
                "a {role} cannot send status {s}: it asks for {}, which only {} may take",
                steps.join(" or "),
                roles_en.join(", ")
            ),
        ));
    }
    // The step that fits the case's state; if none does, the first one, so that the engine
    // refuses it naming the state.
    let step = allowed.iter().find(|st| st.action().from_states().contains(&state)).unwrap_or(&allowed[0]);
    Ok(step.action())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_exactly_one_status() {
        for state in State::ALL {
            let rows = TABLE.iter().filter(|r| r.states.contains(&state)).count();
            assert_eq!(rows, 1, "{state} is in {rows} rows");
        }
        assert_eq!(TABLE.len(), 11);
        for r in TABLE {
            assert_eq!(Status::parse(r.status.as_str()), Some(r.status));
        }
    }

    #[test]
    fn statuses_read_loosely() {
        assert_eq!(Status::parse("in progress"), Some(Status::InProgress));
        assert_eq!(Status::parse(" Not_Councils_Responsibility "), Some(Status::NotCouncilsResponsibility));
        assert_eq!(Status::parse("fixed - council"), None);
        assert_eq!(Status::parse(""), None);
    }

    #[test]
    fn changes_are_reported_honestly() {
        assert_eq!(of_state(State::ClosedFixed), Status::Fixed);
        assert_eq!(of_state(State::ClosedNotFixed), Status::NoFurtherAction);
        assert_eq!(of_state(State::Voided), Status::Closed);
        assert_eq!(of_state(State::Parked), Status::ActionScheduled);
        assert_eq!(of_change("reopen", State::Dispatched, "{}"), Status::Reopen);
        assert_eq!(of_change("evaluate", State::Dispatched, r#"{"reopened":true}"#), Status::Reopen);
        assert_eq!(of_change("evaluate", State::ClosedFixed, r#"{"action":"evaluate"}"#), Status::Fixed);
        assert_eq!(of_change("accept", State::Handling, "{}"), Status::InProgress);
    }

    #[test]
    fn incoming_statuses_take_the_step_the_role_may_take() {
        use Role::*;
        let act = |s, r, st| action_for(s, r, st).map(|a| a.name());
        assert_eq!(act(Status::InProgress, Handler, State::Dispatched).unwrap(), "accept");
        assert_eq!(act(Status::InProgress, ShiftChief, State::Parked).unwrap(), "unpark");
        assert_eq!(act(Status::Fixed, Handler, State::Handling).unwrap(), "report_back");
        assert_eq!(act(Status::Fixed, Inspector, State::ReportedBack).unwrap(), "verify");
        assert_eq!(act(Status::Fixed, ShiftChief, State::Verified).unwrap(), "close");
        assert_eq!(act(Status::NotCouncilsResponsibility, Handler, State::Handling).unwrap(), "return");
        assert_eq!(act(Status::NotCouncilsResponsibility, ShiftChief, State::Filed).unwrap(), "void");
        assert_eq!(act(Status::Investigating, IntakeOperator, State::Reported).unwrap(), "file");
        assert_eq!(act(Status::Reopen, Resident, State::ClosedFixed).unwrap(), "reopen");
        // The role fits but the state does not: the engine will refuse it, naming the state.
        assert_eq!(act(Status::Fixed, Handler, State::Dispatched).unwrap(), "report_back");

        let e = action_for(Status::Fixed, System, State::Handling).unwrap_err();
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        assert!(e.en.contains("report_back or verify or close") && e.en.contains("handler"), "{}", e.en);
        for s in [Status::Open, Status::Duplicate, Status::Closed] {
            let e = action_for(s, ShiftChief, State::Handling).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{s:?}");
        }
    }
}
