import { describe, expect, it } from 'vitest'
import { when } from './format'

describe('dates for residents', () => {
  const now = new Date('2026-11-21T12:00:00+08:00')
  it('shows China Standard Time, without the year of this year', () => {
    // 01:30 UTC is 09:30 in Beijing.
    expect(when('2026-11-20T01:30:00Z', 'zh-CN', now)).toBe('11月20日 09:30')
    expect(when('2026-11-20T09:30:00+08:00', 'en', now)).toBe('20 Nov, 09:30')
  })
  it('names the year of another year', () => {
    expect(when('2025-01-02T08:00:00+08:00', 'zh-CN', now)).toBe('2025年1月2日 08:00')
  })
  it('leaves nothing for nothing and keeps what it cannot read', () => {
    expect(when(null, 'zh-CN', now)).toBe('')
    expect(when('soon', 'en', now)).toBe('soon')
  })
})
