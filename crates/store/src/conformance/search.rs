//! The search story: case search (案卷查询) gives what a filter over every case gives, for areas
//! at every level, states, kinds, overdue, report windows and pages, however the backend chooses
//! its plan. Needs a fresh store.

use std::sync::Arc;

use yiwang_domain::case::{self, Action, Actor, Case, Command, Role, State};
use yiwang_domain::taxonomy::SubclassId;
use yiwang_domain::time::MINUTE_MS;

use super::{Dice, T0, code, reference, report, rules, staff};
use crate::{CaseFilter, Change, Store};

const GRIDS: [&str; 4] = ["110101001001001", "110101001001002", "110101002001001", "110101002001002"];
/// Kinds from common to rare.
const KINDS: [&str; 3] = ["E0101", "E0102", "E0107"];
const AREAS: [Option<&str>; 5] = [None, Some("110101"), Some("110101001"), Some("110101002001"), Some(GRIDS[3])];

/// Takes every case one step further, in one commit; `overdue` marks some of them on the way.
async fn advance(s: &dyn Store, cases: &mut [Case], actor: &Actor, action: Action, overdue: &mut impl FnMut() -> bool) {
    let mut changes = Vec::new();
    for c in cases.iter_mut() {
        let at = c.reported_at.plus_ms(c.seq as i64 * MINUTE_MS);
        let cmd =
            Command { actor: actor.clone(), at, action: action.clone(), note: "说明".into(), attachments: vec![] };
        let (mut next, event) = case::decide(c, &cmd, &rules()).expect("decide");
        next.overdue = overdue();
        *c = next.clone();
        changes.push(Change { case: next, event, evaluation: None });
    }
    s.commit(changes).await.expect("commit a step of many cases");
}

pub async fn run(store: Arc<dyn Store>) {
    let s = store.as_ref();
    s.save_reference(&reference()).await.unwrap();
    let mut dice = Dice(0x2545_f491_4f6c_dd1d);

    // 400 cases, skewed to the first street and the first kind; then a share of them filed,
    // some of those dispatched, some of those closed.
    let first = s.allocate_case_ids(400).await.unwrap();
    let mut opened = Vec::new();
    let mut changes = Vec::new();
    for i in 0..400 {
        let grid = GRIDS[[0, 0, 0, 1, 1, 2, 3][dice.below(7) as usize]];
        let kind = KINDS[[0, 0, 0, 0, 1, 1, 2][dice.below(7) as usize]];
        let at = T0.plus_ms(i * MINUTE_MS + dice.below(30) as i64 * MINUTE_MS);
        let (c, event) =
            case::open(first + i, report(grid, kind, 116.4005), &Actor::resident("r-s"), at, &rules()).expect("open");
        opened.push(c.clone());
        changes.push(Change { case: c, event, evaluation: None });
    }
    s.commit(changes).await.expect("commit the reports");
    let (reported, mut filed): (Vec<Case>, Vec<Case>) = opened.into_iter().partition(|_| dice.coin(30));
    let mut overdue = || dice.coin(15);
    let op = staff("op", Role::IntakeOperator, None);
    advance(s, &mut filed, &op, Action::File { subclass: None, urgency: None }, &mut overdue).await;
    let split = filed.len() / 3;
    let mut dispatched = filed.split_off(split);
    let disp = staff("disp", Role::Dispatcher, None);
    advance(s, &mut dispatched, &disp, Action::Dispatch { lead: "cgzf".into(), assisting: vec![] }, &mut overdue).await;
    let mut closed = dispatched.split_off(dispatched.len() / 3);
    let handler = staff("h", Role::Handler, Some("cgzf"));
    for (actor, action) in [
        (handler.clone(), Action::Accept),
        (handler, Action::ReportBack),
        (staff("m", Role::GridMember, None), Action::Verify { passed: true }),
        (staff("chief", Role::ShiftChief, Some("centre")), Action::Close { fixed: true }),
    ] {
        advance(s, &mut closed, &actor, action, &mut overdue).await;
    }
    let mut all: Vec<Case> = [reported, filed, dispatched, closed].concat();
    all.sort_by_key(|c| std::cmp::Reverse(c.id));

    for round in 0..300 {
        let states = [
            vec![],
            vec![State::ClosedFixed],
            vec![State::Dispatched],
            vec![State::Reported, State::Filed],
            vec![State::Filed, State::Dispatched, State::ClosedFixed],
        ][dice.below(5) as usize]
            .clone();
        let mut f = CaseFilter {
            area: AREAS[dice.below(5) as usize].map(code),
            states,
            subclass: dice.coin(40).then(|| SubclassId::parse("s", KINDS[dice.below(3) as usize]).unwrap()),
            overdue: dice.coin(30).then(|| dice.coin(50)),
            reported_from: dice.coin(20).then(|| T0.plus_ms(dice.below(400) as i64 * MINUTE_MS)),
            reported_to: dice.coin(20).then(|| T0.plus_ms(dice.below(400) as i64 * MINUTE_MS)),
            limit: 1 + dice.below(30) as u32,
            ..Default::default()
        };
        let matches = |c: &&Case| {
            (f.states.is_empty() || f.states.contains(&c.state))
                && f.area.as_ref().is_none_or(|a| a.covers(&c.grid))
                && f.subclass.is_none_or(|k| k == c.subclass)
                && f.overdue.is_none_or(|o| o == c.overdue)
                && f.reported_from.is_none_or(|t| c.reported_at >= t)
                && f.reported_to.is_none_or(|t| c.reported_at < t)
        };
        let expected: Vec<i64> = all.iter().filter(matches).map(|c| c.id).collect();
        // Every page, as a client pages them.
        let mut found: Vec<i64> = Vec::new();
        loop {
            let page: Vec<i64> = s.find_cases(&f).await.expect("search").iter().map(|c| c.id).collect();
            found.extend(&page);
            match page.last() {
                Some(&last) if page.len() == f.limit as usize => f.before_id = Some(last),
                _ => break,
            }
        }
        assert_eq!(found, expected, "round {round}: {f:?}");
    }
}
