import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Case } from '../../types'
import { RULES } from './actions'
import { arrange, listPath, minutesLate, overdueBoard, queueNamed, span } from './queues'

const c = (id: number, extra: Partial<Case>) => ({ id, open: true, reported_at: `2026-11-0${id}T08:00:00+08:00`, due_at: null, ...extra }) as Case

/** The queues of the state machine (crates/domain/src/queue.rs): name and step. */
function serverQueues(): [string, string][] {
  const source = readFileSync(resolve(import.meta.dirname, '../../../../crates/domain/src/queue.rs'), 'utf8')
  const snake = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()
  return [...source.matchAll(/"(\w+)",\s*"[^"]*",\s*"[^"]*",\s*Action::(\w+)/g)].map((m) => [m[1], snake(m[2])])
}

describe('queues', () => {
  it('presents every queue the server has, offering the step it waits for', () => {
    const queues = serverQueues()
    expect(queues.length).toBeGreaterThan(5)
    for (const [name, action] of queues) {
      const q = queueNamed(name)
      expect(q.steps.length, name).toBeGreaterThan(0)
      const actions = q.steps.map((s) => RULES[s].action)
      // The overdue queue's step is urging; its board also supervises and escalates.
      expect(actions[0], name).toBe(action)
      for (const s of q.bulk) expect(q.steps, name).toContain(s)
    }
  })

  it('lists a queue by its name and the board by its filter', () => {
    expect(listPath(queueNamed('to_dispatch'))).toBe('/api/cases?queue=to_dispatch&limit=500')
    expect(listPath(overdueBoard)).toBe('/api/cases?overdue=true&limit=500')
    expect(queueNamed('something_new')).toEqual({ name: 'something_new', steps: [], bulk: [] })
  })

  it('puts the latest first on the overdue board and leaves finished cases off', () => {
    const got = arrange(overdueBoard, [
      c(1, { due_at: '2026-11-20T10:00:00+08:00' }),
      c(2, { due_at: '2026-11-10T10:00:00+08:00' }),
      c(3, { due_at: '2026-11-01T10:00:00+08:00', open: false }),
    ])
    expect(got.map((x) => x.id)).toEqual([2, 1])
  })

  it('puts the oldest report first in the intake queue', () => {
    expect(arrange(queueNamed('to_file'), [c(3, {}), c(1, {}), c(2, {})]).map((x) => x.id)).toEqual([1, 2, 3])
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
