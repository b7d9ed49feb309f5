// The screen's live link (GET /api/live, Server-Sent Events; docs/api.md "Live events"): every
// case event the caller may see under the area, and `resync` when events were missed. The screen
// does not patch its numbers from the events (an event says where one case stands, not what it
// changed in the totals): it reloads them, throttled.

export type LiveStatus = 'connecting' | 'live' | 'retrying'

export const LIVE_EVENTS = ['case_new', 'case_changed', 'case_overdue', 'resync'] as const

/** How long to wait before opening a stream again that the server refused or closed for good. */
export const RETRY_MS = 30_000

/** Watches `area`; calls `changed` on every event and `status` when the link goes up or down. */
export function watchLive(area: string, changed: () => void, status: (s: LiveStatus) => void): () => void {
  let source: EventSource | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const connect = () => {
    status('connecting')
    const s = new EventSource(`/api/live?area=${encodeURIComponent(area)}`, { withCredentials: true })
    source = s
    s.onopen = () => status('live')
    s.onerror = () => {
      // While CONNECTING the browser retries by itself (the server asks for 3 s), and a resumed
      // stream begins with `resync`. CLOSED means it gave up (e.g. the session ended): try again
      // later, and reload then, as events were missed meanwhile.
      if (s.readyState !== EventSource.CLOSED) return status('connecting')
      status('retrying')
      timer = setTimeout(() => {
        changed()
        connect()
      }, RETRY_MS)
    }
    for (const kind of LIVE_EVENTS) s.addEventListener(kind, changed)
  }
  connect()
  return () => {
    clearTimeout(timer)
    source?.close()
  }
}
