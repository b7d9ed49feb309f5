import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Case, Me } from '../../types'
import { escalationTargets, missing, request, RULES, stepsFor, type Step } from './actions'

const snake = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()

/** `Action::roles` and `Action::from_states` as written in the state machine's source. */
function stateMachine() {
  const source = readFileSync(resolve(import.meta.dirname, '../../../../crates/domain/src/case.rs'), 'utf8')
  const body = (name: string) => {
    const start = source.indexOf(`pub fn ${name}(&self)`)
    return source.slice(start, source.indexOf('\n    }\n', start)).replace(/\/\/.*$/gm, '')
  }
  const list = (s: string) => s.split(',').map((x) => snake(x.trim())).filter(Boolean)
  const arms = (text: string, consts: Record<string, string[]>) => {
    const out: Record<string, string[]> = {}
    for (const m of text.matchAll(/((?:Action::\w+(?: \{[^}]*\})?\s*\|?\s*)+)=>\s*\{?\s*(?:&\[([^\]]*)\]|([A-Z]+))/g)) {
      const values = m[2] !== undefined ? list(m[2]) : consts[m[3]]
      for (const a of m[1].matchAll(/Action::(\w+)(?: \{ fixed: (\w+) \})?/g)) out[snake(a[1]) + (a[2] ? `:${a[2]}` : '')] = values
    }
    return out
  }
  const from = body('from_states')
  const consts: Record<string, string[]> = {}
  for (const c of from.matchAll(/const (\w+): &\[State\] = &\[([^\]]*)\]/g)) consts[c[1]] = list(c[2])
  return { roles: arms(body('roles'), {}), from: arms(from, consts) }
}

/** The state machine's name for a step (`close` is split by its `fixed` parameter). */
function machineName(step: Step): string {
  if (step === 'close') return 'close:true'
  if (step === 'close_not_fixed') return 'close:false'
  return RULES[step].action
}

const staff = (role: string, extra: Partial<Me> = {}): Me => ({
  account: 'a', kind: 'staff', login: role, name: role, phone: null, staff_id: `s-${role}`, role, role_name: role,
  scope: '110101', scope_name: '东城区', unit: null, totp_enrolled: false, totp_required: false, ...extra,
})

const aCase = (extra: Partial<Case> = {}): Case => ({
  id: 7, state: 'reported', state_name: '', open: true, subclass: 'E0102', subclass_name: '', request_type: 'complaint',
  urgency: 'normal', grid: '110101001001001', place: [], lon: 116.4, lat: 39.9, address: '', description: '', channel: 'portal',
  reporter: 'r-1', photos: [], reported_at: '', filed_at: null, dispatched_at: null, closed_at: null, lead_unit: null,
  assisting_units: [], due_at: null, warn_at: null, warned: false, overdue: false, supervised: false,
  extension_requested_minutes: null, return_count: 0, rework_count: 0, reopen_count: 0, urge_count: 0, duplicate_of: null,
  rating: null, follow_up_expired: false, seq: 0, ...extra,
})

describe('the workbench table of steps', () => {
  const machine = stateMachine()

  it('was read from the state machine', () => {
    expect(machine.roles.dispatch).toEqual(['dispatcher'])
    expect(machine.from['close:false']).toEqual(['handling', 'parked', 'reported_back'])
    expect(machine.from.urge).toContain('parked')
  })

  for (const step of Object.keys(RULES) as Step[]) {
    it(`${step}: the same roles (staff) and starting states as the state machine`, () => {
      const name = machineName(step)
      const roles = machine.roles[name.split(':')[0]]
      expect(roles, name).toBeDefined()
      expect([...RULES[step].roles].sort()).toEqual(roles.filter((r) => r !== 'resident' && r !== 'system').sort())
      expect([...RULES[step].from].sort()).toEqual([...machine.from[name]].sort())
    })
  }

  it('offers every step staff may take', () => {
    const offered = new Set(Object.keys(RULES).map((s) => RULES[s as Step].action))
    const internal = ['absorb_duplicate'] // written by a merge, beside mark_duplicate
    for (const [action, roles] of Object.entries(machine.roles)) {
      if (internal.includes(action) || roles.every((r) => r === 'resident' || r === 'system')) continue
      expect(offered.has(action), action).toBe(true)
    }
  })
})

describe('stepsFor', () => {
  it('gives each role its steps in each state', () => {
    expect(stepsFor(staff('intake_operator'), aCase())).toEqual(['file', 'merge'])
    expect(stepsFor(staff('shift_chief'), aCase())).toEqual(['file', 'void', 'merge'])
    expect(stepsFor(staff('dispatcher'), aCase({ state: 'returned' }))).toEqual(['dispatch'])
    expect(stepsFor(staff('grid_member'), aCase({ state: 'reported_back' }))).toEqual(['pass', 'fail'])
    expect(stepsFor(staff('shift_chief'), aCase({ state: 'verified' }))).toEqual(['close'])
    expect(stepsFor(staff('supervisor'), aCase({ state: 'handling' }))).toEqual(['urge', 'supervise', 'escalate'])
    expect(stepsFor(staff('supervisor'), aCase({ state: 'handling', supervised: true }))).toEqual(['urge', 'escalate'])
    expect(stepsFor(staff('leader'), aCase())).toEqual([])
    expect(stepsFor(null, aCase())).toEqual([])
  })

  it('lets a handler act only on what was dispatched to their unit', () => {
    const unit = { id: 'dc-hw', name: '区环卫中心' }
    const handler = staff('handler', { unit })
    expect(stepsFor(handler, aCase({ state: 'dispatched', lead_unit: unit }))).toEqual(['accept', 'return'])
    expect(stepsFor(handler, aCase({ state: 'handling', lead_unit: unit }))).toEqual(['return', 'request_extension', 'report_back'])
    expect(stepsFor(handler, aCase({ state: 'handling', lead_unit: unit, extension_requested_minutes: 480 }))).toEqual([
      'return',
      'report_back',
    ])
    expect(stepsFor(handler, aCase({ state: 'dispatched', lead_unit: { id: 'other', name: '' } }))).toEqual([])
  })

  it('shows extension decisions only when one was asked for', () => {
    const chief = staff('shift_chief')
    expect(stepsFor(chief, aCase({ state: 'handling' }))).toEqual(['park', 'close_not_fixed'])
    expect(stepsFor(chief, aCase({ state: 'handling', extension_requested_minutes: 960 }))).toEqual([
      'approve_extension',
      'refuse_extension',
      'park',
      'close_not_fixed',
    ])
  })

  it('lets a grid member settle only their own report', () => {
    const member = staff('grid_member')
    expect(stepsFor(member, aCase({ reporter: 's-grid_member' }))).toEqual(['settle_in_grid'])
    expect(stepsFor(member, aCase())).toEqual([])
  })

  it('keeps a chief of the handling unit from closing its case', () => {
    const unit = { id: 'dc-hw', name: '' }
    expect(stepsFor(staff('shift_chief', { unit }), aCase({ state: 'verified', lead_unit: unit }))).toEqual([])
  })

  it('offers the phone follow-up to intake only while unrated', () => {
    expect(stepsFor(staff('intake_operator'), aCase({ state: 'closed_fixed' }))).toEqual(['callback'])
    const rating = { satisfaction: 'satisfied' as const, fixed: true, responded: true, at: '' }
    expect(stepsFor(staff('intake_operator'), aCase({ state: 'closed_fixed', rating }))).toEqual([])
  })
})

describe('requests', () => {
  const none = { note: '', attachments: [] }

  it('says what is missing', () => {
    expect(missing('file', none)).toEqual([])
    expect(missing('void', none)).toEqual(['note'])
    expect(missing('void', { ...none, note: '  ' })).toEqual(['note'])
    expect(missing('report_back', none)).toEqual(['evidence'])
    expect(missing('report_back', { ...none, attachments: ['p'] })).toEqual([])
    expect(missing('dispatch', none)).toEqual(['lead'])
    expect(missing('request_extension', { ...none, note: 'x' })).toEqual(['days'])
    expect(missing('merge', none)).toEqual(['into'])
  })

  it('builds the bodies the API takes', () => {
    expect(request(7, 'file', none)).toEqual({ path: '/api/cases/7/actions', body: { action: 'file', note: '', attachments: [] } })
    expect(request(7, 'dispatch', { ...none, lead: 'a', assisting: ['a', 'b'] }).body).toMatchObject({
      action: 'dispatch',
      lead: 'a',
      assisting: ['b'],
    })
    expect(request(7, 'request_extension', { ...none, days: 2 }).body).toMatchObject({ minutes: 960 })
    expect(request(7, 'refuse_extension', none).body).toMatchObject({ action: 'decide_extension', approve: false })
    expect(request(7, 'fail', { ...none, note: ' 仍有垃圾 ' }).body).toMatchObject({ action: 'verify', passed: false, note: '仍有垃圾' })
    expect(request(7, 'close_not_fixed', none).body).toMatchObject({ action: 'close', fixed: false })
    expect(request(7, 'merge', { ...none, into: 3 })).toEqual({ path: '/api/cases/7/merge', body: { into: 3, note: '' } })
  })

  it('escalates to the levels above the grid', () => {
    expect(escalationTargets('110101001002003').map((t) => t.code)).toEqual(['110101001002', '110101001', '110101'])
  })
})
