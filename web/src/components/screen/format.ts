// Small formatting rules of the screen, shared by its panels.

/** How late a case is: minutes under an hour, hours under two days, then days. */
export function lateness(dueAt: string, now: number): { unit: 'minutes' | 'hours' | 'days'; n: number } {
  const minutes = Math.max(0, Math.floor((now - Date.parse(dueAt)) / 60_000))
  if (minutes < 60) return { unit: 'minutes', n: minutes }
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return { unit: 'hours', n: hours }
  return { unit: 'days', n: Math.floor(hours / 24) }
}

/** A rate 0–1 as a percentage with one decimal, or null when it has no value. */
export function percent(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : `${(value * 100).toFixed(1)}%`
}
