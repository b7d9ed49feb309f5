// The work queues (待办) of each role: the open cases waiting for a step that role takes, by
// the same names as the server's queues (`to_file`, `to_dispatch`, …). Each is read through
// the case list's filters; `keep` narrows what a filter alone cannot say.

import { query } from '../../api'
import type { Case } from '../../types'
import type { Step } from './actions'

export interface Queue {
  name: string
  /** Filters of GET /api/cases. */
  filter: Record<string, string | boolean>
  /** The steps its cases wait for, offered on each row (the first is the main one). */
  steps: Step[]
  /** Steps that may be taken on many cases at once from this queue. */
  bulk: Step[]
  keep?: (c: Case) => boolean
  /** Most urgent first. */
  order?: (a: Case, b: Case) => number
}

const byDeadline = (a: Case, b: Case) => (a.due_at ?? '9').localeCompare(b.due_at ?? '9')
const oldestFirst = (a: Case, b: Case) => a.reported_at.localeCompare(b.reported_at)

const QUEUES: Record<string, Queue> = {
  to_file: { name: 'to_file', filter: { state: 'reported' }, steps: ['file'], bulk: ['file'], order: oldestFirst },
  to_dispatch: { name: 'to_dispatch', filter: { state: 'filed,returned' }, steps: ['dispatch'], bulk: ['dispatch'], order: oldestFirst },
  to_accept: { name: 'to_accept', filter: { state: 'dispatched' }, steps: ['accept'], bulk: ['accept'], order: byDeadline },
  to_report_back: { name: 'to_report_back', filter: { state: 'handling' }, steps: ['report_back'], bulk: [], order: byDeadline },
  to_verify: { name: 'to_verify', filter: { state: 'reported_back' }, steps: ['pass', 'fail'], bulk: [], order: oldestFirst },
  to_close: { name: 'to_close', filter: { state: 'verified' }, steps: ['close'], bulk: ['close'], order: oldestFirst },
  extension_requests: {
    name: 'extension_requests',
    filter: { state: 'handling,parked' },
    steps: ['approve_extension', 'refuse_extension'],
    bulk: [],
    keep: (c) => c.extension_requested_minutes !== null,
    order: byDeadline,
  },
  overdue: { name: 'overdue', filter: { overdue: true }, steps: ['urge', 'supervise', 'escalate'], bulk: ['urge'], keep: (c) => c.open, order: byDeadline },
  callbacks: {
    name: 'callbacks',
    filter: { awaiting_follow_up: true },
    steps: ['callback'],
    bulk: [],
    keep: (c) => c.channel === 'hotline',
    order: oldestFirst,
  },
}

const OF_ROLE: Record<string, string[]> = {
  intake_operator: ['to_file', 'callbacks'],
  dispatcher: ['to_dispatch'],
  handler: ['to_accept', 'to_report_back'],
  grid_member: ['to_verify'],
  inspector: ['to_verify'],
  shift_chief: ['to_close', 'extension_requests', 'to_file'],
  supervisor: ['overdue'],
}

export function queuesOf(role: string | null | undefined): Queue[] {
  return (OF_ROLE[role ?? ''] ?? []).map((n) => QUEUES[n])
}

export function queueNamed(name: string): Queue | undefined {
  return QUEUES[name]
}

/** The list request of a queue. */
export function listPath(q: Queue): string {
  return `/api/cases${query({ ...q.filter, limit: 500 })}`
}

/** A queue's cases out of what its filter returned, most urgent first. */
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
