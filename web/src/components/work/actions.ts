// Which steps of the closed loop a member of staff may take on a case, and the request each
// sends. The table mirrors the state machine (crates/domain/src/case.rs: `Action::roles`,
// `Action::from_states` and the finer checks of `decide`); actions.test.ts reads that file and
// fails when the two drift apart. The server stays the judge: whatever it refuses (403, 409) is
// shown as it says, in the user's language.

import type { Case, Me } from '../../types'

/** A step as the workbench offers it: one action, sometimes with a fixed parameter. */
export type Step =
  | 'file'
  | 'void'
  | 'merge'
  | 'dispatch'
  | 'accept'
  | 'return'
  | 'request_extension'
  | 'approve_extension'
  | 'refuse_extension'
  | 'park'
  | 'unpark'
  | 'report_back'
  | 'settle_in_grid'
  | 'pass'
  | 'fail'
  | 'close'
  | 'close_not_fixed'
  | 'reopen'
  | 'callback'
  | 'urge'
  | 'supervise'
  | 'escalate'

const OPEN = ['reported', 'filed', 'dispatched', 'handling', 'returned', 'reported_back', 'verified', 'parked']

interface Rule {
  /** The server's action name (`action` of the request body). */
  action: string
  roles: string[]
  from: string[]
  /** A reason is required (`require_note`). */
  note?: boolean
  /** A photo or a description of what was done is required (`require_evidence`). */
  evidence?: boolean
  /** The finer conditions of `decide` that the case's fields show. */
  when?: (c: Case, who: Me) => boolean
}

// Verification has one more rule — whoever reported back never verifies their own work — that
// only the timeline shows; the server refuses it (`self_verification`).
export const RULES: Record<Step, Rule> = {
  file: { action: 'file', roles: ['intake_operator', 'shift_chief'], from: ['reported'] },
  void: { action: 'void', roles: ['shift_chief'], from: ['reported', 'filed', 'returned'], note: true },
  merge: { action: 'mark_duplicate', roles: ['intake_operator', 'shift_chief'], from: ['reported', 'filed'] },
  dispatch: { action: 'dispatch', roles: ['dispatcher'], from: ['filed', 'returned'] },
  accept: { action: 'accept', roles: ['handler'], from: ['dispatched'], when: ownUnit },
  return: { action: 'return', roles: ['handler'], from: ['dispatched', 'handling'], note: true, when: ownUnit },
  request_extension: {
    action: 'request_extension',
    roles: ['handler'],
    from: ['handling'],
    note: true,
    when: (c, who) => ownUnit(c, who) && c.extension_requested_minutes === null,
  },
  approve_extension: {
    action: 'decide_extension',
    roles: ['shift_chief'],
    from: ['handling', 'parked'],
    when: (c) => c.extension_requested_minutes !== null,
  },
  refuse_extension: {
    action: 'decide_extension',
    roles: ['shift_chief'],
    from: ['handling', 'parked'],
    when: (c) => c.extension_requested_minutes !== null,
  },
  park: { action: 'park', roles: ['shift_chief'], from: ['dispatched', 'handling'], note: true },
  unpark: { action: 'unpark', roles: ['shift_chief'], from: ['parked'] },
  report_back: { action: 'report_back', roles: ['handler'], from: ['handling'], evidence: true, when: ownUnit },
  settle_in_grid: {
    action: 'settle_in_grid',
    roles: ['grid_member'],
    from: ['reported'],
    evidence: true,
    when: (c, who) => c.reporter !== null && c.reporter === who.staff_id,
  },
  pass: { action: 'verify', roles: ['inspector', 'grid_member'], from: ['reported_back'] },
  fail: { action: 'verify', roles: ['inspector', 'grid_member'], from: ['reported_back'], note: true },
  close: { action: 'close', roles: ['shift_chief'], from: ['verified'], when: notOwnUnit },
  close_not_fixed: { action: 'close', roles: ['shift_chief'], from: ['handling', 'parked', 'reported_back'], note: true },
  reopen: { action: 'reopen', roles: ['shift_chief'], from: ['closed_fixed'], note: true },
  callback: {
    action: 'evaluate',
    roles: ['intake_operator'],
    from: ['closed_fixed', 'closed_not_fixed'],
    when: (c) => c.rating === null,
  },
  urge: { action: 'urge', roles: ['supervisor'], from: OPEN },
  supervise: { action: 'supervise', roles: ['supervisor'], from: OPEN, when: (c) => !c.supervised },
  escalate: { action: 'escalate', roles: ['supervisor'], from: OPEN },
}

function ownUnit(c: Case, who: Me): boolean {
  return who.unit !== null && c.lead_unit?.id === who.unit.id
}

function notOwnUnit(c: Case, who: Me): boolean {
  return who.unit === null || c.lead_unit?.id !== who.unit.id
}

/** The steps `who` may take on `c` now, in the order of the closed loop. */
export function stepsFor(who: Me | null, c: Case): Step[] {
  if (!who?.role) return []
  return (Object.keys(RULES) as Step[]).filter((step) => {
    const rule = RULES[step]
    return rule.roles.includes(who.role!) && rule.from.includes(c.state) && (rule.when?.(c, who) ?? true)
  })
}

/** What a step needs from the person taking it before it can be sent. */
export interface Input {
  note: string
  attachments: string[]
  /** dispatch: lead unit id and assisting unit ids. */
  lead?: string
  assisting?: string[]
  /** request_extension: working days asked for. */
  days?: number
  /** merge: the surviving case. */
  into?: number
  /** escalate: the area code to escalate to. */
  to?: string
  /** callback: the resident's answer on the phone. */
  satisfaction?: 'satisfied' | 'basically' | 'not_satisfied'
  fixed?: boolean
}

/** A working day is eight working hours (data/calendar). */
const WORKING_DAY_MINUTES = 8 * 60

/** What is missing before `step` can be sent, as message keys (under `work.missing.`). */
export function missing(step: Step, input: Input): string[] {
  const rule = RULES[step]
  const out: string[] = []
  if (rule.note && !input.note.trim()) out.push('note')
  if (rule.evidence && !input.note.trim() && input.attachments.length === 0) out.push('evidence')
  if (step === 'dispatch' && !input.lead) out.push('lead')
  if (step === 'merge' && !input.into) out.push('into')
  if (step === 'escalate' && !input.to) out.push('to')
  if (step === 'request_extension' && !(input.days && input.days > 0)) out.push('days')
  if (step === 'callback' && !input.satisfaction) out.push('satisfaction')
  return out
}

/** The request a step sends: its path below the case and its body. */
export function request(id: number, step: Step, input: Input): { path: string; body: Record<string, unknown> } {
  const base = { note: input.note.trim(), attachments: input.attachments }
  if (step === 'merge') return { path: `/api/cases/${id}/merge`, body: { into: input.into, note: base.note } }
  const path = `/api/cases/${id}/actions`
  const action = RULES[step].action
  switch (step) {
    case 'dispatch':
      return { path, body: { action, lead: input.lead, assisting: (input.assisting ?? []).filter((u) => u !== input.lead), ...base } }
    case 'request_extension':
      return { path, body: { action, minutes: Math.round((input.days ?? 0) * WORKING_DAY_MINUTES), ...base } }
    case 'approve_extension':
    case 'refuse_extension':
      return { path, body: { action, approve: step === 'approve_extension', ...base } }
    case 'pass':
    case 'fail':
      return { path, body: { action, passed: step === 'pass', ...base } }
    case 'close':
    case 'close_not_fixed':
      return { path, body: { action, fixed: step === 'close', ...base } }
    case 'escalate':
      return { path, body: { action, to: input.to, ...base } }
    case 'callback':
      return { path, body: { action, satisfaction: input.satisfaction, fixed: input.fixed ?? true, responded: true, ...base } }
    default:
      return { path, body: { action, ...base } }
  }
}

/** The levels above a unit grid that a case may be escalated to: community, street, district
 *  (a grid code is 6 digits of county, 3 of street, 3 of community, 3 of grid). */
export function escalationTargets(grid: string): { level: 'community' | 'street' | 'county'; code: string }[] {
  return [
    { level: 'community', code: grid.slice(0, 12) },
    { level: 'street', code: grid.slice(0, 9) },
    { level: 'county', code: grid.slice(0, 6) },
  ]
}
