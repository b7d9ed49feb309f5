//! Work queues (待办): the open cases waiting for one step, and who must take it.
//!
//! A queue is derived from the state machine, not written beside it: it names one action, its
//! cases are those in the states that action starts from ([`Action::from_states`]) and, for a
//! few actions, also waiting on something the state alone does not say (an extension request,
//! a passed deadline, a follow-up); whoever may take the action ([`Action::roles`]) has the
//! queue. A new rule in `decide` therefore moves the queues with it.

use crate::case::{Action, Role, Satisfaction, State};

/// What, beyond its state, puts a case in a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// Nothing: the state says it.
    State,
    /// The unit asked for more time (申请延期) and nobody has answered.
    ExtensionRequest,
    /// The deadline has passed (超期).
    Overdue,
    /// Closed, and the follow-up (回访) has neither an answer nor expired.
    FollowUp,
}

/// One queue: a step owed on the cases that wait for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    /// Stable name, used in the API (`?queue=to_file`).
    pub name: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// The step the cases wait for.
    pub action: Action,
    pub waiting: Waiting,
}

impl Queue {
    /// Every queue, in the order of the closed loop.
    pub fn all() -> Vec<Queue> {
        let q = |name, name_zh, name_en, action, waiting| Queue { name, name_zh, name_en, action, waiting };
        vec![
            q("to_file", "待立案", "to file", Action::File { subclass: None, urgency: None }, Waiting::State),
            q(
                "to_dispatch",
                "待派遣（含回退）",
                "to dispatch (returned included)",
                Action::Dispatch { lead: String::new(), assisting: vec![] },
                Waiting::State,
            ),
            q("to_accept", "待签收", "to accept", Action::Accept, Waiting::State),
            q("to_report_back", "处置中待反馈", "to report back", Action::ReportBack, Waiting::State),
            q("to_verify", "待核查", "to verify", Action::Verify { passed: true }, Waiting::State),
            q("to_close", "待结案", "to close", Action::Close { fixed: true }, Waiting::State),
            q(
                "extension_requests",
                "延期待审批",
                "extension requests",
                Action::DecideExtension { approve: true },
                Waiting::ExtensionRequest,
            ),
            q("overdue", "超期待督办", "overdue, to urge", Action::Urge, Waiting::Overdue),
            q(
                "to_rate",
                "待评价（回访）",
                "to rate (follow-up)",
                Action::Evaluate { satisfaction: Satisfaction::Satisfied, fixed: true, responded: None },
                Waiting::FollowUp,
            ),
        ]
    }

    /// The queues of a role: those whose step the role may take. None for the platform itself
    /// (the scheduler finds its own work) nor the administrators (no case contents).
    pub fn of_role(role: Role) -> Vec<Queue> {
        if role == Role::System {
            return vec![];
        }
        Queue::all().into_iter().filter(|q| q.action.roles().contains(&role)).collect()
    }

    pub fn named(name: &str) -> Option<Queue> {
        Queue::all().into_iter().find(|q| q.name == name)
    }

    /// The states the queue's cases are in.
    pub fn states(&self) -> &'static [State] {
        self.action.from_states()
    }

    pub fn name_in(&self, lang: crate::Lang) -> &'static str {
        match lang {
            crate::Lang::Zh => self.name_zh,
            crate::Lang::En => self.name_en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Role::*;

    fn names(role: Role) -> Vec<&'static str> {
        Queue::of_role(role).iter().map(|q| q.name).collect()
    }

    /// Written out by hand from PRODUCT.md's roles, so that a change of `Action::roles` that
    /// moves a queue is seen here.
    #[test]
    fn each_role_has_the_queues_of_its_steps() {
        assert_eq!(names(IntakeOperator), ["to_file", "to_rate"]);
        assert_eq!(names(Dispatcher), ["to_dispatch"]);
        assert_eq!(names(Handler), ["to_accept", "to_report_back"]);
        assert_eq!(names(GridMember), ["to_verify"]);
        assert_eq!(names(Inspector), ["to_verify"]);
        assert_eq!(names(ShiftChief), ["to_file", "to_close", "extension_requests"]);
        assert_eq!(names(Supervisor), ["overdue"]);
        assert_eq!(names(Resident), ["to_rate"]);
        for role in [Leader, DataOfficer, SystemAdmin, SecurityAdmin, AuditAdmin, System] {
            assert!(names(role).is_empty(), "{role}");
        }
    }

    #[test]
    fn states_come_from_the_state_machine() {
        let states = |n: &str| Queue::named(n).unwrap().states().to_vec();
        assert_eq!(states("to_file"), [State::Reported]);
        assert_eq!(states("to_dispatch"), [State::Filed, State::Returned]);
        assert_eq!(states("to_close"), [State::Verified]);
        assert_eq!(states("extension_requests"), [State::Handling, State::Parked]);
        assert!(states("overdue").iter().all(|s| s.is_open()));
        assert!(Queue::named("nothing").is_none());
    }
}
