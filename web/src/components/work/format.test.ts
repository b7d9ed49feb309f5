import { describe, expect, it } from 'vitest'
import { ApiError } from '../../api'
import { duration, reason, when } from './format'

const t = (key: string, v: Record<string, unknown> = {}) => `${key}${JSON.stringify(v)}`

describe('formatting', () => {
  it('writes times in China Standard Time', () => {
    expect(when('2026-11-21T01:30:00Z', 'zh-CN')).toBe('11/21 09:30')
    expect(when(null, 'zh-CN')).toBe('')
  })
  it('writes lateness with its two largest units', () => {
    expect(duration(3 * 1440 + 125, t)).toBe('work.time.d{"d":3,"h":2,"m":0}')
    expect(duration(125, t)).toBe('work.time.h{"d":0,"h":2,"m":5}')
    expect(duration(5, t)).toBe('work.time.m{"d":0,"h":0,"m":5}')
  })
  it('says what kind of refusal it was and what the server said', () => {
    expect(reason(new ApiError(409, 'illegal_transition', '已结案'), t)).toBe(
      'work.refusal{"status":409,"kind":"work.why.409{}","message":"已结案"}',
    )
    expect(reason(new ApiError(418, 'x', 'teapot'), t)).toBe('work.refusal{"status":418,"kind":"work.why.other{}","message":"teapot"}')
    expect(reason(new Error('offline'), t)).toBe('offline')
  })
})
