// 一级一屏: the leader's district screen, drilling down, live counters, the big screen, and
// accessibility in every mode and language.

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

async function leaderScreen(options: { elder?: boolean; big?: boolean; english?: boolean } = {}): Promise<Page> {
  const context = await visitor(browser, { elder: options.elder })
  if (options.english) await context.addInitScript(() => localStorage.setItem('yiwang.lang', 'en'))
  const page = await context.newPage()
  if (options.big) await page.setViewportSize({ width: 1920, height: 1080 })
  await signIn(page, demo().logins['leader'])
  await page.goto(options.big ? '/screen?big=1' : '/screen')
  await page.locator('.parts-panel tbody tr').first().waitFor()
  await page.locator('.screen-map path.part-fill').first().waitFor()
  return page
}

/** The screen loads its numbers after each step: wait for them rather than for a fixed time. */
const soon = { timeout: 20_000 }

const counter = (page: Page, key: string) =>
  page.locator(`.counter.${key} .counter-n`).textContent().then((s) => Number((s ?? '').replace(/[^\d]/g, '')))

describe('one screen per level', () => {
  it('shows the leader the district with its 17 streets, on the map and in the list', async () => {
    const page = await leaderScreen()
    expect(new URL(page.url()).pathname).toBe('/screen')
    expect(await page.locator('main h1').textContent()).toContain('东城区')
    expect(await page.locator('.parts-panel tbody tr').count()).toBe(17)
    expect(await page.locator('.screen-map path.part-fill').count()).toBe(17)
    // Every part is labelled with its numbers, and the legend counts the parts in its classes.
    expect(await page.locator('.screen-map .part-label').count()).toBe(17)
    const legendParts = await page.locator('.legend .parts').allTextContents()
    expect(legendParts.reduce((n, s) => n + Number(s.replace(/[^\d]/g, '')), 0)).toBe(17)
    // The numbers add up: the streets' open cases are the district's.
    const open = await page.locator('.parts-panel tbody tr td:nth-child(2)').allTextContents()
    expect(open.reduce((n, s) => n + Number(s.replace(/[^\d]/g, '')), 0)).toBe(await counter(page, 'open'))
    expect(await page.locator('.per-day table tbody tr').count()).toBe(30)
    expect(await page.locator('.top-kinds table tbody tr').count()).toBeGreaterThan(0)
    expect(await page.locator('.ranking-panel tbody tr').count()).toBeGreaterThan(0)
  })

  it('drills into a street by clicking the map, into a community from the list, and back up by the breadcrumbs', async () => {
    const page = await leaderScreen()
    const box = await page.locator('.screen-map').boundingBox()
    // The demo's streets are bands from north to south: the top of the map is the first street.
    await page.mouse.click(box!.x + box!.width / 2, box!.y + 40)
    await page.waitForURL(/\/screen\/110101\d{3}$/)
    const street = new URL(page.url()).pathname.split('/').pop()!
    await expect.poll(() => page.locator('.crumbs li').count(), soon).toBe(2)
    // The list now holds the street's communities.
    const firstPart = () => page.locator('.parts-panel tbody tr a').first().getAttribute('href')
    await expect.poll(firstPart, soon).toMatch(new RegExp(`^/screen/${street}\\d{3}$`))
    const communities = await page.locator('.parts-panel tbody tr').count()
    expect(communities).toBeGreaterThan(1)
    await expect.poll(() => page.locator('.screen-map path.part-fill').count(), soon).toBe(communities)

    await page.locator('.parts-panel tbody tr a').first().click()
    await page.waitForURL(new RegExp(`/screen/${street}\\d{3}$`))
    await expect.poll(() => page.locator('.crumbs li').count(), soon).toBe(3)
    // A community's parts are its nine unit grids.
    await expect.poll(() => page.locator('.parts-panel tbody tr').count(), soon).toBe(9)
    await expect.poll(() => page.locator('.screen-map path.part-fill').count(), soon).toBe(9)

    await page.locator('.crumbs a').first().click()
    await page.waitForURL((u) => u.pathname === '/screen')
    await expect.poll(() => page.locator('.parts-panel tbody tr').count(), soon).toBe(17)
  })

  it('counts a case reported elsewhere as soon as the server says so', async () => {
    const page = await leaderScreen()
    await expect.poll(() => page.locator('.live').getAttribute('class'), soon).toContain('live live')
    const [open, today] = [await counter(page, 'open'), await counter(page, 'reported')]

    // A resident reports through the API, from their own browser.
    const resident = await (await visitor(browser)).newPage()
    await resident.goto('/')
    const answer = await resident.evaluate(
      async ({ login, password }) => {
        const post = (path: string, body: unknown) =>
          fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        if (!(await post('/api/auth/login', { login, password })).ok) return 'login failed'
        const grid = (await (await fetch('/api/grids/110101001001005')).json()) as { geometry: { coordinates: number[][][] } }
        const ring = grid.geometry.coordinates[0]
        const lon = ring.reduce((s, p) => s + p[0], 0) / ring.length
        const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length
        const r = await post('/api/reports', { subclass: 'E0101', lon, lat, description: '一级一屏测试：井盖缺失' })
        return r.ok ? 'ok' : `${r.status} ${await r.text()}`
      },
      { login: demo().logins['resident'], password: demo().password },
    )
    expect(answer).toBe('ok')
    await expect.poll(() => counter(page, 'open'), soon).toBe(open + 1)
    expect(await counter(page, 'reported')).toBe(today + 1)
  })

  it('fills a 1920 × 1080 big screen without scrolling, dark', async () => {
    const page = await leaderScreen({ big: true })
    expect(await page.locator('header.top').count()).toBe(0)
    const [sw, sh, w, h] = await page.evaluate(() => [
      document.documentElement.scrollWidth,
      document.documentElement.scrollHeight,
      innerWidth,
      innerHeight,
    ])
    expect([sw, sh]).toEqual([w, h])
    expect([w, h]).toEqual([1920, 1080])
    // Every panel fits on the screen.
    const panels = await page.locator('.panel').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().bottom))
    expect(Math.max(...panels)).toBeLessThanOrEqual(1080)
    const background = await page.evaluate(() => getComputedStyle(document.querySelector('.screen')!).backgroundColor)
    expect(background).toBe('rgb(10, 20, 34)')
  })

  for (const english of [false, true]) {
    for (const mode of ['normal', 'elder', 'big'] as const) {
      it(`has no axe-core violation in ${mode} mode, ${english ? 'en' : 'zh-CN'}`, async () => {
        const page = await leaderScreen({ english, elder: mode === 'elder', big: mode === 'big' })
        await page.locator('.ranking-panel tbody tr').first().waitFor()
        await expectAccessible(page, `/screen (${mode}, ${english ? 'en' : 'zh-CN'})`)
      })
    }
  }
})
