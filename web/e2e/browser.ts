// Headless Chromium (Debian's package, driven by playwright-core) and the checks every page
// test shares: signing in, and axe-core with the WCAG 2.1 A/AA rules.

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import AxeBuilder from '@axe-core/playwright'
import { inject } from 'vitest'

export const demo = () => inject('demo')

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  })
}

/** A fresh visitor: own cookies and storage, Chinese by default, optionally in elder mode. */
export async function visitor(browser: Browser, options: { elder?: boolean; mobile?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: demo().base,
    locale: 'zh-CN',
    viewport: options.mobile ? { width: 390, height: 844 } : { width: 1366, height: 900 },
    reducedMotion: 'reduce',
  })
  if (options.elder) await context.addInitScript(() => localStorage.setItem('yiwang.elder', '1'))
  return context
}

/** Signs in through the login page as one of the demo's people. */
export async function signIn(page: Page, login: string): Promise<void> {
  await page.goto('/login')
  await page.locator('#login-name').fill(login)
  await page.locator('#login-password').fill(demo().password)
  await page.locator('form button[type=submit]').click()
  await page.waitForURL((url) => !url.pathname.startsWith('/login'))
}

/** Fails with a readable list when axe-core finds any WCAG 2.1 A or AA violation. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const found = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('\n    ')}`,
  )
  if (found.length) throw new Error(`axe-core on ${what}:\n  ${found.join('\n  ')}`)
}
