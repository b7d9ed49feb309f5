import { describe, expect, it } from 'vitest'
import { ancestry, childDigits, childLevel, crumbs, levelOf, screenPath } from './drill'

describe('walking the jurisdiction tree', () => {
  it('knows each level by its digits and the level below', () => {
    expect(['11', '1101', '110101', '110101001', '110101001001', '110101001001001', '110101001001001001'].map(levelOf)).toEqual([
      'province', 'city', 'county', 'street', 'community', 'grid', 'micro',
    ])
    expect(levelOf('1101010')).toBeNull()
    expect(levelOf('abc')).toBeNull()
    expect(childLevel('110101')).toBe('street')
    expect(childDigits('110101')).toBe(9)
    expect(childDigits('110101001001')).toBe(15)
    expect(childLevel('110101001001001001')).toBeNull()
  })

  it('lists the path from the caller’s own node down, never above it', () => {
    expect(ancestry('110101001001001', '110101')).toEqual(['110101', '110101001', '110101001001', '110101001001001'])
    expect(ancestry('110101', '110101')).toEqual(['110101'])
    // Outside the caller's node: only the node itself (the server refuses it anyway).
    expect(ancestry('110102001', '110101')).toEqual(['110102001'])
  })

  it('names the breadcrumbs, the last one current, and links the own node to /screen', () => {
    const names = new Map([
      ['110101', '东城区'],
      ['110101001', '东华门街道'],
    ])
    expect(crumbs('110101001001', '110101', names)).toEqual([
      { code: '110101', name: '东城区', current: false },
      { code: '110101001', name: '东华门街道', current: false },
      { code: '110101001001', name: '110101001001', current: true },
    ])
    expect(screenPath('110101', '110101')).toBe('/screen')
    expect(screenPath('110101001', '110101')).toBe('/screen/110101001')
  })
})
