// The resident's journey through the portal: sign in, report a problem with a photo without a
// map (street → community → place) and on the map, then find both in "my cases" with their
// timelines; rate a closed case (its demo pictures shown), and say "not fixed" to have another done
// again. A visitor not signed in reads the public board.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { demo, expectAccessible, launch, signIn, visitor } from './browser'
import { loginOf, png, ready, residentCases } from './resident-helpers'

let browser: Browser
let page: Page
beforeAll(async () => {
  browser = await launch()
  page = await (await visitor(browser, { mobile: true })).newPage()
  await signIn(page, demo().logins['resident'])
})
afterAll(async () => {
  await browser?.close()
})

/** Chooses the kind of problem by plain words: the first suggestion for `words`. */
async function chooseKind(words: string, expected: string) {
  await page.locator('#kind-words').fill(words)
  const option = page.locator('.options label').first()
  await expect.poll(() => option.textContent()).toContain(expected)
  await option.click()
  await expect.poll(() => page.locator('.chosen').textContent()).toContain(expected)
}

async function describeAndSend(text: string): Promise<number> {
  await page.locator('#report-description').fill(text)
  await page.getByRole('button', { name: '提交', exact: true }).click()
  await page.waitForURL(/\/cases\/\d+$/)
  return Number(new URL(page.url()).pathname.split('/').pop())
}

const cases: { id: number; kind: string; text: string }[] = []

describe('a resident', () => {
  it('reports a problem with a photo, placed without a map', async () => {
    await page.goto('/report')
    await chooseKind('垃圾', '暴露垃圾')

    await page.getByLabel('从列表中选（不用地图）').check()
    await page.locator('#where-street').selectOption({ index: 1 })
    await page.locator('#where-community').selectOption({ index: 1 })
    // The community's landmarks from the server (the demo's are synthetic): its committee office
    // among them; choosing one locates it and puts its name in the address.
    const landmark = page.locator('#where-landmark')
    await landmark.waitFor()
    const names = await landmark.locator('option').allTextContents()
    expect(names.some((n) => n.endsWith('居委会')), names.join(', ')).toBe(true)
    await landmark.selectOption({ index: 1 })
    await expect.poll(() => page.locator('.status').textContent(), { timeout: 10_000 }).toContain('位置在')
    expect(await page.locator('#where-address').inputValue()).toContain(names[1].trim())
    await page.locator('#where-address').fill('3号楼东侧')

    await page.locator('input[type=file]').setInputFiles({ name: 'rubbish.png', mimeType: 'image/png', buffer: png() })
    await page.locator('.thumbs img').waitFor()
    expect(await page.locator('.thumbs img').count()).toBe(1)

    const text = `楼下垃圾堆了三天没人清 ${Date.now()}`
    const id = await describeAndSend(text)
    cases.push({ id, kind: '暴露垃圾', text })

    await expect.poll(() => page.locator('main h1').textContent()).toContain(String(id))
    await expect.poll(() => page.locator('.timeline').textContent()).toContain('您反映了问题')
    expect(await page.locator('.facts').textContent()).toContain('3号楼东侧')
    // The photo taken when reporting is shown, and loads.
    const before = page.locator('.photos img').first()
    await before.waitFor()
    await expect.poll(() => before.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
  })

  it('reports a problem by tapping the grid map', async () => {
    await page.goto('/report')
    await chooseKind('路灯不亮', '路灯')
    // The map is the default way; its grids are drawn as vector shapes, no tiles.
    const map = page.locator('.grid-map')
    await map.waitFor()
    await page.locator('.grid-map svg path').first().waitFor({ state: 'attached' })
    await map.scrollIntoViewIfNeeded()
    const box = (await map.boundingBox())!
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
    await expect.poll(() => page.locator('.status').textContent(), { timeout: 10_000 }).toContain('位置在')
    const text = `路口路灯不亮 ${Date.now()}`
    const id = await describeAndSend(text)
    cases.push({ id, kind: '路灯', text })
  })

  it('places it on the map with the keyboard alone: the cross in the centre, Enter', async () => {
    await page.goto('/report')
    await page.locator('.grid-map svg path').first().waitFor({ state: 'attached' })
    await page.locator('.grid-map').focus()
    await page.keyboard.press('ArrowUp')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.locator('.status').textContent(), { timeout: 10_000 }).toContain('位置在')
  })

  it('refuses a point outside every grid clearly, naming the nearest grid', async () => {
    await page.goto('/report')
    const map = page.locator('.grid-map')
    await page.locator('.grid-map svg path').first().waitFor({ state: 'attached' })
    await map.scrollIntoViewIfNeeded()
    const box = (await map.boundingBox())!
    // The map fits the district with a margin: its corner is outside every grid.
    await page.mouse.click(box.x + 6, box.y + box.height - 6)
    await expect.poll(() => page.locator('.where .error').textContent(), { timeout: 10_000 }).toContain('这个位置不能受理')
    expect(await page.locator('.status').textContent()).toContain('还没有选择位置')
  })

  it('never reports as oneself a case meant for an elder one does not act for', async () => {
    await page.goto('/report?for=r00002')
    await page.locator('main [role=alert]').first().waitFor()
    await chooseKind('垃圾', '暴露垃圾')
    await page.getByLabel('从列表中选（不用地图）').check()
    await page.locator('#where-street').selectOption({ index: 1 })
    await page.locator('#where-community').selectOption({ index: 1 })
    await page.locator('#where-landmark, #where-grid').selectOption({ index: 1 })
    await expect.poll(() => page.locator('.status').textContent(), { timeout: 10_000 }).toContain('位置在')
    await page.locator('#report-description').fill('替老人反映')
    await page.getByRole('button', { name: '提交', exact: true }).click()
    await expect.poll(() => page.locator('form .error').textContent()).toContain('代办授权')
    expect(new URL(page.url()).pathname).toBe('/report')
  })

  it('finds both reports in my cases, and each one\'s timeline', async () => {
    await page.goto('/my')
    for (const c of cases) {
      const card = page.locator(`a[href="/cases/${c.id}"]`)
      await card.waitFor()
      expect(await card.textContent()).toContain(c.kind)
      expect(await card.textContent()).toContain('待受理')
    }
    await page.locator(`a[href="/cases/${cases[1].id}"]`).click()
    await page.waitForURL(`**/cases/${cases[1].id}`)
    await expect.poll(() => page.locator('.timeline li').count()).toBeGreaterThan(0)
    expect(await page.locator('.facts').textContent()).toContain(cases[1].text)
  })
})

describe('a visitor, not signed in', () => {
  it('reads the public board: real demo cases, masked, by state and street, accessible', async () => {
    const context = await visitor(browser)
    const anonymous = await context.newPage()
    const board = (state: string, area?: string) =>
      anonymous.waitForResponse(
        (r) =>
          r.url().includes('/api/public/cases') &&
          r.url().includes(`state=${state}`) &&
          (area === undefined || r.url().includes(`area=${area}`)),
      )
    await ready(anonymous, '/board')
    const items = anonymous.locator('.cases > li')
    await items.first().waitFor()
    expect(await items.count()).toBeGreaterThan(0)

    // Closed ones only: what the server sent is what is listed, and none of it names a person.
    const closed = board('closed')
    await anonymous.locator('#board-state').selectOption('closed')
    const sent = (await (await closed).json()) as Record<string, unknown>[]
    expect(sent.length).toBeGreaterThan(0)
    expect(sent.every((c) => c.open === false && !('reporter' in c) && !('followers' in c))).toBe(true)
    await expect.poll(() => items.count()).toBe(sent.length)
    expect(await items.first().textContent()).toContain(sent[0].subclass_name as string)
    // The demo's report photo, as the thumbnail of its public variant, loads.
    const photo = items.first().locator('.photos img').first()
    await photo.waitFor()
    await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true)
    // A full page, then more, paged on by id.
    expect(sent.length).toBe(50)
    await anonymous.getByRole('button', { name: '查看更多' }).click()
    await expect.poll(() => items.count()).toBeGreaterThan(50)

    // One street's open cases.
    await anonymous.locator('#board-state').selectOption('open')
    const street = await anonymous.locator('#board-street option').nth(1).getAttribute('value')
    const open = board('open', street!)
    await anonymous.locator('#board-street').selectOption({ index: 1 })
    const inStreet = (await (await open).json()) as { grid: string; open: boolean }[]
    expect(inStreet.every((c) => c.open && c.grid.startsWith(street!))).toBe(true)
    await expect.poll(() => items.count()).toBe(inStreet.length)
    await anonymous.waitForLoadState('networkidle')
    await expectAccessible(anonymous, '/board (not signed in)')
    await context.close()
  })
})

describe('a resident whose case is closed', () => {
  /** Signs in as the reporter of a closed, unrated portal case of the demo and opens it. */
  async function openClosedCase(pick: (cases: { id: number; reporter: string }[]) => { id: number; reporter: string }) {
    const chosen = pick(await residentCases(browser, 'closed_fixed'))
    const own = await (await visitor(browser, { mobile: true })).newPage()
    await signIn(own, loginOf(chosen.reporter))
    await ready(own, `/cases/${chosen.id}`)
    await own.locator('form h2').first().waitFor()
    return own
  }

  it('rates it: satisfied, fixed, the unit got in touch', async () => {
    const own = await openClosedCase((cases) => cases[cases.length - 1])
    await own.getByLabel('满意', { exact: true }).check()
    await own.locator('input[name=fixed][value=yes]').check()
    await own.locator('input[name=responded][value=yes]').check()
    await own.getByRole('button', { name: '提交评价' }).click()
    await expect.poll(() => own.locator('main').textContent()).toContain('感谢您的评价')
    expect(await own.locator('main').textContent()).toContain('您的评价：满意，问题已解决')
    expect(await own.locator('.timeline').textContent()).toContain('已评价')
    // Rated once: the form is gone; "still not fixed" remains possible on a fixed case.
    expect(await own.getByRole('button', { name: '提交评价' }).count()).toBe(0)
    expect(await own.getByRole('button', { name: '没有解决，重新办理' }).count()).toBe(1)
    // The demo's pictures (synthetic, stored as uploads): the report's, and the work done.
    const pictures = own.locator('.photos img')
    expect(await pictures.count()).toBeGreaterThanOrEqual(2)
    for (const img of await pictures.all()) {
      await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true)
    }
  })

  it('says it is not fixed, is told beforehand, and the case goes back to the unit', async () => {
    const own = await openClosedCase((cases) => cases[cases.length - 2])
    await own.getByLabel('不满意', { exact: true }).check()
    expect(await own.locator('.will-reopen').count()).toBe(0)
    await own.locator('input[name=fixed][value=no]').check()
    await expect.poll(() => own.locator('main').textContent()).toContain('提交后，这件事会重新交给承办单位办理')
    await own.getByRole('button', { name: '提交评价' }).click()
    await expect.poll(() => own.locator('.timeline').textContent()).toContain('评价为未解决，重新交办')
    expect(await own.locator('.facts').textContent()).not.toContain('已办结')
  })
})
