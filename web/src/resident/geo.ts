// Small geometry for the no-map path: a point surely inside a grid's polygon (where a report
// chosen by name is placed), and distances for "near me".

export type Ring = [number, number][]

function inside([x, y]: [number, number], ring: Ring): boolean {
  let hit = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]
    const [xj, yj] = ring[j]
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit
  }
  return hit
}

/**
 * A point inside the polygon's outer ring (lon, lat): its centroid when that lies inside,
 * otherwise the middle of the first stretch inside along the centroid's latitude (a concave
 * grid's centroid may fall outside it).
 */
export function pointInside(ring: Ring): [number, number] {
  let area = 0
  let cx = 0
  let cy = 0
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [x0, y0] = ring[j]
    const [x1, y1] = ring[i]
    const cross = x0 * y1 - x1 * y0
    area += cross
    cx += (x0 + x1) * cross
    cy += (y0 + y1) * cross
  }
  const centroid: [number, number] =
    area === 0 ? ring[0] : [cx / (3 * area), cy / (3 * area)]
  if (inside(centroid, ring)) return centroid
  const y = centroid[1]
  const xs: number[] = []
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]
    const [xj, yj] = ring[j]
    if (yi > y !== yj > y) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi)
  }
  xs.sort((a, b) => a - b)
  return xs.length >= 2 ? [(xs[0] + xs[1]) / 2, y] : ring[0]
}

/** Metres between two WGS-84 points (haversine; plenty for "within a kilometre"). */
export function metres(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLon = (b.lon - a.lon) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h))
}
