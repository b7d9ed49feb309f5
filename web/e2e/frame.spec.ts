// The frame every page shares: language, elder mode, sign-in, accessibility.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { expectAccessible, launch, signIn, visitor, demo } from './browser'

let browser: Browser
beforeAll(async () => {
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
})

describe('the frame', () => {
  it('speaks Chinese by default and English on request', async () => {
    const page = await (await visitor(browser)).newPage()
    await page.goto('/')
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN')
    await expect.poll(() => page.locator('.brand-name').textContent()).toBe('一网')
    await page.getByRole('button', { name: 'Switch to English' }).click()
    await expect.poll(() => page.locator('.brand-name').textContent()).toBe('yiwang')
    expect(await page.locator('html').getAttribute('lang')).toBe('en')
  })

  it('turns elder mode on from the first page and keeps it', async () => {
    const page = await (await visitor(browser)).newPage()
    await page.goto('/')
    await page.locator('.elder-switch').click()
    expect(await page.locator('html').getAttribute('class')).toContain('elder')
    await page.reload()
    expect(await page.locator('html').getAttribute('class')).toContain('elder')
    const size = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize))
    expect(size).toBeGreaterThanOrEqual(24) // 18 pt
  })

  it('signs a member of staff in and out', async () => {
    const page = await (await visitor(browser)).newPage()
    await signIn(page, demo().logins['dispatcher'])
    expect(new URL(page.url()).pathname).toBe('/work')
  })

  it('lets a visitor play any role of the demo with one click', async () => {
    const page = await (await visitor(browser)).newPage()
    await page.goto('/login')
    await page.getByRole('button', { name: '以领导身份登录' }).click()
    await page.waitForURL((url) => url.pathname.startsWith('/screen'))
    await page.getByRole('button', { name: '退出登录' }).click()
    await page.goto('/login')
    await page.getByRole('button', { name: '以派遣员身份登录' }).click()
    await page.waitForURL((url) => url.pathname === '/work')
  })

  for (const elder of [false, true]) {
    it(`has no axe-core violation on the first and sign-in pages${elder ? ' in elder mode' : ''}`, async () => {
      const page = await (await visitor(browser, { elder })).newPage()
      for (const path of ['/', '/login']) {
        await page.goto(path)
        await page.locator('main h1').waitFor()
        if (path === '/login') await page.locator('.demo').waitFor()
        await expectAccessible(page, `${path}${elder ? ' (elder)' : ''}`)
      }
    })
  }
})
