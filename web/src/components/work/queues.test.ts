import { describe, expect, it } from 'vitest'
import type { Case } from '../../types'
import { arrange, listPath, minutesLate, queueNamed, queuesOf, span } from './queues'
import { RULES } from './actions'

const c = (id: number, extra: Partial<Case>) => ({ id, open: true, reported_at: `2026-11-0${id}T08:00:00+08:00`, due_at: null, extension_requested_minutes: null, channel: 'portal', ...extra }) as Case

describe('queues', () => {
  it('gives each role the queues of its steps', () => {
    expect(queuesOf('intake_operator').map((q) => q.name)).toEqual(['to_file', 'callbacks'])
    expect(queuesOf('handler').map((q) => q.name)).toEqual(['to_accept', 'to_report_back'])
    expect(queuesOf('leader')).toEqual([])
    expect(queuesOf(null)).toEqual([])
  })

  it('asks only for states the queue step starts from', () => {
    for (const role of ['intake_operator', 'dispatcher', 'handler', 'grid_member', 'shift_chief', 'supervisor']) {
      for (const q of queuesOf(role)) {
        for (const step of q.steps) {
          expect(RULES[step].roles, `${role} ${q.name} ${step}`).toContain(role)
          for (const s of String(q.filter.state ?? '').split(',').filter(Boolean)) expect(RULES[step].from).toContain(s)
        }
      }
    }
    expect(listPath(queueNamed('to_dispatch')!)).toBe('/api/cases?state=filed%2Creturned&limit=500')
  })

  it('keeps extension requests only, and orders by deadline', () => {
    const q = queueNamed('extension_requests')!
    const got = arrange(q, [
      c(1, { due_at: '2026-11-20T10:00:00+08:00', extension_requested_minutes: 60 }),
      c(2, { due_at: '2026-11-19T10:00:00+08:00', extension_requested_minutes: 60 }),
      c(3, { due_at: '2026-11-18T10:00:00+08:00' }),
    ])
    expect(got.map((x) => x.id)).toEqual([2, 1])
  })

  it('puts the latest first on the overdue board and leaves finished cases off', () => {
    const q = queueNamed('overdue')!
    const got = arrange(q, [
      c(1, { due_at: '2026-11-20T10:00:00+08:00' }),
      c(2, { due_at: '2026-11-10T10:00:00+08:00' }),
      c(3, { due_at: '2026-11-01T10:00:00+08:00', open: false }),
    ])
    expect(got.map((x) => x.id)).toEqual([2, 1])
  })

  it('measures lateness', () => {
    const now = new Date('2026-11-21T10:00:00+08:00')
    expect(minutesLate(c(1, { due_at: '2026-11-20T08:30:00+08:00' }), now)).toBe(25 * 60 + 30)
    expect(minutesLate(c(1, { due_at: '2026-11-22T08:30:00+08:00' }), now)).toBe(0)
    expect(minutesLate(c(1, {}), now)).toBe(0)
    expect(span(25 * 60 + 30)).toEqual({ d: 1, h: 1, m: 0 })
    expect(span(90)).toEqual({ d: 0, h: 1, m: 30 })
  })
})
