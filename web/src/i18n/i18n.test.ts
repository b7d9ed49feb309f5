import { describe, expect, it } from 'vitest'
import { messages } from './index'

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

describe('translations', () => {
  it('every Chinese string has an English twin and no English string is extra', () => {
    expect(keys(messages.en).sort()).toEqual(keys(messages['zh-CN']).sort())
  })
  it('no string is empty', () => {
    const all = [...keys(messages.en), ...keys(messages['zh-CN'])]
    expect(all.length).toBeGreaterThan(0)
    const empty = (o: object): boolean => Object.values(o).some((v) => (typeof v === 'object' ? empty(v) : v === ''))
    expect(empty(messages['zh-CN'])).toBe(false)
    expect(empty(messages.en)).toBe(false)
  })
})
