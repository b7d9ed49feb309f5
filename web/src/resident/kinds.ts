// Finding the kind of problem (问题类型) from a resident's own words: "垃圾" should offer
// 暴露垃圾 and 垃圾满溢, "红绿灯坏了" 信号灯故障, "street light" Street light. The taxonomy's names and
// its synonyms (plain words residents type) are both searched; a pure function, tested in
// kinds.test.ts.

import type { Subclass } from '../types'

export interface KindMatch {
  kind: Subclass
  /** The word that matched: the name itself or one of its synonyms. */
  via: string
  score: number
}

/** Lower case, without spaces or punctuation, so "路灯 不亮！" and "路灯不亮" are the same. */
export function normalise(text: string): string {
  return text.toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '')
}

/** Pairs of neighbouring characters: enough to match Chinese words written a little differently. */
function bigrams(text: string): Set<string> {
  const chars = [...text]
  const out = new Set<string>()
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i] + chars[i + 1])
  return out
}

/**
 * How well one word of the taxonomy answers the query (0: not at all). A name counts a little
 * more than a synonym; a sentence that contains a longer word is a surer match.
 */
function scoreWord(query: string, word: string, isName: boolean): number {
  const w = normalise(word)
  if (!w) return 0
  const bonus = isName ? 10 : 0
  if (w === query) return 100 + bonus
  if (w.includes(query)) return 70 + bonus
  // A sentence that contains the word: "楼下有暴露垃圾没人管".
  const length = [...w].length
  if (length >= 2 && query.includes(w)) return 50 + 2 * Math.min(length, 9) + (isName ? 1 : 0)
  // Chinese written a little differently: most of the character pairs are shared.
  const q = bigrams(query)
  const b = bigrams(w)
  if (q.size === 0 || b.size === 0) return 0
  let shared = 0
  for (const x of q) if (b.has(x)) shared++
  const ratio = shared / Math.min(q.size, b.size)
  return ratio >= 0.5 ? Math.round(40 * ratio) : 0
}

/**
 * The kinds that match `text`, best first; ties keep the taxonomy's order. Matches codes too
 * (`E0102`), for staff who know them.
 */
export function matchKinds(text: string, taxonomy: readonly Subclass[], limit = 8): KindMatch[] {
  const query = normalise(text)
  if (!query) return []
  const found: KindMatch[] = []
  taxonomy.forEach((kind) => {
    let best: KindMatch = { kind, via: kind.name, score: normalise(kind.code) === query ? 100 : 0 }
    for (const [word, isName] of [[kind.name, true], ...kind.synonyms.map((s) => [s, false])] as [string, boolean][]) {
      const score = scoreWord(query, word, isName)
      if (score > best.score) best = { kind, via: word, score }
    }
    if (best.score > 0) found.push(best)
  })
  // Array.prototype.sort is stable: equal scores stay in the taxonomy's order.
  return found.sort((a, b) => b.score - a.score).slice(0, limit)
}

/**
 * The most common kinds of problem residents report, offered as big tiles in elder mode
 * (one tap instead of typing). Codes from the taxonomy; those missing from it are skipped.
 */
export const COMMON_KINDS = ['E0102', 'E0107', 'C0201', 'C0106', 'E0505', 'E0801', 'E0704', 'E0403'] as const

export function commonKinds(taxonomy: readonly Subclass[]): Subclass[] {
  return COMMON_KINDS.flatMap((code) => taxonomy.filter((k) => k.code === code))
}
