import { describe, expect, it } from 'vitest'
import { photosBeforeAfter, ratingReopens, residentSteps, standing, timeline } from './follow'
import type { Case, CaseEvent } from '../types'

const A1 = '5f0c6c1e8a2b4d7f9e3a1b2c3d4e5f60'
const B1 = '0123456789abcdef0123456789abcdef'
const base = {
  id: 7, state: 'reported', state_name: '', open: true, subclass: 'E0102', subclass_name: '暴露垃圾',
  request_type: 'complaint', urgency: 'normal', grid: '110101001001001', place: [], lon: 116.4, lat: 39.9,
  address: '', description: '', channel: 'portal', reporter: 'r1', photos: [A1, 'https://example.org/p.jpg', 'demo/report-1.jpg'],
  reported_at: '2026-11-20T09:00:00+08:00', filed_at: null, dispatched_at: null, closed_at: null, lead_unit: null,
  assisting_units: [], due_at: null, warn_at: null, warned: false, overdue: false, supervised: false,
  extension_requested_minutes: null, return_count: 0, rework_count: 0, reopen_count: 0, urge_count: 0,
  duplicate_of: null, rating: null, follow_up_expired: false, seq: 1,
} satisfies Case
const at = (c: Partial<Case>): Case => ({ ...base, ...c })

const event = (seq: number, step: string, to: string, detail: Record<string, unknown> = {}, attachments: string[] = []): CaseEvent => ({
  seq, at: `2026-11-20T1${seq}:00:00+08:00`, actor: null, role: 'x', step, from: null, to, note: '', attachments, detail, hash: '',
})

describe("a case's life for its reporter", () => {
  const events = [
    event(4, 'report_back', 'reported_back', {}, [B1]),
    event(1, 'report', 'reported', {}, [A1]),
    event(2, 'file', 'filed'),
    event(3, 'dispatch', 'dispatched', { lead: 'dc-hw', assisting: [] }),
    event(5, 'verify', 'reported_back', { passed: false }),
    event(6, 'close', 'closed_fixed', { fixed: true }),
    event(7, 'evaluate', 'dispatched', { reopened: true }),
    event(8, 'teleport', 'dispatched'),
  ]

  it('tells the timeline in order, in plain words, naming the unit', () => {
    const lines = timeline(events, (id) => (id === 'dc-hw' ? '东城区环卫中心' : id))
    expect(lines.map((l) => l.key)).toEqual([
      'report', 'file', 'dispatch', 'report_back', 'verify_failed', 'close_fixed', 'evaluate_reopened', 'other',
    ])
    expect(lines[2].params).toEqual({ unit: '东城区环卫中心' })
    expect(lines[7].params).toEqual({ step: 'teleport' })
  })

  it('shows our own uploads before and after, not links of other systems nor names never uploaded', () => {
    expect(photosBeforeAfter(base, events)).toEqual({ before: [A1], after: [B1] })
  })

  it('offers a rating once the case is closed and not yet rated', () => {
    expect(residentSteps(at({ state: 'handling' }))).toEqual({ rate: false, reopen: false })
    expect(residentSteps(at({ state: 'closed_fixed', open: false }))).toEqual({ rate: true, reopen: true })
    expect(residentSteps(at({ state: 'closed_not_fixed', open: false }))).toEqual({ rate: true, reopen: false })
    const rated = at({ state: 'closed_fixed', rating: { satisfaction: 'satisfied', fixed: true, responded: null, at: '' } })
    expect(residentSteps(rated)).toEqual({ rate: false, reopen: true })
  })

  it('knows when a rating reopens the case', () => {
    const fixed = at({ state: 'closed_fixed' })
    expect(ratingReopens(fixed, 'not_satisfied', false)).toBe(true)
    expect(ratingReopens(fixed, 'not_satisfied', true)).toBe(false)
    expect(ratingReopens(fixed, 'basically', false)).toBe(false)
    expect(ratingReopens(at({ state: 'closed_not_fixed' }), 'not_satisfied', false)).toBe(false)
  })

  it('says where a case stands, overdue before warned', () => {
    expect(standing(at({ open: false }))).toBe('done')
    expect(standing(at({ overdue: true, warned: true }))).toBe('overdue')
    expect(standing(at({ warned: true }))).toBe('warned')
    expect(standing(base)).toBe('running')
  })
})
