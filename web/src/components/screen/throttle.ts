// Live events can come in bursts (a batch of overdue marks at the turn of a deadline): the screen
// reloads its numbers at once on the first, then at most once per `wait`, and always once after
// the last so that it never stays behind.

export interface Throttled {
  (): void
  cancel(): void
}

export function throttle(fn: () => void, wait: number): Throttled {
  let last = -Infinity
  let timer: ReturnType<typeof setTimeout> | undefined
  const run = () => {
    timer = undefined
    last = Date.now()
    fn()
  }
  const throttled = () => {
    if (timer !== undefined) return
    const since = Date.now() - last
    if (since >= wait) run()
    else timer = setTimeout(run, wait - since)
  }
  throttled.cancel = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }
  return throttled
}
