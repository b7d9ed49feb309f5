// The staff workbench in the browser: each role's view, a step taken with the keyboard alone, a
// bulk action with its result per case, and axe-core on every view in normal and elder mode,
// in Chinese and in English.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { demo, expectAccessible, launch, signIn, visitor } from './browser'

let browser: Browser
beforeAll(async () => {
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
})

async function staffPage(login: string, options: { elder?: boolean; english?: boolean } = {}): Promise<Page> {
  const context = await visitor(browser, { elder: options.elder })
  if (options.english) await context.addInitScript(() => localStorage.setItem('yiwang.lang', 'en'))
  const page = await context.newPage()
  await signIn(page, login)
  return page
}

/** The case numbers of the queue on screen, top to bottom, once it has loaded. */
async function listed(page: Page): Promise<number[]> {
  await page.locator('tbody a.case-link').first().waitFor()
  return (await page.locator('tbody a.case-link').allTextContents()).map((s) => Number(s.trim()))
}

async function state(page: Page, id: number): Promise<string> {
  return page.evaluate(async (id) => ((await (await fetch(`/api/cases/${id}`)).json()) as { state: string }).state, id)
}

describe('each role’s view', () => {
  const views: [string, string, string[]][] = [
    ['intake operator', '受理员', ['待立案', '待评价（回访）']],
    ['dispatcher', '派遣员', ['待派遣（含回退）']],
    ['handler', '责任单位处置人员', ['待签收', '处置中待反馈']],
    ['grid member', '网格员', ['待核查']],
    ['inspector', '监督员', ['待核查']],
    ['shift chief', '值班长', ['待立案', '待结案', '延期待审批']],
    ['supervisor', '督办员', ['超期待督办']],
  ]
  for (const [role, name, queues] of views) {
    it(`shows the ${role} their queues`, async () => {
      const page = await staffPage(demo().logins[role])
      expect(new URL(page.url()).pathname).toBe('/work')
      await expect.poll(() => page.locator('main h1').textContent()).toContain(name)
      const tabs = page.getByRole('navigation', { name: '待办队列' }).getByRole('link')
      await expect.poll(async () => (await tabs.allTextContents()).map((s) => s.replace(/\s*\d+\s*$/, '').trim())).toEqual([...queues, '超期督办'])
      await page.getByRole('heading', { level: 2, name: new RegExp(queues[0]) }).waitFor()
    })
  }

  it('sends a leader to the screen: no queue of their own', async () => {
    const page = await staffPage(demo().logins['leader'])
    await page.goto('/work')
    await expect.poll(() => page.locator('main').textContent()).toContain('您的角色没有待办队列')
  })

  it('puts the latest first on the supervisor’s overdue board', async () => {
    const page = await staffPage(demo().logins['supervisor'])
    await page.goto('/work/overdue')
    await listed(page)
    const due = await page.evaluate(async () => {
      const cases = (await (await fetch('/api/cases?overdue=true&limit=500')).json()) as { id: number; open: boolean; due_at: string }[]
      return Object.fromEntries(cases.map((c) => [c.id, c.due_at]))
    })
    const order = (await listed(page)).map((id) => due[id])
    expect(order.length).toBeGreaterThan(1)
    expect([...order].sort()).toEqual(order)
  })

  it('speaks English on request', async () => {
    const page = await staffPage(demo().logins['shift chief'], { english: true })
    await page.goto('/work')
    await expect.poll(() => page.getByRole('navigation', { name: 'Work queues' }).textContent()).toContain('To close')
  })
})

describe('the keyboard alone', () => {
  it('moves through the intake queue, files a case with its letter and opens another with Enter', async () => {
    const page = await staffPage(demo().logins['intake operator'])
    const [first, second] = await listed(page)
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim())
    await page.keyboard.press('j')
    await expect.poll(focused).toBe(String(second))
    await page.keyboard.press('k')
    await expect.poll(focused).toBe(String(first))
    await page.keyboard.press('?')
    await expect.poll(() => page.getByRole('region', { name: '快捷键' }).textContent()).toContain('f：立案')
    await page.keyboard.press('f')
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`案卷 ${first}：已立案`)
    expect(await state(page, first)).toBe('filed')
    await expect.poll(async () => (await listed(page)).includes(first)).toBe(false)

    const [next] = await listed(page)
    await page.keyboard.press('Home')
    await page.keyboard.press('Enter')
    await page.waitForURL(`**/work/cases/${next}`)
    // On the case page a letter opens that step's form, with the focus in it; Esc closes it.
    await page.getByRole('heading', { level: 2, name: '可执行的操作' }).waitFor()
    await page.keyboard.press('m')
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe(`step-${next}-merge-into`)
    await page.keyboard.press('Escape')
    await expect.poll(() => page.locator('form.step-form').count()).toBe(0)
  })
})

describe('bulk actions', () => {
  it('closes the selected cases and says for each what happened, a refusal included', async () => {
    const page = await staffPage(demo().logins['shift chief'])
    await page.goto('/work?q=to_close')
    const [a, b] = await listed(page)
    await page.keyboard.press('x')
    await page.keyboard.press('j')
    await page.keyboard.press('x')
    const bulk = page.getByRole('region', { name: '批量操作' })
    await expect.poll(() => bulk.textContent()).toContain('已选 2 件')
    // Somebody else closes one of them meanwhile.
    const closed = await page.evaluate(
      async (id) => (await fetch(`/api/cases/${id}/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'close', fixed: true }) })).status,
      b,
    )
    expect(closed).toBe(200)
    await bulk.getByRole('button', { name: '对已选的 2 件结案' }).click()
    await expect.poll(() => bulk.textContent()).toContain('批量结案：成功 1 件，未成功 1 件')
    const results = bulk.getByRole('listitem')
    expect(await results.nth(0).textContent()).toMatch(new RegExp(`案卷 ${a}\\s*:\\s*成功`))
    expect(await results.nth(1).textContent()).toMatch(new RegExp(`案卷 ${b}\\s*:\\s*未成功 — 409 案卷当前状态不允许这一步`))
    expect(await state(page, a)).toBe('closed_fixed')
  })
})

describe('accessibility', () => {
  for (const elder of [false, true]) {
    for (const english of [false, true]) {
      const mode = `${elder ? 'elder' : 'normal'} mode, ${english ? 'English' : 'Chinese'}`
      it(`has no axe-core violation on any workbench view in ${mode}`, async () => {
        const intake = await staffPage(demo().logins['intake operator'], { elder, english })
        await listed(intake)
        await intake.keyboard.press('?')
        await expectAccessible(intake, `the intake queue (${mode})`)

        const dispatcher = await staffPage(demo().logins['dispatcher'], { elder, english })
        const [id] = await listed(dispatcher)
        await dispatcher.locator('tbody select').first().waitFor()
        await expectAccessible(dispatcher, `the dispatch queue (${mode})`)
        await dispatcher.goto(`/work/cases/${id}?step=dispatch`)
        await dispatcher.locator('form.step-form').waitFor()
        await dispatcher.locator('.timeline li').first().waitFor()
        await expectAccessible(dispatcher, `a case page with the dispatch form (${mode})`)

        const handler = await staffPage(demo().logins['handler'], { elder, english })
        await handler.goto('/work?q=to_report_back')
        const [handling] = await listed(handler)
        await handler.goto(`/work/cases/${handling}?step=report_back`)
        await handler.locator('form.step-form input[type=file]').waitFor()
        await expectAccessible(handler, `a case page with the report-back form (${mode})`)

        const supervisor = await staffPage(demo().logins['supervisor'], { elder, english })
        await supervisor.goto('/work/overdue')
        await listed(supervisor)
        await expectAccessible(supervisor, `the overdue board (${mode})`)

        const leader = await staffPage(demo().logins['leader'], { elder, english })
        await leader.goto('/work')
        await leader.locator('main h1').waitFor()
        await expectAccessible(leader, `the workbench without queues (${mode})`)
      })
    }
  }
})
