// The whole journey of issue 4, in real headless Chromium against the real demo: a resident
// reports a full rubbish bin with a photo, the intake operator files it, the dispatcher
// dispatches it to the unit the responsibility list suggests, that unit's handler accepts it and
// reports back with a photo, the grid member of its grid verifies it with the photos side by
// side, the shift chief closes it, the resident rates it, and the district's counters change.
// Every staff step goes through the workbench in the browser.

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

const GRID = '110101001001001' // 多福巷社区第1网格; its grid member signs in as gm-<grid>

/** A JSON request from the page, with its cookies, as the front end makes it. */
async function call<T>(page: Page, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await page.evaluate(
    async ({ method, path, body }) => {
      const r = await fetch(path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
      return { status: r.status, text: await r.text() }
    },
    { method, path, body },
  )
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`)
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

/** The district's numbers of today as its leader sees them. */
async function districtToday(page: Page): Promise<Counters> {
  const i = await call<{ reported: number; closed: number; satisfaction: { count: number } }>(
    page,
    'GET',
    '/api/evaluation/indicators?dim=area&key=110101&period=day',
  )
  return { reported: i.reported, closed: i.closed, rated: i.satisfaction.count }
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
  it('goes from a resident’s report through every staff step in the workbench to the rating and the district’s counters', async () => {
    const leader = await staffPage(demo().logins['leader'])
    const before = await districtToday(leader)

    // A resident reports, with a photo (through the API from the signed-in browser page).
    const resident = await (await visitor(browser, { mobile: true })).newPage()
    await signIn(resident, demo().logins['resident'])
    const grid = await call<{ geometry: { coordinates: [number, number][][] } }>(resident, 'GET', `/api/grids/${GRID}`)
    const ring = grid.geometry.coordinates[0].slice(1)
    const lon = ring.reduce((s, p) => s + p[0], 0) / ring.length
    const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length
    const png = await photo(resident, '#8a5200')
    const upload = await resident.evaluate(async (bytes) => {
      const r = await fetch('/api/attachments', { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(bytes) })
      return (await r.json()) as { id: string }
    }, [...png])
    const reported = await call<{ id: number; grid: string; state: string }>(resident, 'POST', '/api/reports', {
      subclass: 'E0107',
      lon,
      lat,
      description: '小区北门垃圾桶满溢，三天没人清运（浏览器旅程测试）',
      photos: [upload.id],
    })
    const id = reported.id
    expect(reported.grid).toBe(GRID)
    expect(reported.state).toBe('reported')

    // The intake operator files it from the queue.
    const intake = await staffPage(demo().logins['intake operator'])
    await row(intake, id).getByRole('button', { name: '立案', exact: true }).click()
    await expect.poll(() => intake.getByRole('status').textContent()).toContain(`案卷 ${id}：已立案`)
    await expect.poll(() => row(intake, id).count()).toBe(0)

    // The dispatcher finds the suggested unit preselected and dispatches.
    const dispatcher = await staffPage(demo().logins['dispatcher'])
    const suggested = await call<{ units: { lead: { id: string } } }>(dispatcher, 'GET', `/api/cases/${id}/suggestions`)
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
    const member = await staffPage(`gm-${GRID}`)
    await row(member, id).getByRole('link', { name: String(id), exact: true }).click()
    await member.waitForURL(`**/work/cases/${id}`)
    await expect.poll(() => member.getByRole('img', { name: /处置前/ }).count()).toBe(1)
    await expect.poll(() => member.getByRole('img', { name: /处置后/ }).count()).toBe(1)
    await member.getByRole('button', { name: '核查通过', exact: true }).click()
    await member.getByRole('button', { name: '确认核查通过' }).click()
    await expect.poll(() => member.locator('#case-status').textContent()).toContain(`案卷 ${id}：已核查通过`)

    // The shift chief closes it from the queue.
    const chief = await staffPage(demo().logins['shift chief'])
    await row(chief, id).getByRole('button', { name: '结案', exact: true }).click()
    await expect.poll(() => chief.getByRole('status').textContent()).toContain(`案卷 ${id}：已结案`)

    // The resident rates it.
    const rated = await call<{ state: string; rating: { satisfaction: string } }>(resident, 'POST', `/api/cases/${id}/actions`, {
      action: 'evaluate',
      satisfaction: 'satisfied',
      fixed: true,
      responded: true,
    })
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
    const after = await districtToday(leader)
    expect(after.reported).toBeGreaterThanOrEqual(before.reported + 1)
    expect(after.closed).toBeGreaterThanOrEqual(before.closed + 1)
    expect(after.rated).toBeGreaterThanOrEqual(before.rated + 1)
  })
})
