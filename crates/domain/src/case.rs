//! The case (案卷) and its closed loop (闭环).
//!
//! A case moves through the seven steps of GB/T 30428 — collect (信息收集), file (立案),
//! dispatch (派遣), handle (处理), report back (处理反馈), verify and close (核查结案), evaluate
//! (综合评价) — and through every exception flow: return of a wrong dispatch (回退), extension
//! (延期), parking (挂账), rework after a failed check (返工), voiding (作废), duplicates, urging and
//! supervision (催办、督办), escalation, and reopening after the resident says "not fixed".
//!
//! [`decide`] is the whole state machine: given a case and a command it either refuses, naming
//! the state and the role, or returns the next case and the event that records the change. It
//! knows nothing of storage; the store persists what it returns in one transaction.
//!
//! Rules that are easy to get wrong and are enforced here:
//! - the unit that handles a case never closes it; only a shift chief outside that unit does,
//!   and only after someone else verified the fix on site;
//! - whoever reported back (a unit handler or a grid member who settled a small matter in the
//!   grid, 小事不出网格) never verifies their own work;
//! - outcomes are honest: fixed, not fixed, voided and duplicate are distinct states;
//! - the handling clock counts working time only, stops while parked, grows by approved
//!   extensions, and starts afresh on every (re)dispatch and rework.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Refusal;
use crate::audit::{self, Hash};
use crate::calendar::Calendar;
use crate::codes::AreaCode;
use crate::geo::Point;
use crate::taxonomy::{RequestType, SubclassId, Taxonomy, Urgency};
use crate::time::Timestamp;

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待立案: collected, waiting to be checked and filed.
    Reported,
    /// 待派遣: filed, waiting for dispatch.
    Filed,
    /// 待签收: dispatched, the unit has not accepted yet.
    Dispatched,
    /// 处置中
    Handling,
    /// 已回退: the unit returned a wrong dispatch; the dispatcher must re-dispatch.
    Returned,
    /// 待核查: reported back, waiting for an on-site check.
    ReportedBack,
    /// 待结案: the check found it fixed.
    Verified,
    /// 挂账: cannot be done within the limit (seasonal or engineering work); the clock stops.
    Parked,
    /// 已结案·已解决
    ClosedFixed,
    /// 已结案·未解决: closed honestly without a fix (beyond anyone's power, explained).
    ClosedNotFixed,
    /// 已作废: not a valid case.
    Voided,
    /// 已合并: a duplicate of another case, which carries on for every reporter.
    Duplicate,
}

impl State {
    pub const ALL: [State; 12] = [
        State::Reported,
        State::Filed,
        State::Dispatched,
        State::Handling,
        State::Returned,
        State::ReportedBack,
        State::Verified,
        State::Parked,
        State::ClosedFixed,
        State::ClosedNotFixed,
        State::Voided,
        State::Duplicate,
    ];

    pub fn is_open(self) -> bool {
        !matches!(self, State::ClosedFixed | State::ClosedNotFixed | State::Voided | State::Duplicate)
    }

    /// Whether the public board (公开案件) shows a case in this state: once filed (立案) it is a
    /// real problem in a public place; before that it is unchecked, and voided or merged
    /// duplicates were found not to be cases of their own.
    pub fn is_public(self) -> bool {
        !matches!(self, State::Reported | State::Voided | State::Duplicate)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::Reported => "reported",
            State::Filed => "filed",
            State::Dispatched => "dispatched",
            State::Handling => "handling",
            State::Returned => "returned",
            State::ReportedBack => "reported_back",
            State::Verified => "verified",
            State::Parked => "parked",
            State::ClosedFixed => "closed_fixed",
            State::ClosedNotFixed => "closed_not_fixed",
            State::Voided => "voided",
            State::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            State::Reported => "待立案",
            State::Filed => "待派遣",
            State::Dispatched => "待签收",
            State::Handling => "处置中",
            State::Returned => "已回退",
            State::ReportedBack => "待核查",
            State::Verified => "待结案",
            State::Parked => "挂账",
            State::ClosedFixed => "已结案（已解决）",
            State::ClosedNotFixed => "已结案（未解决）",
            State::Voided => "已作废",
            State::Duplicate => "已合并",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            State::Reported => "reported, awaiting filing",
            State::Filed => "filed, awaiting dispatch",
            State::Dispatched => "dispatched, awaiting acceptance",
            State::Handling => "being handled",
            State::Returned => "returned by the unit",
            State::ReportedBack => "reported back, awaiting check",
            State::Verified => "verified, awaiting closure",
            State::Parked => "parked",
            State::ClosedFixed => "closed, fixed",
            State::ClosedNotFixed => "closed, not fixed",
            State::Voided => "voided",
            State::Duplicate => "merged as duplicate",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acts (PRODUCT.md roles). A role is held on a node of the tree and everything below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 居民
    Resident,
    /// 网格员
    GridMember,
    /// 监督员 (field inspector)
    Inspector,
    /// 受理员
    IntakeOperator,
    /// 值班长
    ShiftChief,
    /// 派遣员
    Dispatcher,
    /// 责任单位处置人员
    Handler,
    /// 督办员
    Supervisor,
    /// 领导
    Leader,
    /// 首席数字官
    DataOfficer,
    /// 系统管理员
    SystemAdmin,
    /// 安全管理员
    SecurityAdmin,
    /// 审计管理员
    AuditAdmin,
    /// The platform itself: the deadline scheduler, sensors, other systems.
    System,
}

impl Role {
    pub const ALL: [Role; 14] = [
        Role::Resident,
        Role::GridMember,
        Role::Inspector,
        Role::IntakeOperator,
        Role::ShiftChief,
        Role::Dispatcher,
        Role::Handler,
        Role::Supervisor,
        Role::Leader,
        Role::DataOfficer,
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::AuditAdmin,
        Role::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::GridMember => "grid_member",
            Role::Inspector => "inspector",
            Role::IntakeOperator => "intake_operator",
            Role::ShiftChief => "shift_chief",
            Role::Dispatcher => "dispatcher",
            Role::Handler => "handler",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::DataOfficer => "data_officer",
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
            Role::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Resident => "居民",
            Role::GridMember => "网格员",
            Role::Inspector => "监督员",
            Role::IntakeOperator => "受理员",
            Role::ShiftChief => "值班长",
            Role::Dispatcher => "派遣员",
            Role::Handler => "责任单位处置人员",
            Role::Supervisor => "督办员",
            Role::Leader => "领导",
            Role::DataOfficer => "首席数字官",
            Role::SystemAdmin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::AuditAdmin => "审计管理员",
            Role::System => "系统",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The person or system acting, with the node their role holds on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub role: Role,
    /// The unit a handler or shift chief belongs to.
    pub unit: Option<String>,
    /// The node the role holds on; `None` for residents and the platform (no territory).
    pub scope: Option<AreaCode>,
    /// 亲友代办: the resident this actor acts for, with consent recorded elsewhere.
    pub on_behalf_of: Option<String>,
}

impl Actor {
    pub fn staff(id: &str, role: Role, scope: &AreaCode, unit: Option<&str>) -> Actor {
        Actor { id: id.into(), role, unit: unit.map(Into::into), scope: Some(scope.clone()), on_behalf_of: None }
    }

    pub fn resident(id: &str) -> Actor {
        Actor { id: id.into(), role: Role::Resident, unit: None, scope: None, on_behalf_of: None }
    }

    pub fn system() -> Actor {
        Actor { id: "system".into(), role: Role::System, unit: None, scope: None, on_behalf_of: None }
    }

    /// The resident this actor speaks for: themselves, or the elder they act for.
    pub fn resident_id(&self) -> &str {
        self.on_behalf_of.as_deref().unwrap_or(&self.id)
    }
}

/// How a report came in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The resident portal (web or app).
    #[default]
    Portal,
    /// A grid member on patrol.
    GridPatrol,
    /// The 12345 hotline, through an intake operator.
    Hotline,
    /// Another system over Open311.
    Open311,
    /// A camera or sensor detection.
    Sensor,
}

/// The resident's answer on follow-up (回访).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意
    Satisfied,
    /// 基本满意
    Basically,
    /// 不满意
    NotSatisfied,
}

/// A rating recorded at evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub satisfaction: Satisfaction,
    /// The resident's own word on whether the problem is fixed.
    pub fixed: bool,
    /// The resident's own word on whether the unit responded; `None` when not asked.
    #[serde(default)]
    pub responded: Option<bool>,
    pub at: Timestamp,
}

/// The handling clock (处置时限): working minutes allowed and used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// Working minutes allowed, extensions included.
    pub limit_minutes: i64,
    /// Working minutes used before the current running segment (parking splits segments).
    pub used_minutes: i64,
    /// When the current segment started; `None` while stopped (parked, or not dispatched).
    pub running_since: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub warn_at: Option<Timestamp>,
}

impl Clock {
    fn start(limit_minutes: i64, at: Timestamp, rules: &Rules) -> Clock {
        let mut c = Clock { limit_minutes, used_minutes: 0, running_since: Some(at), due_at: None, warn_at: None };
        c.recompute(rules);
        c
    }

    fn recompute(&mut self, rules: &Rules) {
        match self.running_since {
            Some(since) => {
                let left = (self.limit_minutes - self.used_minutes).max(0);
                let warn_mark = (self.limit_minutes as f64 * rules.warn_share).round() as i64;
                self.due_at = Some(rules.calendar.add_working_minutes(since, left));
                self.warn_at = Some(rules.calendar.add_working_minutes(since, (warn_mark - self.used_minutes).max(0)));
            }
            None => {
                self.due_at = None;
                self.warn_at = None;
            }
        }
    }

    fn stop(&mut self, at: Timestamp, rules: &Rules) {
        if let Some(since) = self.running_since.take() {
            self.used_minutes += rules.calendar.working_minutes_between(since, at).max(0);
        }
        self.recompute(rules);
    }

    fn resume(&mut self, at: Timestamp, rules: &Rules) {
        self.running_since = Some(at);
        self.recompute(rules);
    }

    /// Working minutes left at `at` (negative when overdue); `None` when not running.
    pub fn remaining_at(&self, at: Timestamp, calendar: &Calendar) -> Option<i64> {
        let since = self.running_since?;
        Some(self.limit_minutes - self.used_minutes - calendar.working_minutes_between(since, at))
    }
}

/// A case (案卷): the current projection of its events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: i64,
    pub state: State,
    /// Number of events so far; the next event has `seq + 1`.
    pub seq: u32,
    /// Hash of the last event: the head of this case's chain.
    #[serde(with = "audit::hex_hash")]
    pub head: Hash,
    pub subclass: SubclassId,
    pub request_type: RequestType,
    pub urgency: Urgency,
    pub grid: AreaCode,
    pub location: Point,
    pub address: String,
    pub description: String,
    pub channel: Channel,
    pub reporter: String,
    /// Everyone to keep informed: the reporter and the reporters of merged duplicates.
    pub followers: Vec<String>,
    pub photos: Vec<String>,
    pub reported_at: Timestamp,
    pub filed_at: Option<Timestamp>,
    pub dispatched_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub lead_unit: Option<String>,
    pub assisting_units: Vec<String>,
    pub clock: Clock,
    /// Working minutes asked for by the unit, awaiting the shift chief.
    pub extension_requested: Option<i64>,
    /// Who reported back last (a handler, or the grid member who settled it in the grid).
    pub handled_by: Option<String>,
    pub settled_in_grid: bool,
    pub return_count: u32,
    pub rework_count: u32,
    pub reopen_count: u32,
    pub extension_count: u32,
    pub urge_count: u32,
    pub supervised: bool,
    pub warned: bool,
    pub overdue: bool,
    pub escalated_to: Option<AreaCode>,
    pub duplicate_of: Option<i64>,
    pub rating: Option<Rating>,
    /// 回访超时: the follow-up went unanswered in time (a late answer still counts).
    #[serde(default)]
    pub follow_up_expired: bool,
}

/// One recorded change of a case: append-only, hash-chained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub case_id: i64,
    pub seq: u32,
    pub at: Timestamp,
    pub actor: String,
    pub role: Role,
    /// The action's name, e.g. `dispatch` (see [`Action::name`]).
    pub step: String,
    pub from: Option<State>,
    pub to: State,
    pub note: String,
    pub attachments: Vec<String>,
    /// The action's data and what the engine decided (deadlines, units), as JSON text; hashed
    /// byte for byte as stored.
    pub detail: String,
    #[serde(with = "audit::hex_hash")]
    pub prev: Hash,
    #[serde(with = "audit::hex_hash")]
    pub hash: Hash,
}

/// What a report says before it becomes a case: validated and located by the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub subclass: SubclassId,
    pub request_type: RequestType,
    pub urgency: Option<Urgency>,
    pub grid: AreaCode,
    pub location: Point,
    pub address: String,
    pub description: String,
    pub channel: Channel,
    pub photos: Vec<String>,
}

/// The actions of the closed loop, each with what it needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 立案, optionally correcting the classification.
    File {
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "E0102"))]
        subclass: Option<SubclassId>,
        urgency: Option<Urgency>,
    },
    /// 作废
    Void,
    /// Mark this case as a duplicate of an open case.
    MarkDuplicate { of: i64 },
    /// On the surviving case: take in a duplicate's reporter (written with `MarkDuplicate`).
    AbsorbDuplicate { duplicate: i64, reporter: String },
    /// 派遣 to a lead unit, with assisting units for joint cases (一体事联办).
    Dispatch {
        lead: String,
        #[serde(default)]
        assisting: Vec<String>,
    },
    /// 签收
    Accept,
    /// 回退: the unit says the dispatch is wrong.
    Return,
    /// 申请延期 by working minutes.
    RequestExtension { minutes: i64 },
    /// 延期审批
    DecideExtension { approve: bool },
    /// 挂账
    Park,
    /// 解除挂账
    Unpark,
    /// 处理反馈, with evidence.
    ReportBack,
    /// 小事不出网格: the grid member who reported it settled it on the spot, with evidence.
    SettleInGrid,
    /// 核查: passed → verified; failed → 返工.
    Verify { passed: bool },
    /// 结案, honestly fixed or not.
    Close { fixed: bool },
    /// 综合评价 / 回访: the resident's answer; "not satisfied, not fixed" reopens a fixed case.
    Evaluate {
        satisfaction: Satisfaction,
        /// Whether the problem is fixed, in the resident's own words (解决).
        fixed: bool,
        /// Whether the unit responded to the resident (响应): contacted, visited, explained.
        #[serde(default)]
        responded: Option<bool>,
    },
    /// 回访超时: nobody answered the follow-up in time — its own category, never "satisfied".
    FollowUpExpired,
    /// 重新打开: back to the unit.
    Reopen,
    /// 催办
    Urge,
    /// 督办
    Supervise,
    /// 升级: up the jurisdiction tree.
    Escalate {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "110101001"))]
        to: AreaCode,
    },
    /// 预警: the scheduler saw the warning share of the time pass.
    Warn,
    /// 超期: the scheduler saw the deadline pass.
    MarkOverdue,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::File { .. } => "file",
            Action::Void => "void",
            Action::MarkDuplicate { .. } => "mark_duplicate",
            Action::AbsorbDuplicate { .. } => "absorb_duplicate",
            Action::Dispatch { .. } => "dispatch",
            Action::Accept => "accept",
            Action::Return => "return",
            Action::RequestExtension { .. } => "request_extension",
            Action::DecideExtension { .. } => "decide_extension",
            Action::Park => "park",
            Action::Unpark => "unpark",
            Action::ReportBack => "report_back",
            Action::SettleInGrid => "settle_in_grid",
            Action::Verify { .. } => "verify",
            Action::Close { .. } => "close",
            Action::Evaluate { .. } => "evaluate",
            Action::FollowUpExpired => "follow_up_expired",
            Action::Reopen => "reopen",
            Action::Urge => "urge",
            Action::Supervise => "supervise",
            Action::Escalate { .. } => "escalate",
            Action::Warn => "warn",
            Action::MarkOverdue => "mark_overdue",
        }
    }

    fn name_zh(&self) -> &'static str {
        match self {
            Action::File { .. } => "立案",
            Action::Void => "作废",
            Action::MarkDuplicate { .. } => "标记重复",
            Action::AbsorbDuplicate { .. } => "合并重复",
            Action::Dispatch { .. } => "派遣",
            Action::Accept => "签收",
            Action::Return => "回退",
            Action::RequestExtension { .. } => "申请延期",
            Action::DecideExtension { .. } => "审批延期",
            Action::Park => "挂账",
            Action::Unpark => "解除挂账",
            Action::ReportBack => "处理反馈",
            Action::SettleInGrid => "网格内自行处置",
            Action::Verify { .. } => "核查",
            Action::Close { .. } => "结案",
            Action::Evaluate { .. } => "评价",
            Action::FollowUpExpired => "回访超时",
            Action::Reopen => "重新打开",
            Action::Urge => "催办",
            Action::Supervise => "督办",
            Action::Escalate { .. } => "升级",
            Action::Warn => "预警",
            Action::MarkOverdue => "超期",
        }
    }

    /// The roles that may take this action (before the finer checks of [`decide`]).
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::File { .. } | Action::MarkDuplicate { .. } | Action::AbsorbDuplicate { .. } => {
                &[IntakeOperator, ShiftChief]
            }
            Action::Void | Action::DecideExtension { .. } | Action::Park | Action::Unpark | Action::Close { .. } => {
                &[ShiftChief]
            }
            Action::Dispatch { .. } => &[Dispatcher],
            Action::Accept | Action::Return | Action::RequestExtension { .. } | Action::ReportBack => &[Handler],
            Action::SettleInGrid => &[GridMember],
            Action::Verify { .. } => &[Inspector, GridMember],
            Action::Evaluate { .. } => &[Resident, IntakeOperator],
            Action::Reopen => &[Resident, ShiftChief],
            Action::Urge => &[Supervisor],
            // The scheduler tasks the supervisor (督办) when a case stays overdue.
            Action::Supervise => &[Supervisor, System],
            Action::FollowUpExpired => &[System],
            Action::Escalate { .. } => &[Supervisor, System],
            Action::Warn | Action::MarkOverdue => &[System],
        }
    }

    /// The states this action may start from.
    pub fn from_states(&self) -> &'static [State] {
        use State::*;
        const OPEN: &[State] = &[Reported, Filed, Dispatched, Handling, Returned, ReportedBack, Verified, Parked];
        const RUNNING: &[State] = &[Dispatched, Handling, ReportedBack];
        match self {
            Action::File { .. } => &[Reported],
            Action::Void => &[Reported, Filed, Returned],
            Action::MarkDuplicate { .. } => &[Reported, Filed],
            Action::AbsorbDuplicate { .. } => OPEN,
            Action::Dispatch { .. } => &[Filed, Returned],
            Action::Accept => &[Dispatched],
            Action::Return => &[Dispatched, Handling],
            Action::RequestExtension { .. } => &[Handling],
            Action::DecideExtension { .. } => &[Handling, Parked],
            Action::Park => &[Dispatched, Handling],
            Action::Unpark => &[Parked],
            Action::ReportBack => &[Handling],
            Action::SettleInGrid => &[Reported],
            Action::Verify { .. } => &[ReportedBack],
            Action::Close { fixed: true } => &[Verified],
            Action::Close { fixed: false } => &[Handling, Parked, ReportedBack],
            Action::Evaluate { .. } | Action::FollowUpExpired => &[ClosedFixed, ClosedNotFixed],
            Action::Reopen => &[ClosedFixed],
            Action::Urge | Action::Supervise | Action::Escalate { .. } => OPEN,
            Action::Warn | Action::MarkOverdue => RUNNING,
        }
    }
}

/// A request to change a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Command {
    pub actor: Actor,
    pub at: Timestamp,
    pub action: Action,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// What the state machine needs to know about the deployment.
#[derive(Clone, Debug)]
pub struct Rules {
    pub taxonomy: Taxonomy,
    pub calendar: Calendar,
    /// Share of the handling time after which a warning is raised (default 0.8).
    pub warn_share: f64,
}

impl Rules {
    /// The working minutes a case of this subclass and urgency gets.
    pub fn limit_minutes(&self, subclass: SubclassId, urgency: Urgency) -> Result<i64, Refusal> {
        let limit = self.taxonomy.require("subclass", subclass)?.time_limit;
        Ok(self.calendar.limit_minutes(urgency.limit(limit, |l| self.calendar.limit_minutes(l))))
    }
}

/// Opens a new case from a validated report: the first event of its chain.
pub fn open(id: i64, report: Report, reporter: &Actor, at: Timestamp, rules: &Rules) -> Result<(Case, Event), Refusal> {
    let subclass = rules.taxonomy.require("subclass", report.subclass)?;
    let urgency = report.urgency.unwrap_or(subclass.urgency);
    let case = Case {
        id,
        state: State::Reported,
        seq: 0,
        head: audit::GENESIS,
        subclass: report.subclass,
        request_type: report.request_type,
        urgency,
        grid: report.grid.clone(),
        location: report.location,
        address: report.address.clone(),
        description: report.description.clone(),
        channel: report.channel,
        reporter: reporter.resident_id().to_owned(),
        followers: vec![reporter.resident_id().to_owned()],
        photos: report.photos.clone(),
        reported_at: at,
        filed_at: None,
        dispatched_at: None,
        closed_at: None,
        lead_unit: None,
        assisting_units: vec![],
        clock: Clock::default(),
        extension_requested: None,
        handled_by: None,
        settled_in_grid: false,
        return_count: 0,
        rework_count: 0,
        reopen_count: 0,
        extension_count: 0,
        urge_count: 0,
        supervised: false,
        warned: false,
        overdue: false,
        escalated_to: None,
        duplicate_of: None,
        rating: None,
        follow_up_expired: false,
    };
    let mut detail = serde_json::to_value(&report).expect("reports serialise");
    name_whom_for(reporter, &mut detail);
    let detail = serde_json::to_string(&detail).expect("json values serialise");
    Ok(record(case, None, reporter, at, "report", String::new(), report.photos, detail))
}

/// The state machine: the next case and its event, or a refusal naming the state and the role.
pub fn decide(case: &Case, cmd: &Command, rules: &Rules) -> Result<(Case, Event), Refusal> {
    let action = &cmd.action;
    let actor = &cmd.actor;
    if !action.roles().contains(&actor.role) {
        return Err(refuse_role(case, action, actor.role));
    }
    if !action.from_states().contains(&case.state) {
        return Err(refuse_state(case, action, actor.role));
    }
    check_place(case, cmd)?;
    if cmd.at < case.reported_at {
        return Err(Refusal::bad_field("at", "操作时间早于上报时间", "the action's time is before the report"));
    }

    let mut next = case.clone();
    let at = cmd.at;
    let mut detail = serde_json::to_value(action).expect("actions serialise");
    next.state = match action {
        Action::File { subclass, urgency } => {
            if let Some(s) = subclass {
                rules.taxonomy.require("subclass", *s)?;
                next.subclass = *s;
            }
            if let Some(u) = urgency {
                next.urgency = *u;
            }
            next.filed_at = Some(at);
            State::Filed
        }
        Action::Void => {
            require_note(cmd)?;
            next.closed_at = Some(at);
            State::Voided
        }
        Action::MarkDuplicate { of } => {
            if *of == case.id {
                return Err(Refusal::bad_field("of", "案卷不能与自身重复", "a case cannot duplicate itself"));
            }
            next.duplicate_of = Some(*of);
            next.closed_at = Some(at);
            State::Duplicate
        }
        Action::AbsorbDuplicate { reporter, .. } => {
            if !next.followers.contains(reporter) {
                next.followers.push(reporter.clone());
            }
            case.state
        }
        Action::Dispatch { lead, assisting } => {
            if assisting.contains(lead) {
                return Err(Refusal::bad_field(
                    "assisting",
                    "协办单位不能同时是主办单位",
                    "an assisting unit cannot also be the lead unit",
                ));
            }
            next.lead_unit = Some(lead.clone());
            next.assisting_units = assisting.clone();
            next.dispatched_at = Some(at);
            start_clock(&mut next, at, rules, &mut detail)?;
            State::Dispatched
        }
        Action::Accept => State::Handling,
        Action::Return => {
            require_note(cmd)?;
            next.return_count += 1;
            next.clock = Clock::default();
            next.extension_requested = None;
            State::Returned
        }
        Action::RequestExtension { minutes } => {
            if next.extension_requested.is_some() {
                return Err(Refusal::new(
                    "extension_pending",
                    "已有延期申请待审批",
                    "an extension request is already awaiting a decision",
                ));
            }
            if *minutes <= 0 || *minutes > 60 * 24 * 60 {
                return Err(Refusal::bad_field(
                    "minutes",
                    "延期时长应为 1 分钟到 60 个工作日之间",
                    "an extension must be between 1 working minute and 60 working days",
                ));
            }
            require_note(cmd)?;
            next.extension_requested = Some(*minutes);
            State::Handling
        }
        Action::DecideExtension { approve } => {
            let Some(minutes) = next.extension_requested.take() else {
                return Err(Refusal::new(
                    "no_extension_request",
                    "没有待审批的延期申请",
                    "there is no extension request to decide",
                ));
            };
            if *approve {
                next.clock.limit_minutes += minutes;
                next.clock.recompute(rules);
                next.extension_count += 1;
                // A deadline pushed out of reach clears the flags it had raised.
                next.overdue = next.clock.due_at.is_some_and(|d| d <= at) && next.overdue;
                next.warned = next.clock.warn_at.is_some_and(|w| w <= at) && next.warned;
                detail["due_at"] = serde_json::json!(next.clock.due_at);
            }
            case.state
        }
        Action::Park => {
            require_note(cmd)?;
            next.clock.stop(at, rules);
            State::Parked
        }
        Action::Unpark => {
            next.clock.resume(at, rules);
            detail["due_at"] = serde_json::json!(next.clock.due_at);
            State::Handling
        }
        Action::ReportBack => {
            require_evidence(cmd)?;
            next.handled_by = Some(actor.id.clone());
            State::ReportedBack
        }
        Action::SettleInGrid => {
            require_evidence(cmd)?;
            if case.reporter != actor.id {
                return Err(Refusal::new(
                    "not_own_report",
                    "只有上报该问题的网格员可以在网格内自行处置",
                    "only the grid member who reported it may settle it in the grid",
                ));
            }
            next.filed_at = Some(at);
            next.handled_by = Some(actor.id.clone());
            next.settled_in_grid = true;
            State::ReportedBack
        }
        Action::Verify { passed } => {
            if next.handled_by.as_deref() == Some(actor.id.as_str()) {
                return Err(Refusal::new(
                    "self_verification",
                    "处置人不能核查自己的处置结果",
                    "whoever handled a case cannot verify their own work",
                ));
            }
            if *passed {
                State::Verified
            } else {
                require_note(cmd)?;
                next.rework_count += 1;
                if next.settled_in_grid {
                    // The grid could not settle it after all: it goes to dispatch like any case.
                    next.settled_in_grid = false;
                    State::Filed
                } else {
                    start_clock(&mut next, at, rules, &mut detail)?;
                    State::Handling
                }
            }
        }
        Action::Close { fixed } => {
            if *fixed {
                // The 监督/指挥 axes are separate: the handling unit never closes its own case.
                if actor.unit.is_some() && actor.unit == next.lead_unit {
                    return Err(Refusal::new(
                        "own_unit_close",
                        "处置单位不能结本单位处置的案卷",
                        "the handling unit cannot close its own case",
                    ));
                }
            } else {
                require_note(cmd)?;
            }
            next.clock.stop(at, rules);
            next.closed_at = Some(at);
            if *fixed { State::ClosedFixed } else { State::ClosedNotFixed }
        }
        Action::Evaluate { satisfaction, fixed, responded } => {
            if actor.role == Role::Resident && !case.followers.iter().any(|f| f == actor.resident_id()) {
                return Err(Refusal::new(
                    "not_reporter",
                    "只有上报人可以评价此案卷",
                    "only a reporter of this case may rate it",
                ));
            }
            if case.rating.is_some() {
                return Err(Refusal::new("already_rated", "此案卷已评价", "this case has already been rated"));
            }
            next.rating = Some(Rating { satisfaction: *satisfaction, fixed: *fixed, responded: *responded, at });
            next.follow_up_expired = false;
            if case.state == State::ClosedFixed && *satisfaction == Satisfaction::NotSatisfied && !*fixed {
                detail["reopened"] = serde_json::json!(true);
                reopen(&mut next, at, rules, &mut detail)?
            } else {
                case.state
            }
        }
        Action::FollowUpExpired => {
            if case.rating.is_some() || case.follow_up_expired {
                return Err(Refusal::new(
                    "already_answered",
                    "此案卷的回访已有结果",
                    "this case's follow-up already has an outcome",
                ));
            }
            next.follow_up_expired = true;
            case.state
        }
        Action::Reopen => {
            if actor.role == Role::Resident && !case.followers.iter().any(|f| f == actor.resident_id()) {
                return Err(Refusal::new(
                    "not_reporter",
                    "只有上报人可以重新打开此案卷",
                    "only a reporter of this case may reopen it",
                ));
            }
            require_note(cmd)?;
            reopen(&mut next, at, rules, &mut detail)?
        }
        Action::Urge => {
            next.urge_count += 1;
            case.state
        }
        Action::Supervise => {
            next.supervised = true;
            case.state
        }
        Action::Escalate { to } => {
            if !to.covers(&case.grid) || to == &case.grid {
                return Err(Refusal::bad_field(
                    "to",
                    format!("{to} 不是网格 {} 的上级", case.grid),
                    format!("{to} is not above grid {}", case.grid),
                ));
            }
            next.escalated_to = Some(to.clone());
            case.state
        }
        Action::Warn => {
            if next.warned || next.clock.warn_at.is_none_or(|w| w > at) {
                return Err(Refusal::new("not_due", "尚未到预警时间", "the warning time has not come"));
            }
            next.warned = true;
            case.state
        }
        Action::MarkOverdue => {
            if next.overdue || next.clock.due_at.is_none_or(|d| d > at) {
                return Err(Refusal::new("not_due", "尚未超期", "the deadline has not passed"));
            }
            next.overdue = true;
            case.state
        }
    };
    name_whom_for(actor, &mut detail);
    let detail = serde_json::to_string(&detail).expect("json values serialise");
    Ok(record(next, Some(case.state), actor, at, action.name(), cmd.note.clone(), cmd.attachments.clone(), detail))
}

/// The lead and assisting units of a case right after its event `seq`, lead first: those of
/// the last dispatch up to it (a return or a reopening keeps them until the next dispatch).
pub fn units_after(events: &[Event], seq: u32) -> Vec<String> {
    events
        .iter()
        .take_while(|e| e.seq <= seq)
        .filter(|e| e.step == "dispatch")
        .filter_map(|e| match serde_json::from_str::<Action>(&e.detail) {
            Ok(Action::Dispatch { lead, assisting }) => Some(std::iter::once(lead).chain(assisting).collect()),
            _ => None,
        })
        .last()
        .unwrap_or_default()
}

/// Back to the unit that handled it, with a fresh clock; to dispatch if no unit ever had it.
fn reopen(next: &mut Case, at: Timestamp, rules: &Rules, detail: &mut serde_json::Value) -> Result<State, Refusal> {
    next.reopen_count += 1;
    next.closed_at = None;
    next.rating = None;
    next.follow_up_expired = false;
    next.warned = false;
    next.overdue = false;
    if next.lead_unit.is_some() {
        next.dispatched_at = Some(at);
        start_clock(next, at, rules, detail)?;
        Ok(State::Dispatched)
    } else {
        next.settled_in_grid = false;
        next.clock = Clock::default();
        Ok(State::Filed)
    }
}

fn start_clock(next: &mut Case, at: Timestamp, rules: &Rules, detail: &mut serde_json::Value) -> Result<(), Refusal> {
    next.clock = Clock::start(rules.limit_minutes(next.subclass, next.urgency)?, at, rules);
    next.warned = false;
    next.overdue = false;
    next.extension_requested = None;
    detail["due_at"] = serde_json::json!(next.clock.due_at);
    Ok(())
}

/// An actor speaking for a resident (亲友代办, a hotline caller) acts under their own id; the
/// event's detail names the resident too, so that the audit trail says who acted for whom.
fn name_whom_for(actor: &Actor, detail: &mut serde_json::Value) {
    if let (Some(resident), Some(fields)) = (&actor.on_behalf_of, detail.as_object_mut()) {
        fields.insert("on_behalf_of".into(), serde_json::json!(resident));
    }
}

#[allow(clippy::too_many_arguments)] // the fields of an event, named at every call
fn record(
    mut case: Case,
    from: Option<State>,
    actor: &Actor,
    at: Timestamp,
    step: &str,
    note: String,
    attachments: Vec<String>,
    detail: String,
) -> (Case, Event) {
    let mut event = Event {
        case_id: case.id,
        seq: case.seq + 1,
        at,
        actor: actor.id.clone(),
        role: actor.role,
        step: step.to_owned(),
        from,
        to: case.state,
        note,
        attachments,
        detail,
        prev: case.head,
        hash: audit::GENESIS,
    };
    event.hash = audit::event_hash(&event);
    case.seq = event.seq;
    case.head = event.hash;
    (case, event)
}

/// Where the actor stands relative to the case: territory, unit, reporter.
fn check_place(case: &Case, cmd: &Command) -> Result<(), Refusal> {
    let actor = &cmd.actor;
    match actor.role {
        Role::Resident | Role::System => Ok(()),
        Role::Handler => {
            let own = actor.unit.is_some() && actor.unit == case.lead_unit;
            if own {
                Ok(())
            } else {
                Err(Refusal::new(
                    "not_your_unit",
                    format!("案卷 {} 未派遣给您的单位", case.id),
                    format!("case {} was not dispatched to your unit", case.id),
                ))
            }
        }
        _ => match &actor.scope {
            Some(scope) if scope.covers(&case.grid) => Ok(()),
            _ => Err(Refusal::new(
                "outside_jurisdiction",
                format!("案卷 {} 所在网格 {} 不在您的管辖范围内", case.id, case.grid),
                format!("case {} lies in grid {}, outside your jurisdiction", case.id, case.grid),
            )),
        },
    }
}

fn require_note(cmd: &Command) -> Result<(), Refusal> {
    if cmd.note.trim().is_empty() {
        return Err(Refusal::bad_field(
            "note",
            format!("{}须说明理由", cmd.action.name_zh()),
            format!("{} needs a reason", cmd.action.name()),
        ));
    }
    Ok(())
}

fn require_evidence(cmd: &Command) -> Result<(), Refusal> {
    if cmd.attachments.is_empty() && cmd.note.trim().is_empty() {
        return Err(Refusal::bad_field(
            "attachments",
            format!("{}须附照片或处置说明", cmd.action.name_zh()),
            format!("{} needs a photo or a description of what was done", cmd.action.name()),
        ));
    }
    Ok(())
}

fn refuse_role(case: &Case, action: &Action, role: Role) -> Refusal {
    let allowed_zh: Vec<_> = action.roles().iter().map(|r| r.name_zh()).collect();
    let allowed_en: Vec<_> = action.roles().iter().map(|r| r.as_str()).collect();
    Refusal::new(
        "role_not_allowed",
        format!(
            "{}不能对案卷 {}（{}）执行“{}”，只有{}可以",
            role.name_zh(),
            case.id,
            case.state.name_zh(),
            action.name_zh(),
            allowed_zh.join("、")
        ),
        format!(
            "a {role} may not {} case {} ({}); only {} may",
            action.name(),
            case.id,
            case.state.name_en(),
            allowed_en.join(", ")
        ),
    )
}

fn refuse_state(case: &Case, action: &Action, role: Role) -> Refusal {
    Refusal::new(
        "illegal_transition",
        format!(
            "案卷 {} 当前状态为“{}”，{}不能执行“{}”",
            case.id,
            case.state.name_zh(),
            role.name_zh(),
            action.name_zh()
        ),
        format!("case {} is {}; a {role} cannot {} it now", case.id, case.state.name_en(), action.name()),
    )
}

#[cfg(test)]
mod tests;
