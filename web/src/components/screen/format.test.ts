import { describe, expect, it } from 'vitest'
import { lateness, percent } from './format'

describe('formatting', () => {
  it('says how late a case is in minutes, hours, then days', () => {
    const due = '2026-11-20T10:00:00+08:00'
    const at = (h: number) => Date.parse(due) + h * 3_600_000
    expect(lateness(due, at(0.5))).toEqual({ unit: 'minutes', n: 30 })
    expect(lateness(due, at(5))).toEqual({ unit: 'hours', n: 5 })
    expect(lateness(due, at(47.9))).toEqual({ unit: 'hours', n: 47 })
    expect(lateness(due, at(24 * 3 + 1))).toEqual({ unit: 'days', n: 3 })
    expect(lateness(due, at(-1))).toEqual({ unit: 'minutes', n: 0 })
  })

  it('shows a rate with no value as nothing, never 0 %', () => {
    expect(percent(0.9487)).toBe('94.9%')
    expect(percent(0)).toBe('0.0%')
    expect(percent(null)).toBeNull()
  })
})
