// The jurisdiction tree as the screen walks it (一级一屏): which level a code is at, what its
// children are called, and the breadcrumbs from the caller's own node down to the one shown.
// Codes keep their significant digits only: province 2, city 4, county 6, street 9,
// community 12, grid 15, micro-grid 18 (GB/T 10114 and the grid standard).

export type Level = 'province' | 'city' | 'county' | 'street' | 'community' | 'grid' | 'micro'

const LEVELS: [number, Level][] = [
  [2, 'province'],
  [4, 'city'],
  [6, 'county'],
  [9, 'street'],
  [12, 'community'],
  [15, 'grid'],
  [18, 'micro'],
]

/** The level of a code, or null for something that is not one. */
export function levelOf(code: string): Level | null {
  if (!/^\d+$/.test(code)) return null
  return LEVELS.find(([digits]) => digits === code.length)?.[1] ?? null
}

/** The level one below, or null at the bottom of the tree. */
export function childLevel(code: string): Level | null {
  const i = LEVELS.findIndex(([digits]) => digits === code.length)
  return i >= 0 && i + 1 < LEVELS.length ? LEVELS[i + 1][1] : null
}

/** Whether `node` lies within `top` (or is it). */
export function covers(top: string, node: string): boolean {
  return node.startsWith(top)
}

/** The codes from `top` down to `code`, both included; just `code` when `top` does not cover it. */
export function ancestry(code: string, top: string): string[] {
  if (!covers(top, code) || levelOf(code) === null) return [code]
  return LEVELS.map(([digits]) => digits)
    .filter((digits) => digits >= top.length && digits <= code.length)
    .map((digits) => code.slice(0, digits))
}

export interface Crumb {
  code: string
  name: string
  /** The node shown now: not a link. */
  current: boolean
}

/** Breadcrumbs from the caller's own node down to `code`, named from `names` (the code itself otherwise). */
export function crumbs(code: string, top: string, names: ReadonlyMap<string, string>): Crumb[] {
  return ancestry(code, top).map((c) => ({ code: c, name: names.get(c) ?? c, current: c === code }))
}

/** The screen's address for a node: the caller's own node has the short one. */
export function screenPath(code: string, top: string | null): string {
  return code === top ? '/screen' : `/screen/${code}`
}

/** How many digits the codes one level below have, or null at the bottom of the tree. */
export function childDigits(code: string): number | null {
  const i = LEVELS.findIndex(([digits]) => digits === code.length)
  return i >= 0 && i + 1 < LEVELS.length ? LEVELS[i + 1][0] : null
}
