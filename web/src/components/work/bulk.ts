// Bulk actions: one step on several cases, one request after the other, each case with its own
// result — a refusal of one never hides the others.

import { ApiError } from '../../api'

export interface Outcome {
  id: number
  ok: boolean
  /** The server's message (already in the user's language) when refused. */
  message?: string
  status?: number
}

export async function runBulk(ids: number[], send: (id: number) => Promise<unknown>, progress?: (done: Outcome[]) => void): Promise<Outcome[]> {
  const done: Outcome[] = []
  for (const id of ids) {
    try {
      await send(id)
      done.push({ id, ok: true })
    } catch (e) {
      const status = e instanceof ApiError ? e.status : undefined
      done.push({ id, ok: false, message: (e as Error).message, status })
    }
    progress?.([...done])
  }
  return done
}

export function summary(outcomes: Outcome[]): { ok: number; failed: number } {
  const ok = outcomes.filter((o) => o.ok).length
  return { ok, failed: outcomes.length - ok }
}
