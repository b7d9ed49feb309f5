// 亲友代办 end to end: a daughter asks to act for her elderly father by his phone, enters the
// code the demo "sent" to it (GET /api/demo/codes: a demo visitor's phone gets no SMS), reports a
// problem for him, and finds it in his list; he sees it in his own, sees who acts for him, and
// ends it, after which she no longer can. axe-core on every page on the way.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { expectAccessible, launch, signIn, visitor } from './browser'
import { ready } from './resident-helpers'

// Demo residents not used by the other specs: r00011 acts for r00012.
const RELATIVE = '13900000011'
const ELDER = '13900000012'
const ELDER_ACCOUNT = 'r00012'

let browser: Browser
let relative: Page
let elder: Page
let reported = 0

beforeAll(async () => {
  browser = await launch()
  relative = await (await visitor(browser, { mobile: true })).newPage()
  await signIn(relative, RELATIVE)
  elder = await (await visitor(browser, { elder: true, mobile: true })).newPage()
  await signIn(elder, ELDER)
})
afterAll(async () => {
  await browser?.close()
})

/** The latest code the demo sent to a phone (shown masked: 139****0012). */
async function codeSentTo(page: Page, phone: string): Promise<string> {
  const masked = `${phone.slice(0, 3)}****${phone.slice(-4)}`
  let code = ''
  await expect
    .poll(async () => {
      const sent = (await (await page.request.get('/api/demo/codes')).json()) as { phone: string; code: string }[]
      code = sent.find((c) => c.phone === masked)?.code ?? ''
      return code
    })
    .toMatch(/^\d{6}$/)
  return code
}

describe('a relative acting for an elder', () => {
  it('asks by the elder’s phone and confirms with the code sent to it', async () => {
    await ready(relative, '/proxies')
    await expectAccessible(relative, '/proxies (asking)')
    await relative.locator('#proxy-phone').fill(ELDER)
    await relative.locator('#proxy-relation').fill('女儿')
    await relative.getByRole('button', { name: '发送同意码到老人手机' }).click()
    await relative.locator('#proxy-code').waitFor()
    // Before consent the elder is known only by the masked phone.
    expect(await relative.locator('form .who').textContent()).toContain('139****0012')
    await expectAccessible(relative, '/proxies (code sent)')

    await relative.locator('#proxy-code').fill(await codeSentTo(relative, ELDER))
    await relative.getByRole('button', { name: '确认代办' }).click()
    await expect.poll(() => relative.locator('main').textContent()).toContain('已开始为')
    const card = relative.locator('.people li').first()
    await expect.poll(() => card.textContent()).toContain('女儿')
    await expectAccessible(relative, '/proxies (acting)')
  })

  it('reports a problem for the elder: the case is the elder’s', async () => {
    await relative.locator('.people li a').first().click()
    await relative.waitForURL(/\/report\?for=r00012$/)
    await expect.poll(() => relative.locator('main h1').textContent()).toContain('替')
    await relative.locator('#kind-words').fill('垃圾')
    const option = relative.locator('.options label').first()
    await expect.poll(() => option.textContent()).toContain('暴露垃圾')
    await option.click()
    await relative.getByLabel('从列表中选（不用地图）').check()
    await relative.locator('#where-street').selectOption({ index: 1 })
    await relative.locator('#where-community').selectOption({ index: 1 })
    await relative.locator('#where-landmark, #where-grid').selectOption({ index: 1 })
    await expect.poll(() => relative.locator('.status').textContent(), { timeout: 10_000 }).toContain('位置在')
    await relative.locator('#report-description').fill(`父亲家楼道堆满杂物 ${Date.now()}`)
    await expectAccessible(relative, '/report?for= (filled in)')
    await relative.getByRole('button', { name: '提交', exact: true }).click()
    await relative.waitForURL(/\/cases\/\d+$/)
    reported = Number(new URL(relative.url()).pathname.split('/').pop())
    // The relative follows the elder's case on its page.
    await expect.poll(() => relative.locator('main h1').textContent()).toContain(String(reported))
    await expect.poll(() => relative.locator('.timeline li').count()).toBeGreaterThan(0)
    await expectAccessible(relative, '/cases/{id} (for the elder)')
    // Back leads to the elder's list.
    expect(await relative.locator('main p a').first().getAttribute('href')).toBe(`/my?for=${ELDER_ACCOUNT}`)
  })

  it('finds it in the elder’s list, not in the relative’s own', async () => {
    await ready(relative, `/my?for=${ELDER_ACCOUNT}`)
    await relative.locator(`a[href="/cases/${reported}"]`).waitFor()
    await expectAccessible(relative, '/my?for=')
    await ready(relative, '/my')
    await relative.locator('main h1').waitFor()
    await expect.poll(() => relative.locator(`a[href="/cases/${reported}"]`).count()).toBe(0)
  })
})

describe('the elder', () => {
  it('sees the case in their own list and who acts for them, and ends it', async () => {
    await ready(elder, '/my')
    await elder.locator(`a[href="/cases/${reported}"]`).waitFor()
    await ready(elder, '/proxies')
    const card = elder.locator('.people li').first()
    await expect.poll(() => card.textContent()).toContain('女儿')
    await expectAccessible(elder, '/proxies (the elder, elder mode)')
    await card.getByRole('button').click()
    await expect.poll(() => elder.locator('main').textContent()).toContain('已取消')

    // From then on the relative no longer acts for them.
    await ready(relative, `/my?for=${ELDER_ACCOUNT}`)
    await expect.poll(() => relative.locator('main [role=alert]').textContent()).toContain('代办授权')
  })
})
