// The shapes the screen's map draws, from the grids' polygons (GET /api/grids, GeoJSON): each
// part of the area shown (a street, a community, a grid) is the union of the unit grids under it.
// Its outline is found by edge cancellation: in a tiling, an edge shared by two grids of the
// same part is inside it, and the edges left over are its boundary. Where neighbouring grids do
// not share exact vertices the inner edges simply stay, which is still a faithful drawing.

export type Ring = [number, number][]

export interface GridShape {
  code: string
  name: string
  kind: string
  geometry: { type: 'Polygon'; coordinates: Ring[] } | { type: 'MultiPolygon'; coordinates: Ring[][] }
}

export interface PartShape {
  code: string
  /** Outer rings of its grids, as [lat, lon] for Leaflet. */
  fill: [number, number][][]
  /** Its boundary as segments, [lat, lon] pairs. */
  outline: [number, number][][]
  /** Where its label goes: the centre of the grid nearest the middle of the part (always on it). */
  label: [number, number]
}

function outerRings(g: GridShape): Ring[] {
  return g.geometry.type === 'Polygon' ? [g.geometry.coordinates[0]] : g.geometry.coordinates.map((p) => p[0])
}

const key = ([lon, lat]: [number, number]) => `${lon.toFixed(7)},${lat.toFixed(7)}`

/** The edges used by exactly one of `rings`, as [lat, lon] segments. */
export function boundary(rings: Ring[]): [number, number][][] {
  const edges = new Map<string, { a: [number, number]; b: [number, number]; n: number }>()
  for (const ring of rings) {
    for (let i = 0; i + 1 < ring.length; i++) {
      const [a, b] = [ring[i], ring[i + 1]]
      const [ka, kb] = [key(a), key(b)]
      if (ka === kb) continue
      const k = ka < kb ? `${ka};${kb}` : `${kb};${ka}`
      const e = edges.get(k)
      if (e) e.n++
      else edges.set(k, { a, b, n: 1 })
    }
  }
  return [...edges.values()].filter((e) => e.n === 1).map((e) => [[e.a[1], e.a[0]], [e.b[1], e.b[0]]])
}

function centre(ring: Ring): [number, number] {
  const lons = ring.map((p) => p[0])
  const lats = ring.map((p) => p[1])
  return [(Math.min(...lats) + Math.max(...lats)) / 2, (Math.min(...lons) + Math.max(...lons)) / 2]
}

/**
 * The parts of `area` at the next level, each from the unit grids under it. `digits` is the
 * length of a part's code (9 for streets, 12 for communities, 15 for grids, 18 for micro-grids).
 * Micro-grids are left out unless they are the parts asked for, so that nothing is drawn twice.
 */
export function partsOf(grids: GridShape[], digits: number): PartShape[] {
  const byPart = new Map<string, Ring[]>()
  for (const g of grids) {
    const unit = digits === 18 ? g.code.length === 18 : g.code.length === 15
    if (!unit || g.code.length < digits) continue
    const part = g.code.slice(0, digits)
    const rings = byPart.get(part) ?? []
    rings.push(...outerRings(g))
    byPart.set(part, rings)
  }
  return [...byPart.entries()].map(([code, rings]) => {
    const centres = rings.map(centre)
    const lats = centres.map((c) => c[0])
    const lons = centres.map((c) => c[1])
    const middle: [number, number] = [(Math.min(...lats) + Math.max(...lats)) / 2, (Math.min(...lons) + Math.max(...lons)) / 2]
    const label = centres.reduce((best, c) =>
      (c[0] - middle[0]) ** 2 + (c[1] - middle[1]) ** 2 < (best[0] - middle[0]) ** 2 + (best[1] - middle[1]) ** 2 ? c : best,
    )
    return {
      code,
      fill: rings.map((r) => r.map(([lon, lat]) => [lat, lon] as [number, number])),
      outline: boundary(rings),
      label,
    }
  })
}
