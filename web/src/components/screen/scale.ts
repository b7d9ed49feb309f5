// How the map colours the parts of an area by their cases (colour is never the only signal: every
// part is also labelled with its numbers, and the legend says how many parts fall in each class).
//
// Classes: no open case; open cases but none overdue; then up to three classes of overdue counts
// whose bounds split 1 … the largest count among the parts into thirds, so that the reddest class
// always holds the worst part and the bounds are whole numbers a reader can check.

export interface Load {
  open: number
  overdue: number
}

export type BucketKey = 'clear' | 'open' | 'overdue1' | 'overdue2' | 'overdue3'

export interface Bucket {
  key: BucketKey
  /** Overdue counts in this class, inclusive (0–0 for the first two). */
  min: number
  max: number
  /** Fill of the area on the map. */
  fill: string
  /** Whether the outline is dashed (overdue classes): a second signal besides the colour. */
  dashed: boolean
}

const FILL: Record<BucketKey, string> = {
  clear: '#cfe3d4',
  open: '#9cc3e6',
  overdue1: '#f7c873',
  overdue2: '#ee8a3c',
  overdue3: '#c8321f',
}

function bucket(key: BucketKey, min: number, max: number): Bucket {
  return { key, min, max, fill: FILL[key], dashed: min > 0 }
}

/** The classes for parts whose largest overdue count is `maxOverdue`. */
export function buckets(maxOverdue: number): Bucket[] {
  const out = [bucket('clear', 0, 0), bucket('open', 0, 0)]
  const m = Math.max(0, Math.floor(maxOverdue))
  if (m === 0) return out
  const cuts = [Math.ceil(m / 3), Math.ceil((2 * m) / 3), m]
  const keys: BucketKey[] = ['overdue1', 'overdue2', 'overdue3']
  let low = 1
  cuts.forEach((high, i) => {
    if (high >= low) {
      out.push(bucket(keys[i], low, high))
      low = high + 1
    }
  })
  // With fewer than three classes the last one is still the reddest.
  const last = out[out.length - 1]
  if (last.key !== 'overdue3') out[out.length - 1] = { ...last, key: 'overdue3', fill: FILL.overdue3 }
  return out
}

/** The class a part falls in. */
export function bucketOf(load: Load, classes: Bucket[]): Bucket {
  if (load.overdue <= 0) return load.open > 0 ? classes[1] : classes[0]
  return classes.find((b) => b.min > 0 && load.overdue >= b.min && load.overdue <= b.max) ?? classes[classes.length - 1]
}

export interface LegendRow {
  bucket: Bucket
  /** How many parts fall in this class. */
  parts: number
}

/** The legend: every class with the number of parts in it. */
export function legend(loads: Load[]): LegendRow[] {
  const classes = buckets(Math.max(0, ...loads.map((l) => l.overdue)))
  return classes.map((b) => ({ bucket: b, parts: loads.filter((l) => bucketOf(l, classes) === b).length }))
}
