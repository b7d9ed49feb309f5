import { describe, expect, it } from 'vitest'
import { bucketOf, buckets, legend } from './scale'

const ranges = (m: number) => buckets(m).filter((b) => b.min > 0).map((b) => [b.key, b.min, b.max])

describe('the map colour classes', () => {
  it('split 1 … the largest overdue count into thirds, whole numbers, the reddest holding the worst', () => {
    expect(ranges(0)).toEqual([])
    expect(ranges(1)).toEqual([['overdue3', 1, 1]])
    expect(ranges(2)).toEqual([['overdue1', 1, 1], ['overdue3', 2, 2]])
    expect(ranges(9)).toEqual([['overdue1', 1, 3], ['overdue2', 4, 6], ['overdue3', 7, 9]])
    expect(ranges(10)).toEqual([['overdue1', 1, 4], ['overdue2', 5, 7], ['overdue3', 8, 10]])
    expect(ranges(18)).toEqual([['overdue1', 1, 6], ['overdue2', 7, 12], ['overdue3', 13, 18]])
  })

  it('puts a part with nothing open, open cases only, or overdue cases in its class', () => {
    const classes = buckets(9)
    expect(bucketOf({ open: 0, overdue: 0 }, classes).key).toBe('clear')
    expect(bucketOf({ open: 5, overdue: 0 }, classes).key).toBe('open')
    expect(bucketOf({ open: 5, overdue: 3 }, classes).key).toBe('overdue1')
    expect(bucketOf({ open: 5, overdue: 4 }, classes).key).toBe('overdue2')
    expect(bucketOf({ open: 9, overdue: 9 }, classes).key).toBe('overdue3')
  })

  it('marks overdue classes with a dashed outline, not by colour alone', () => {
    expect(buckets(5).map((b) => b.dashed)).toEqual([false, false, true, true, true])
  })

  it('counts the parts in every class of the legend', () => {
    const rows = legend([
      { open: 0, overdue: 0 },
      { open: 3, overdue: 0 },
      { open: 4, overdue: 1 },
      { open: 8, overdue: 6 },
      { open: 9, overdue: 6 },
    ])
    expect(rows.map((r) => [r.bucket.key, r.bucket.min, r.bucket.max, r.parts])).toEqual([
      ['clear', 0, 0, 1],
      ['open', 0, 0, 1],
      ['overdue1', 1, 2, 1],
      ['overdue2', 3, 4, 0],
      ['overdue3', 5, 6, 2],
    ])
    expect(rows.reduce((n, r) => n + r.parts, 0)).toBe(5)
  })
})
