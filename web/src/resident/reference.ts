// Reference data the resident pages share, fetched once per page load (and the taxonomy once
// per language, as the server names it in the caller's language).

import { api } from '../api'
import { locale } from '../i18n'
import type { Area, Grid, Subclass } from '../types'

export interface Unit {
  id: string
  name: string
  kind: string
  area: string
}

const cache = new Map<string, Promise<unknown>>()

function once<T>(key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key) as Promise<T> | undefined
  if (!p) {
    p = load()
    // A failure is not kept: the next visit asks again.
    p.catch(() => cache.delete(key))
    cache.set(key, p)
  }
  return p
}

export const taxonomy = () => once(`taxonomy:${locale()}`, () => api<Subclass[]>('/api/taxonomy'))
export const areas = () => once('areas', () => api<Area[]>('/api/areas'))
export const grids = () => once('grids', () => api<Grid[]>('/api/grids'))
export const units = () => once('units', () => api<Unit[]>('/api/units'))
