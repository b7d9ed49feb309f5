import { describe, expect, it } from 'vitest'
import { RULES, type Step } from './actions'
import { commandOf, LETTER } from './keys'

const key = (k: string, extra: Partial<KeyboardEvent> = {}, target: EventTarget | null = document.body) =>
  ({ key: k, ctrlKey: false, metaKey: false, altKey: false, target, ...extra }) as KeyboardEvent

describe('shortcuts', () => {
  it('moves, opens, selects and shows help', () => {
    expect(commandOf(key('j'), [])).toEqual({ kind: 'move', by: 1 })
    expect(commandOf(key('ArrowUp'), [])).toEqual({ kind: 'move', by: -1 })
    expect(commandOf(key('Enter'), [])).toEqual({ kind: 'open' })
    expect(commandOf(key('x'), [])).toEqual({ kind: 'select' })
    expect(commandOf(key('?'), [])).toEqual({ kind: 'help' })
    expect(commandOf(key('Escape'), [])).toEqual({ kind: 'clear' })
  })

  it('takes a step only when it is on offer', () => {
    expect(commandOf(key('f'), ['file', 'merge'])).toEqual({ kind: 'step', step: 'file' })
    expect(commandOf(key('f'), ['dispatch'])).toBeNull()
    expect(commandOf(key('q'), ['file'])).toBeNull()
  })

  it('leaves keys typed in fields, with modifiers, or Enter on a button to their owner', () => {
    const input = document.createElement('input')
    expect(commandOf(key('j', {}, input), [])).toBeNull()
    expect(commandOf(key('f', {}, document.createElement('textarea')), ['file'])).toBeNull()
    expect(commandOf(key('j', { ctrlKey: true }), [])).toBeNull()
    expect(commandOf(key('Enter', {}, document.createElement('button')), [])).toBeNull()
  })

  it('gives each role one letter per step', () => {
    const roles = new Set(Object.values(RULES).flatMap((r) => r.roles))
    for (const role of roles) {
      const steps = (Object.keys(RULES) as Step[]).filter((s) => RULES[s].roles.includes(role))
      // Steps that can never be on offer together may share a letter (park/unpark).
      const together = steps.filter((s) => s !== 'unpark')
      const letters = together.map((s) => LETTER[s])
      expect(new Set(letters).size, `${role}: ${together.join(' ')}`).toBe(letters.length)
      expect(letters.filter((l) => 'jkx?'.includes(l))).toEqual([])
    }
  })
})
