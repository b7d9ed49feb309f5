// The screen's live link (GET /api/live, Server-Sent Events; docs/api.md "Live events"): every
// case event the caller may see under the area, and `resync` when events were missed. The screen
// does not patch its numbers from the events (an event says where one case stands, not what it
// changed in the totals): it reloads them, throttled.

export type LiveStatus = 'connecting' | 'live' | 'retrying'

export const LIVE_EVENTS = ['case_new', 'case_changed', 'case_overdue', 'resync'] as const

/** Watches `area`; calls `changed` on every event and `status` when the link goes up or down. */
export function watchLive(area: string, changed: () => void, status: (s: LiveStatus) => void): () => void {
  status('connecting')
  const source = new EventSource(`/api/live?area=${encodeURIComponent(area)}`, { withCredentials: true })
  source.onopen = () => status('live')
  // The browser reconnects by itself (the server asks for 3 s); a resumed stream begins with `resync`.
  source.onerror = () => status(source.readyState === EventSource.CLOSED ? 'retrying' : 'connecting')
  for (const kind of LIVE_EVENTS) source.addEventListener(kind, changed)
  return () => source.close()
}
