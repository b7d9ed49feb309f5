// What a resident sees of a case's life and may do with it: the timeline in plain words,
// photos before and after, and the steps the state machine lets a reporter take
// (crates/domain/src/case.rs: `evaluate` from either closed state once, `reopen` from
// "closed, fixed" with a reason; "not satisfied, not fixed" on a fixed case reopens it).

import type { Case, CaseEvent } from '../types'

/** One line of the timeline: an i18n key under `resident.steps.` and its parameters. */
export interface TimelineEntry {
  seq: number
  at: string
  key: string
  params: Record<string, string>
  note: string
  photos: string[]
}

const KNOWN_STEPS = new Set([
  'report', 'file', 'void', 'mark_duplicate', 'absorb_duplicate', 'dispatch', 'accept', 'return',
  'request_extension', 'decide_extension', 'park', 'unpark', 'report_back', 'settle_in_grid', 'verify',
  'close', 'evaluate', 'follow_up_expired', 'reopen', 'urge', 'supervise', 'escalate', 'warn', 'mark_overdue',
])

/** The timeline in plain words, oldest first. `unitName` turns unit ids into names. */
export function timeline(events: readonly CaseEvent[], unitName: (id: string) => string): TimelineEntry[] {
  return [...events]
    .sort((a, b) => a.seq - b.seq)
    .map((e) => {
      const d = e.detail ?? {}
      let key = KNOWN_STEPS.has(e.step) ? e.step : 'other'
      const params: Record<string, string> = {}
      if (e.step === 'dispatch' && typeof d.lead === 'string') params.unit = unitName(d.lead)
      if (e.step === 'verify') key = d.passed === false ? 'verify_failed' : 'verify'
      if (e.step === 'close') key = e.to === 'closed_fixed' ? 'close_fixed' : 'close_not_fixed'
      if (e.step === 'decide_extension') key = d.approve ? 'extension_approved' : 'extension_refused'
      if (e.step === 'evaluate') key = d.reopened ? 'evaluate_reopened' : 'evaluate'
      if (key === 'other') params.step = e.step
      return { seq: e.seq, at: e.at, key, params, note: e.note, photos: e.attachments }
    })
}

/** Photos the resident took when reporting, and those the unit sent back when done. */
export function photosBeforeAfter(c: Case, events: readonly CaseEvent[]): { before: string[]; after: string[] } {
  const after = events.filter((e) => e.step === 'report_back').flatMap((e) => e.attachments)
  return { before: c.photos.filter(isOwnUpload), after: after.filter(isOwnUpload) }
}

/**
 * Ids of our own uploads (128 random bits in hex), which /api/attachments serves; not links
 * that another system published, nor names of photos that were never uploaded.
 */
function isOwnUpload(photo: string): boolean {
  return /^[0-9a-f]{32}$/.test(photo)
}

export interface ResidentSteps {
  /** The case is closed and not yet rated: ask for satisfaction. */
  rate: boolean
  /** Closed as fixed: the reporter may say it is not and reopen it (with a reason). */
  reopen: boolean
}

export function residentSteps(c: Case): ResidentSteps {
  const closed = c.state === 'closed_fixed' || c.state === 'closed_not_fixed'
  return { rate: closed && c.rating === null, reopen: c.state === 'closed_fixed' }
}

/** Whether a rating will reopen the case (so the page can say so before it is sent). */
export function ratingReopens(c: Case, satisfaction: string, fixed: boolean): boolean {
  return c.state === 'closed_fixed' && satisfaction === 'not_satisfied' && !fixed
}

/** Where a case stands for its reporter: done, overdue, close to the deadline, or running. */
export function standing(c: Case): 'done' | 'overdue' | 'warned' | 'running' {
  if (!c.open) return 'done'
  if (c.overdue) return 'overdue'
  if (c.warned) return 'warned'
  return 'running'
}
