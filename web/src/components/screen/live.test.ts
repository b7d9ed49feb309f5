import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { RETRY_MS, watchLive, type LiveStatus } from './live'

/** Just enough of EventSource to drive the link by hand. */
class FakeSource extends EventTarget {
  static CONNECTING = 0
  static OPEN = 1
  static CLOSED = 2
  static opened: FakeSource[] = []
  readyState = FakeSource.CONNECTING
  onopen: (() => void) | null = null
  onerror: (() => void) | null = null
  closed = false
  constructor(readonly url: string) {
    super()
    FakeSource.opened.push(this)
  }
  close() {
    this.closed = true
    this.readyState = FakeSource.CLOSED
  }
}

describe('the live link', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    FakeSource.opened = []
    vi.stubGlobal('EventSource', FakeSource)
  })
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.useRealTimers()
  })

  it('listens to the area, reloads on every kind of event, and says when it is live', () => {
    const changed = vi.fn()
    const states: LiveStatus[] = []
    const stop = watchLive('110101001', changed, (s) => states.push(s))
    const source = FakeSource.opened[0]
    expect(source.url).toBe('/api/live?area=110101001')
    source.onopen?.()
    for (const kind of ['case_new', 'case_changed', 'case_overdue', 'resync', 'other']) source.dispatchEvent(new Event(kind))
    expect(changed).toHaveBeenCalledTimes(4)
    expect(states).toEqual(['connecting', 'live'])
    stop()
    expect(source.closed).toBe(true)
  })

  it('opens the stream again after the browser gave up on it, and reloads then', () => {
    const changed = vi.fn()
    const states: LiveStatus[] = []
    watchLive('110101', changed, (s) => states.push(s))
    const first = FakeSource.opened[0]
    first.readyState = FakeSource.CLOSED
    first.onerror?.()
    expect(states.at(-1)).toBe('retrying')
    vi.advanceTimersByTime(RETRY_MS)
    expect(changed).toHaveBeenCalledTimes(1)
    expect(FakeSource.opened).toHaveLength(2)
    expect(states.at(-1)).toBe('connecting')
  })
})
