// What the screen reads from the API: the level's numbers (GET /api/screen), the grids' shapes
// (GET /api/grids), the area's outline (GET /api/areas/{code}/outline), the names of the tree
// (GET /api/areas) and the units' league tables (GET /api/evaluation/rankings, docs/evaluation.md).

import { ApiError, api, query } from '../../api'
import type { Case } from '../../types'
import { boundary, type GridShape, type Ring } from '../../components/screen/shapes'
import type { Day, Kind } from '../../components/screen/charts'

export interface Counters {
  open: number
  overdue: number
  warned: number
  reported_today: number
  closed_today: number
}

export interface ScreenChild {
  code: string
  name: string
  open: number
  overdue: number
}

export interface ScreenView {
  code: string
  name: string
  level: string
  counters: Counters
  children: ScreenChild[]
  per_day: Day[]
  top_kinds: Kind[]
  overdue: Case[]
}

export interface AreaRef {
  code: string
  name: string
  level: string
  parent: string | null
}

export interface RateView {
  value: number | null
  numerator: number
  count: number
  low: number | null
  high: number | null
}

export interface Ranked {
  place: number | null
  key: string
  name: string
  rate: RateView
  composite: number | null
}

/** The three rates of 三率 (docs/evaluation.md), by which units are ranked on the screen. */
export const THREE_RATES = ['response', 'resolution', 'satisfaction'] as const
export type ThreeRate = (typeof THREE_RATES)[number]

/** GET /api/screen as the server sends it (crates/server/src/api/screen.rs). */
export interface ScreenWire {
  area: { code: string; name: string; level: string }
  open: number
  overdue: number
  warning: number
  reported_today: number
  closed_today: number
  children: (ScreenChild & { level: string; warning: number })[]
  days: Day[]
  top_kinds: Kind[]
  most_overdue: Case[]
}

/** The server's answer in the screen's terms: the counters together, the series by name. */
export function screenOf(w: ScreenWire): ScreenView {
  return {
    code: w.area.code,
    name: w.area.name,
    level: w.area.level,
    counters: { open: w.open, overdue: w.overdue, warned: w.warning, reported_today: w.reported_today, closed_today: w.closed_today },
    children: w.children.map(({ code, name, open, overdue }) => ({ code, name, open, overdue })),
    per_day: w.days,
    top_kinds: w.top_kinds,
    overdue: w.most_overdue,
  }
}

export const loadScreen = async (area: string, signal?: AbortSignal) =>
  screenOf(await api<ScreenWire>(`/api/screen${query({ area })}`, { signal }))

export const loadGrids = (area: string, signal?: AbortSignal) => api<GridShape[]>(`/api/grids${query({ area })}`, { signal })

/** An area's outline as the server keeps it (computed once per import from its grids). */
export interface Outline {
  code: string
  name: string
  geometry: { type: 'Polygon'; coordinates: Ring[] }
}

/**
 * The outline of an area above the grids (GET /api/areas/{code}/outline), as [lat, lon]
 * segments for the map's frame; `null` for a grid, or an area the server has no outline for.
 */
export async function loadOutline(area: string, signal?: AbortSignal): Promise<[number, number][][] | null> {
  if (area.length > 12) return null
  try {
    const o = await api<Outline>(`/api/areas/${encodeURIComponent(area)}/outline`, { signal })
    return boundary([o.geometry.coordinates[0]])
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null
    throw e
  }
}

let areas: Promise<AreaRef[]> | undefined
/** The tree above the grids, loaded once. */
export function loadAreas(): Promise<AreaRef[]> {
  areas ??= api<AreaRef[]>('/api/areas').catch((e) => {
    areas = undefined
    throw e
  })
  return areas
}

/** Units ranked by one rate over the 30 days ending `today` (YYYY-MM-DD). */
export function loadRanking(area: string, indicator: ThreeRate, today: string, signal?: AbortSignal) {
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10)
  return api<Ranked[]>(`/api/evaluation/rankings${query({ of: 'units', area, indicator, period: 'custom', from, to: today })}`, {
    signal,
  })
}

/** Today in China Standard Time, YYYY-MM-DD (the calendar the server counts days in). */
export function todayCst(now = Date.now()): string {
  return new Date(now + 8 * 3_600_000).toISOString().slice(0, 10)
}
