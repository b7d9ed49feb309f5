// The whole journey of issue 4, in real headless Chromium against the real demo: a resident
// reports exposed rubbish with a photo on the portal, the intake operator files it, the dispatcher
// dispatches it to the unit the responsibility list suggests, that unit's handler accepts it and
// reports back with a photo, the grid member of its grid verifies it with the photos side by
// side, the shift chief closes it, the resident rates it on the portal, and the district's
// counters change. Every step goes through the pages in the browser.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { demo, launch, signIn, visitor } from './browser'

let browser: Browser
beforeAll(async () => {
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
})

/** What the API answers the page, with its cookies: to check what the pages did. */
async function read<T>(page: Page, path: string): Promise<T> {
  const answer = await page.evaluate(async (path) => {
    const r = await fetch(path)
    return { status: r.status, text: await r.text() }
  }, path)
  if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.text}`)
  return JSON.parse(answer.text) as T
}

/** A small PNG drawn by the browser, as a camera would hand it over. */
async function photo(page: Page, colour: string): Promise<Buffer> {
  const url = await page.evaluate((colour) => {
    const c = document.createElement('canvas')
    c.width = 96
    c.height = 64
    const g = c.getContext('2d')!
    g.fillStyle = colour
    g.fillRect(0, 0, 96, 64)
    return c.toDataURL('image/png')
  }, colour)
  return Buffer.from(url.split(',')[1], 'base64')
}

interface Counters {
  reported: number
  closed: number
  rated: number
}

/** Today's numbers of the district as its leader sees them: reported and closed on the district
 *  screen's live counters (read without reloading: server events move them), rated from the
 *  leader's indicators. */
async function districtToday(leader: Page): Promise<Counters> {
  const i = await read<{ satisfaction: { count: number } }>(
    leader,
    '/api/evaluation/indicators?dim=area&key=110101&period=day',
  )
  const counter = async (key: string) => Number(((await leader.locator(`.counter.${key} .counter-n`).textContent()) ?? '').replace(/[^\d]/g, ''))
  await leader.locator('.counter.reported .counter-n').waitFor()
  return { reported: await counter('reported'), closed: await counter('closed'), rated: i.satisfaction.count }
}

async function staffPage(login: string): Promise<Page> {
  const page = await (await visitor(browser)).newPage()
  await signIn(page, login)
  return page
}

/** The row of case `id` in the queue on screen. */
const row = (page: Page, id: number) =>
  page.locator('tbody tr').filter({ has: page.getByRole('link', { name: String(id), exact: true }) })

describe('the journey of a case', () => {
  it('goes from a resident’s report on the portal through every staff step in the workbench to the rating and the district’s counters', async () => {
    const leader = await staffPage(demo().logins['leader'])
    await leader.goto('/screen')
    const before = await districtToday(leader)

    // The intake operator has the queue open while the resident reports.
    const intake = await staffPage(demo().logins['intake operator'])
    await intake.locator('tbody a.case-link').first().waitFor()

    // A resident reports on the portal, with a photo, placing it without a map.
    const resident = await (await visitor(browser, { mobile: true })).newPage()
    await signIn(resident, demo().logins['resident'])
    await resident.goto('/report')
    await resident.locator('#kind-words').fill('垃圾')
    const kind = resident.locator('.options label').filter({ hasText: '暴露垃圾' }).first()
    await kind.click()
    await expect.poll(() => resident.locator('.chosen').textContent()).toContain('暴露垃圾')
    await resident.getByLabel('从列表中选（不用地图）').check()
    await resident.locator('#where-street').selectOption({ index: 1 })
    await resident.locator('#where-community').selectOption({ index: 1 })
    const near = resident.locator('#where-landmark, #where-grid')
    await near.waitFor()
    await near.selectOption({ index: 1 })
    await expect.poll(() => resident.locator('.status').textContent(), { timeout: 10_000 }).toContain('位置在')
    await resident.locator('input[type=file]').setInputFiles({ name: 'before.png', mimeType: 'image/png', buffer: await photo(resident, '#8a5200') })
    await resident.locator('.thumbs img').waitFor()
    await resident.locator('#report-description').fill('小区北门垃圾堆了三天没人清运（浏览器旅程测试）')
    await resident.getByRole('button', { name: '提交', exact: true }).click()
    await resident.waitForURL(/\/cases\/\d+$/)
    const id = Number(new URL(resident.url()).pathname.split('/').pop())
    const reported = await read<{ grid: string; state: string; photos: string[] }>(resident, `/api/cases/${id}`)
    expect(reported.state).toBe('reported')
    expect(reported.photos).toHaveLength(1)

    // The new case comes into the open queue by itself (live events), and is filed from there.
    await expect.poll(() => row(intake, id).count(), { timeout: 15_000 }).toBe(1)
    await row(intake, id).getByRole('button', { name: '立案', exact: true }).click()
    await expect.poll(() => intake.getByRole('status').textContent()).toContain(`案卷 ${id}：已立案`)
    await expect.poll(() => row(intake, id).count()).toBe(0)

    // The dispatcher finds the suggested unit preselected and dispatches.
    const dispatcher = await staffPage(demo().logins['dispatcher'])
    const suggested = await read<{ units: { lead: { id: string } } }>(dispatcher, `/api/cases/${id}/suggestions`)
    const lead = suggested.units.lead.id
    const unitChoice = row(dispatcher, id).getByRole('combobox')
    await expect.poll(() => unitChoice.inputValue()).toBe(lead)
    await row(dispatcher, id).getByRole('button', { name: '派遣', exact: true }).click()
    await expect.poll(() => dispatcher.getByRole('status').textContent()).toContain(`案卷 ${id}：已派遣`)

    // That unit's handler accepts it, then reports back with a photo on the case page.
    const handler = await staffPage(`h-${lead}-1`)
    await handler.goto('/work?q=to_accept')
    await row(handler, id).getByRole('button', { name: '签收', exact: true }).click()
    await expect.poll(() => handler.getByRole('status').textContent()).toContain(`案卷 ${id}：已签收`)
    await handler.goto('/work?q=to_report_back')
    await row(handler, id).getByRole('button', { name: '处理反馈', exact: true }).click()
    await handler.waitForURL(`**/work/cases/${id}?step=report_back`)
    await handler.getByLabel('处置说明（无照片时必填）').fill('已清运，垃圾桶已清洗复位')
    await handler.getByLabel('添加照片').setInputFiles({ name: 'after.png', mimeType: 'image/png', buffer: await photo(handler, '#1d6b32') })
    await expect.poll(() => handler.getByText('已附 1 张照片').count()).toBe(1)
    await handler.getByRole('button', { name: '确认处理反馈' }).click()
    await expect.poll(() => handler.locator('#case-status').textContent()).toContain(`案卷 ${id}：已处理反馈`)

    // The grid member of its grid sees before and after side by side and passes the check.
    const member = await staffPage(`gm-${reported.grid}`)
    await row(member, id).getByRole('link', { name: String(id), exact: true }).click()
    await member.waitForURL(`**/work/cases/${id}`)
    await expect.poll(() => member.getByRole('img', { name: /处置前/ }).count()).toBe(1)
    await expect.poll(() => member.getByRole('img', { name: /处置后/ }).count()).toBe(1)
    await member.getByRole('button', { name: '核查通过', exact: true }).click()
    await member.getByRole('button', { name: '确认核查通过' }).click()
    await expect.poll(() => member.locator('#case-status').textContent()).toContain(`案卷 ${id}：已核查通过`)

    // The shift chief closes it from the queue.
    const chief = await staffPage(demo().logins['shift chief'])
    await chief.goto('/work?q=to_close')
    await row(chief, id).getByRole('button', { name: '结案', exact: true }).click()
    await expect.poll(() => chief.getByRole('status').textContent()).toContain(`案卷 ${id}：已结案`)

    // The resident rates it on the portal.
    await resident.goto(`/cases/${id}`)
    await resident.getByRole('group', { name: '您对办理结果' }).getByLabel('满意', { exact: true }).check()
    await resident.getByRole('group', { name: '问题解决了吗' }).getByLabel('是', { exact: true }).check()
    await resident.getByRole('button', { name: '提交评价' }).click()
    await expect.poll(() => resident.locator('main').textContent()).toContain('您的评价：满意，问题已解决')
    const rated = await read<{ state: string; rating: { satisfaction: string } }>(resident, `/api/cases/${id}`)
    expect(rated.state).toBe('closed_fixed')
    expect(rated.rating.satisfaction).toBe('satisfied')

    // Every step is in the timeline, each with its SM3 hash.
    await chief.goto(`/work/cases/${id}`)
    const steps = chief.locator('.timeline > li')
    await expect.poll(() => steps.count()).toBe(8)
    expect(await chief.locator('.timeline code').allTextContents()).toSatisfy((hashes: string[]) =>
      hashes.every((h) => /^[0-9a-f]{64}$/.test(h)),
    )

    // The district's counters moved by this case.
    await expect.poll(async () => (await districtToday(leader)).reported, { timeout: 30_000 }).toBeGreaterThanOrEqual(before.reported + 1)
    await expect.poll(async () => (await districtToday(leader)).closed, { timeout: 30_000 }).toBeGreaterThanOrEqual(before.closed + 1)
    expect((await districtToday(leader)).rated).toBeGreaterThanOrEqual(before.rated + 1)
  })
})
