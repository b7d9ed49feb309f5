import { describe, expect, it } from 'vitest'
import { boundary, partsOf, type GridShape, type Ring } from './shapes'

const rect = (w: number, s: number, e: number, n: number): Ring => [[w, s], [e, s], [e, n], [w, n], [w, s]]
const grid = (code: string, ring: Ring): GridShape => ({ code, name: code, kind: 'comprehensive', geometry: { type: 'Polygon', coordinates: [ring] } })

describe('the shapes of the parts', () => {
  it('keeps only the outer edges of grids that share theirs', () => {
    // Two squares side by side: 8 edges, the shared one inside.
    const edges = boundary([rect(0, 0, 1, 1), rect(1, 0, 2, 1)])
    expect(edges).toHaveLength(6)
    expect(edges).not.toContainEqual([[0, 1], [1, 1]].map(([lon, lat]) => [lat, lon]))
  })

  it('groups the unit grids under each part, leaving micro-grids out unless asked for', () => {
    const grids = [
      grid('110101001001001', rect(0, 0, 1, 1)),
      grid('110101001001002', rect(1, 0, 2, 1)),
      grid('110101001001001001', rect(0, 0, 0.5, 1)),
      grid('110101002001001', rect(0, 1, 2, 2)),
    ]
    const streets = partsOf(grids, 9)
    expect(streets.map((p) => [p.code, p.fill.length, p.outline.length])).toEqual([
      ['110101001', 2, 6],
      ['110101002', 1, 4],
    ])
    // The label sits on one of the part's grids, as [lat, lon].
    expect(streets[0].label).toEqual([0.5, 0.5])
    expect(partsOf(grids, 18).map((p) => p.code)).toEqual(['110101001001001001'])
  })
})
