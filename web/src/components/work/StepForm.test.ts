import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { i18n } from '../../i18n'
import type { Case, Suggestions, Unit } from '../../types'
import StepForm from './StepForm.vue'

const aCase = { id: 42, state: 'filed', grid: '110101001001001' } as Case
const units: Unit[] = [
  { id: 'dc-hw', name: '区环卫中心', kind: '环卫', area: '110101' },
  { id: 'dc-sw', name: '区水务局', kind: '水务', area: '110101' },
  { id: 'far', name: '别区单位', kind: '环卫', area: '110102' },
]
const suggestions: Suggestions = { units: { lead: { id: 'dc-hw', name: '区环卫中心' }, assisting: [], basis: 'listed' }, duplicates: [] }

function answer(status: number, body: unknown) {
  return vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }))
}

afterEach(() => vi.unstubAllGlobals())

describe('the form of a step', () => {
  it('preselects the unit the responsibility list suggests, offers only units serving the place, and sends the dispatch', async () => {
    const fetch = answer(200, { ...aCase, state: 'dispatched' })
    vi.stubGlobal('fetch', fetch)
    const form = mount(StepForm, { props: { case: aCase, step: 'dispatch', units, suggestions }, global: { plugins: [i18n] } })
    const lead = form.get<HTMLSelectElement>('#step-42-dispatch-lead')
    expect(lead.element.value).toBe('dc-hw')
    expect(lead.findAll('option').map((o) => o.text())).toEqual(['请选择单位', '区环卫中心（建议）', '区水务局'])
    await form.get('form').trigger('submit')
    await flushPromises()
    expect(fetch).toHaveBeenCalledOnce()
    const [path, init] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    expect(path).toBe('/api/cases/42/actions')
    expect(JSON.parse(init.body as string)).toEqual({ action: 'dispatch', lead: 'dc-hw', assisting: [], note: '', attachments: [] })
    expect(form.emitted('done')?.[0]).toEqual([{ ...aCase, state: 'dispatched' }])
  })

  it('says what is missing and sends nothing', async () => {
    const fetch = answer(200, {})
    vi.stubGlobal('fetch', fetch)
    const form = mount(StepForm, { props: { case: { ...aCase, state: 'returned' } as Case, step: 'void' }, global: { plugins: [i18n] } })
    await form.get('form').trigger('submit')
    expect(form.get('[role=alert]').text()).toBe('请填写理由')
    expect(fetch).not.toHaveBeenCalled()
  })

  it('shows the server’s refusal with its kind', async () => {
    vi.stubGlobal('fetch', answer(409, { code: 'illegal_transition', message: '案卷 42（待派遣）不能签收' }))
    const form = mount(StepForm, { props: { case: aCase, step: 'accept' }, global: { plugins: [i18n] } })
    await form.get('form').trigger('submit')
    await flushPromises()
    expect(form.get('[role=alert]').text()).toBe('案卷 42未能签收：409 案卷当前状态不允许这一步：案卷 42（待派遣）不能签收')
    expect(form.emitted('done')).toBeUndefined()
  })
})
