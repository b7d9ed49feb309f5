import { describe, expect, it } from 'vitest'
import { metres, pointInside, type Ring } from './geo'

describe('a point inside a grid', () => {
  it('is the centroid of a square', () => {
    const square: Ring = [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]
    expect(pointInside(square)).toEqual([1, 1])
  })

  it('lies inside a U-shaped grid whose centroid is outside', () => {
    // A U: two arms joined at the bottom; the centroid falls in the gap between the arms.
    const u: Ring = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]
    const [x, y] = pointInside(u)
    const inLeftArm = x > 0 && x < 1 && y > 0 && y < 3
    const inBase = x > 0 && x < 3 && y > 0 && y < 1
    expect(inLeftArm || inBase).toBe(true)
  })
})

describe('distances', () => {
  it('measures about 111 km per degree of latitude', () => {
    expect(metres({ lon: 116.4, lat: 39.9 }, { lon: 116.4, lat: 40.9 })).toBeCloseTo(111_195, -2)
    expect(metres({ lon: 116.4, lat: 39.9 }, { lon: 116.4, lat: 39.9 })).toBe(0)
  })
})
