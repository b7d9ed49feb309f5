import { describe, expect, it } from 'vitest'
import { DARK, LIGHT, lastDays, perDayOption, topKindsOption } from './charts'

const labels = { reported: '上报', closed: '结案', cases: '件数' }

describe('the charts', () => {
  it('fills the 30 days up to today, zero where nothing happened', () => {
    const days = lastDays([{ day: '2026-11-20', reported: 5, closed: 2 }, { day: '2026-09-01', reported: 9, closed: 9 }], '2026-11-21')
    expect(days).toHaveLength(30)
    expect(days[0]).toEqual({ day: '2026-10-23', reported: 0, closed: 0 })
    expect(days[28]).toEqual({ day: '2026-11-20', reported: 5, closed: 2 })
    expect(days[29].day).toBe('2026-11-21')
  })

  it('draws reported as bars and closed as a line, with the aria description on', () => {
    const days = lastDays([{ day: '2026-11-21', reported: 7, closed: 3 }], '2026-11-21')
    const o = perDayOption(days, labels, DARK)
    expect(o.aria).toEqual({ enabled: true })
    const series = o.series as { type: string; name: string; data: number[] }[]
    expect(series.map((s) => [s.type, s.name, s.data.at(-1)])).toEqual([
      ['bar', '上报', 7],
      ['line', '结案', 3],
    ])
    expect(JSON.stringify(o)).toContain(DARK.ink)
  })

  it('puts the most frequent kind on top', () => {
    const o = topKindsOption(
      [
        { subclass: 'E0301', name: '施工扰民', count: 35 },
        { subclass: 'C0204', name: '公交站亭', count: 30 },
      ],
      labels,
      LIGHT,
    )
    const axis = o.yAxis as { data: string[] }
    // A category axis runs bottom-up: the largest last.
    expect(axis.data).toEqual(['公交站亭', '施工扰民'])
    expect((o.series as { data: number[] }[])[0].data).toEqual([30, 35])
  })
})
