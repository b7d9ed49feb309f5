import { describe, expect, it, vi } from 'vitest'
import { loadOutline, screenOf, type ScreenWire } from './data'

describe('the screen read from the server', () => {
  it('gathers the counters, keeps the children and names the series', () => {
    const wire: ScreenWire = {
      area: { code: '110101', name: '东城区', level: 'county' },
      open: 12,
      overdue: 3,
      warning: 2,
      reported_today: 5,
      closed_today: 4,
      children: [{ code: '110101001', name: '东华门街道', level: 'street', open: 7, overdue: 1, warning: 0 }],
      days: [{ day: '2026-11-21', reported: 5, closed: 4 }],
      top_kinds: [{ subclass: 'E0107', name: '垃圾满溢', count: 9 }],
      most_overdue: [],
    }
    const v = screenOf(wire)
    expect(v).toMatchObject({ code: '110101', name: '东城区', level: 'county' })
    expect(v.counters).toEqual({ open: 12, overdue: 3, warned: 2, reported_today: 5, closed_today: 4 })
    expect(v.children).toEqual([{ code: '110101001', name: '东华门街道', open: 7, overdue: 1 }])
    expect(v.per_day).toEqual(wire.days)
    expect(v.top_kinds).toEqual(wire.top_kinds)
  })
})

describe('the outline of the area shown', () => {
  it('is the server’s outline of an area, as [lat, lon] segments; a grid has none', async () => {
    const asked: string[] = []
    vi.stubGlobal('fetch', async (url: string) => {
      asked.push(url)
      const ring = [[116.4, 39.9], [116.41, 39.9], [116.41, 39.91], [116.4, 39.9]]
      return new Response(JSON.stringify({ code: '110101001', name: '东华门街道', geometry: { type: 'Polygon', coordinates: [ring] } }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      })
    })
    const frame = await loadOutline('110101001')
    expect(asked).toEqual(['/api/areas/110101001/outline'])
    expect(frame).toEqual([
      [[39.9, 116.4], [39.9, 116.41]],
      [[39.9, 116.41], [39.91, 116.41]],
      [[39.91, 116.41], [39.9, 116.4]],
    ])
    expect(await loadOutline('110101001001001')).toBeNull()
    expect(asked).toHaveLength(1)
    vi.unstubAllGlobals()
  })
})
