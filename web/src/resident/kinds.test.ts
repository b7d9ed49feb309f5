import { describe, expect, it } from 'vitest'
import { commonKinds, matchKinds, normalise } from './kinds'
import type { Subclass } from '../types'

// A slice of the real taxonomy (data/taxonomy.toml), in its order.
const kind = (code: string, name: string, synonyms: string[], en = name): Subclass => ({
  code, kind: code[0] === 'E' ? 'event' : 'component', class_name: '', name: en === name ? name : en,
  time_limit: '1d', unit_kind: '', urgency: 'normal', synonyms,
})
const zh: Subclass[] = [
  kind('E0102', '暴露垃圾', ['乱扔垃圾', '乱倒垃圾', '垃圾堆', '垃圾没人清', '随地垃圾']),
  kind('E0104', '道路不洁', ['路面脏', '马路脏', '街道脏乱', '没人扫地', '路上有垃圾']),
  kind('E0107', '垃圾满溢', ['垃圾桶满了', '垃圾溢出', '垃圾箱满', '垃圾没清运']),
  kind('E0304', '施工废弃料', ['建筑垃圾', '装修垃圾', '施工垃圾']),
  kind('E1101', '信号灯故障', ['红绿灯坏了', '红绿灯', '信号灯不亮']),
  kind('E0707', '宠物扰民', ['狗叫', '遛狗不拴绳', '狗屎']),
  kind('C0106', '路灯', ['路灯不亮', '路灯坏了', '街灯']),
  kind('C0301', '垃圾桶', ['垃圾箱', '果皮箱', '垃圾桶坏了']),
]
const en: Subclass[] = [
  { ...zh[0], name: 'Exposed rubbish' },
  { ...zh[6], name: 'Street light' },
  { ...zh[4], name: 'Traffic signal fault' },
]

const codes = (text: string, taxonomy = zh) => matchKinds(text, taxonomy).map((m) => m.kind.code)

describe('finding the kind of problem from plain words', () => {
  it('offers 暴露垃圾 first for 垃圾, then the other kinds about rubbish', () => {
    const found = codes('垃圾')
    expect(found[0]).toBe('E0102')
    expect(found).toEqual(expect.arrayContaining(['E0107', 'C0301', 'E0304', 'E0104']))
    expect(found).not.toContain('E1101')
  })

  it('finds a kind by a synonym and says which word matched', () => {
    const [first] = matchKinds('红绿灯坏了', zh)
    expect(first.kind.code).toBe('E1101')
    expect(first.via).toBe('红绿灯坏了')
    expect(codes('狗屎')[0]).toBe('E0707')
  })

  it('prefers the exact name over words that merely contain it', () => {
    expect(codes('垃圾桶')[0]).toBe('C0301')
    expect(codes('路灯')[0]).toBe('C0106')
  })

  it('understands a sentence that contains a known word', () => {
    expect(codes('我家楼下路灯不亮好几天了')[0]).toBe('C0106')
    expect(codes('小区门口垃圾桶满了没人管')[0]).toBe('E0107')
  })

  it('ignores spaces, punctuation and case', () => {
    expect(normalise(' 路灯 不亮！')).toBe('路灯不亮')
    expect(codes('路灯 不亮！')[0]).toBe('C0106')
    expect(codes('e0102')).toEqual(['E0102'])
  })

  it('searches English names in English', () => {
    expect(codes('light', en)).toEqual(['C0106'])
    expect(codes('Street Li', en)[0]).toBe('C0106')
    expect(codes('rubbish', en)).toEqual(['E0102'])
  })

  it('finds nothing for nothing, and nothing unrelated', () => {
    expect(codes('')).toEqual([])
    expect(codes('   ')).toEqual([])
    expect(codes('天气预报')).toEqual([])
  })

  it('keeps the list short', () => {
    expect(matchKinds('垃圾', zh, 2)).toHaveLength(2)
  })

  it('offers the common kinds that the taxonomy has, in a fixed order', () => {
    expect(commonKinds(zh).map((k) => k.code)).toEqual(['E0102', 'E0107', 'C0106'])
  })
})
