import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { throttle } from './throttle'

describe('reloading on live events', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('reloads at once on the first event, at most once per interval in a burst, and once after the last', () => {
    const reload = vi.fn()
    const onEvent = throttle(reload, 3000)
    onEvent()
    expect(reload).toHaveBeenCalledTimes(1)
    for (let i = 0; i < 50; i++) {
      vi.advanceTimersByTime(100)
      onEvent()
    }
    // 5 s of events: the first at once, one at 3 s, one pending for 6 s.
    expect(reload).toHaveBeenCalledTimes(2)
    vi.advanceTimersByTime(1000)
    expect(reload).toHaveBeenCalledTimes(3)
  })

  it('reloads at once again after a quiet interval, and not after cancel', () => {
    const reload = vi.fn()
    const onEvent = throttle(reload, 3000)
    onEvent()
    vi.advanceTimersByTime(5000)
    onEvent()
    expect(reload).toHaveBeenCalledTimes(2)
    onEvent()
    onEvent.cancel()
    vi.advanceTimersByTime(10_000)
    expect(reload).toHaveBeenCalledTimes(2)
  })
})
