// The work queues (待办): the server says which queues a role has and how many cases wait in
// each (GET /api/queues) and lists a queue's cases (GET /api/cases?queue=NAME); here is how the
// workbench presents each — the steps its rows offer, the steps it takes in bulk, and which case
// comes first. Boards that are not the caller's own queue (the overdue board for staff other
// than supervisors) list by filters instead.

import { query } from '../../api'
import type { Case } from '../../types'
import type { Step } from './actions'

export interface Queue {
  name: string
  /** The steps its cases wait for, offered on each row (the first is the main one). */
  steps: Step[]
  /** Steps that may be taken on many cases at once. */
  bulk: Step[]
  /** Most urgent first. */
  order?: (a: Case, b: Case) => number
  /** A board's filters of GET /api/cases, in place of the queue's name. */
  filter?: Record<string, string | boolean>
  /** What a board's filters alone cannot say. */
  keep?: (c: Case) => boolean
}

/** GET /api/queues */
export interface Queues {
  queues: { name: string; label: string; action: string; states: string[]; count: number }[]
  total: number
}

/** The most cases a list shows; the count says how many wait in all. */
export const LIMIT = 500

const byDeadline = (a: Case, b: Case) => (a.due_at ?? '9').localeCompare(b.due_at ?? '9')
const oldestFirst = (a: Case, b: Case) => a.reported_at.localeCompare(b.reported_at)

const QUEUES: Record<string, Queue> = {
  to_file: { name: 'to_file', steps: ['file'], bulk: ['file'], order: oldestFirst },
  to_dispatch: { name: 'to_dispatch', steps: ['dispatch'], bulk: ['dispatch'], order: oldestFirst },
  to_accept: { name: 'to_accept', steps: ['accept'], bulk: ['accept'], order: byDeadline },
  to_report_back: { name: 'to_report_back', steps: ['report_back'], bulk: [], order: byDeadline },
  to_verify: { name: 'to_verify', steps: ['pass', 'fail'], bulk: [], order: oldestFirst },
  to_close: { name: 'to_close', steps: ['close'], bulk: ['close'], order: oldestFirst },
  extension_requests: { name: 'extension_requests', steps: ['approve_extension', 'refuse_extension'], bulk: [], order: byDeadline },
  overdue: { name: 'overdue', steps: ['urge', 'supervise', 'escalate'], bulk: ['urge'], order: byDeadline },
  to_rate: { name: 'to_rate', steps: ['callback'], bulk: [], order: oldestFirst },
}

/** How the workbench presents a queue the server names; one it does not know offers no step. */
export function queueNamed(name: string): Queue {
  return QUEUES[name] ?? { name, steps: [], bulk: [] }
}

/** The overdue board (超期督办): open overdue cases of the caller's area, whoever looks. */
export const overdueBoard: Queue = { ...QUEUES.overdue, filter: { overdue: true }, keep: (c) => c.open }

/** The list request of a queue or board. */
export function listPath(q: Queue): string {
  return `/api/cases${query({ ...(q.filter ?? { queue: q.name }), limit: LIMIT })}`
}

/** A queue's cases, most urgent first. */
export function arrange(q: Queue, cases: Case[]): Case[] {
  const kept = q.keep ? cases.filter(q.keep) : [...cases]
  return q.order ? kept.sort(q.order) : kept
}

/** How late a case is, in whole minutes after its deadline (0 when not late). */
export function minutesLate(c: Case, now: Date): number {
  if (!c.due_at) return 0
  return Math.max(0, Math.floor((now.getTime() - new Date(c.due_at).getTime()) / 60_000))
}

/** Minutes as days, hours and minutes, the larger two that are not zero. */
export function span(minutes: number): { d: number; h: number; m: number } {
  const d = Math.floor(minutes / 1440)
  const h = Math.floor((minutes % 1440) / 60)
  const m = d > 0 ? 0 : minutes % 60
  return { d, h, m }
}
