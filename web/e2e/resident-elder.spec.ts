// Elder mode (长辈版) measured in the browser on every page of the resident portal, against the
// numbers of DOMAIN.md §4 (MIIT 适老化): body text ≥ 18 pt (24 px), the main function's text
// ≥ 30 pt (40 px), every target ≥ 60 × 60 px, line spacing ≥ 1.3, paragraph spacing ≥ 1.3 ×
// line spacing. Contrast (≥ 4.5:1) is axe-core's color-contrast rule, run on every page in
// standard and elder mode, in Chinese and in English.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { expectAccessible, launch, signIn, visitor } from './browser'
import { loginOf, png, ready, residentCases } from './resident-helpers'

interface Measures {
  smallText: string[]
  smallMain: string[]
  mainCount: number
  smallTargets: string[]
  tightLines: string[]
  tightParagraphs: string[]
}

/**
 * Measures what is visible now. Text: every element with its own visible text. Targets:
 * every button, link, input, select and textarea — for a control inside a label (radio
 * buttons, the photo picker), the label, which is what one taps. Main function: `.main`
 * buttons and the home page's entry titles.
 */
async function measure(page: Page): Promise<Measures> {
  return page.evaluate(() => {
    const visible = (e: Element) => {
      const r = e.getBoundingClientRect()
      const s = getComputedStyle(e)
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !e.closest('.sr-only, [aria-hidden="true"]')
    }
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''} “${(e.textContent ?? '').trim().slice(0, 20)}”`
    const ownText = (e: Element) => [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim())
    const texts = [...document.querySelectorAll('body *')].filter((e) => ownText(e) && visible(e) && !['SCRIPT', 'STYLE', 'OPTION'].includes(e.tagName))
    const px = (v: string) => parseFloat(v)
    const smallText = texts.filter((e) => px(getComputedStyle(e).fontSize) < 24 - 0.01).map((e) => `${name(e)} ${getComputedStyle(e).fontSize}`)
    const tightLines = texts
      .filter((e) => {
        const s = getComputedStyle(e)
        return s.lineHeight !== 'normal' && px(s.lineHeight) / px(s.fontSize) < 1.3 - 0.001
      })
      .map((e) => `${name(e)} ${getComputedStyle(e).lineHeight}/${getComputedStyle(e).fontSize}`)

    const mains = [...document.querySelectorAll('.main, .entry-title')].filter(visible)
    const smallMain = mains.filter((e) => px(getComputedStyle(e).fontSize) < 40 - 0.01).map((e) => `${name(e)} ${getComputedStyle(e).fontSize}`)

    const controls = [...document.querySelectorAll('button, a[href], input, select, textarea')]
      .map((e) => (e.closest('label') ?? e) as Element)
      .filter((e, i, all) => all.indexOf(e) === i)
      .filter((e) => visible(e) || (e.tagName === 'LABEL' && visible(e)))
      // The skip link is off screen until focused.
      .filter((e) => !e.classList.contains('skip'))
    const smallTargets = controls
      .filter((e) => {
        const r = e.getBoundingClientRect()
        return r.width < 60 - 0.5 || r.height < 60 - 0.5
      })
      .map((e) => `${name(e)} ${Math.round(e.getBoundingClientRect().width)}×${Math.round(e.getBoundingClientRect().height)}`)

    // Paragraph spacing: from the last line of one paragraph to the first of the next
    // (baseline to baseline, like line spacing), at least 1.3 × the line spacing.
    const tightParagraphs: string[] = []
    for (const p of document.querySelectorAll('main p')) {
      const next = p.nextElementSibling
      if (!next || next.tagName !== 'P' || !visible(p) || !visible(next)) continue
      const line = px(getComputedStyle(p).lineHeight)
      const gap = next.getBoundingClientRect().top - p.getBoundingClientRect().bottom
      if (gap + line < 1.3 * line - 0.5) tightParagraphs.push(`${name(p)} gap ${gap}px, line ${line}px`)
    }
    return { smallText, smallMain, mainCount: mains.length, smallTargets, tightLines, tightParagraphs }
  })
}

function expectElderNumbers(m: Measures, what: string, needsMain: boolean) {
  expect(m.smallText, `${what}: text below 24 px`).toEqual([])
  expect(m.smallMain, `${what}: main function text below 40 px`).toEqual([])
  if (needsMain) expect(m.mainCount, `${what}: has a main function`).toBeGreaterThan(0)
  expect(m.smallTargets, `${what}: targets below 60 × 60`).toEqual([])
  expect(m.tightLines, `${what}: line spacing below 1.3`).toEqual([])
  expect(m.tightParagraphs, `${what}: paragraph spacing below 1.3 × line spacing`).toEqual([])
}

let browser: Browser
/** A resident with a closed case waiting for their rating: its page shows the rating form. */
let rater: { login: string; caseId: number }
beforeAll(async () => {
  browser = await launch()
  const [closed] = await residentCases(browser, 'closed_fixed')
  expect(closed, 'the demo has a closed portal case waiting for a rating').toBeDefined()
  rater = { login: loginOf(closed.reporter), caseId: closed.id }
})
afterAll(async () => {
  await browser?.close()
})

async function elderResident(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await visitor(browser, { elder: true, mobile: true })
  const page = await context.newPage()
  await signIn(page, rater.login)
  return { context, page }
}

describe('elder mode meets the numbers', () => {
  it('on the first page, sign-up and the public board (not signed in)', async () => {
    const context = await visitor(browser, { elder: true, mobile: true })
    const page = await context.newPage()
    for (const [path, needsMain] of [['/', true], ['/signup', false], ['/board', false], ['/login', true]] as const) {
      await ready(page, path)
      expectElderNumbers(await measure(page), path, needsMain)
    }
    // Sign-up's second half, once a code is asked for.
    await ready(page, '/signup')
    await page.locator('#signup-phone').fill('13912345678')
    await page.getByRole('button', { name: '获取验证码' }).click()
    await page.locator('#signup-code').waitFor()
    expectElderNumbers(await measure(page), '/signup (code sent)', true)
    await context.close()
  })

  it('on each screen of reporting, one question per screen', async () => {
    const { context, page } = await elderResident()
    await ready(page, '/report')
    const screens = ['what', 'where', 'more', 'send']
    for (const [i, screen] of screens.entries()) {
      expect(await page.locator('.progress').textContent()).toContain(`第 ${i + 1} 步`)
      // Only this screen's question is shown.
      for (const other of screens) expect(await page.locator(`#step-${other}`).isVisible(), `${screen}: ${other}`).toBe(other === screen)
      if (screen === 'what') {
        // The common kinds as big tiles, and suggestions for plain words.
        expect(await page.locator('.tile').count()).toBeGreaterThan(3)
        await page.locator('#kind-words').fill('垃圾')
        await page.locator('.options label').first().waitFor()
      }
      if (screen === 'where') {
        await page.locator('#where-street').selectOption({ index: 1 })
        await page.locator('#where-community').selectOption({ index: 1 })
        await page.locator('#where-landmark, #where-grid').waitFor()
      }
      if (screen === 'more') {
        await page.locator('input[type=file]').setInputFiles({ name: 'p.png', mimeType: 'image/png', buffer: png() })
        await page.locator('.thumbs img').waitFor()
      }
      expectElderNumbers(await measure(page), `/report (${screen})`, true)
      if (i < screens.length - 1) await page.getByRole('button', { name: '下一步' }).click()
    }
    await context.close()
  })

  it('on my cases, a case with its rating form, and acting for relatives', async () => {
    const { context, page } = await elderResident()
    for (const [path, needsMain] of [['/my', false], [`/cases/${rater.caseId}`, true], ['/proxies', true], ['/', true]] as const) {
      await ready(page, path)
      expectElderNumbers(await measure(page), path, needsMain)
    }
    await context.close()
  })

  it('has the read-aloud button on every page and no pop-up', async () => {
    const { context, page } = await elderResident()
    let dialogs = 0
    page.on('dialog', (d) => {
      dialogs++
      void d.dismiss()
    })
    for (const path of ['/', '/report', '/my', `/cases/${rater.caseId}`, '/board', '/proxies']) {
      await ready(page, path)
      expect(await page.getByRole('button', { name: '朗读本页' }).isVisible(), path).toBe(true)
      expect(await page.locator('dialog[open], [role=dialog], [role=alertdialog]').count(), path).toBe(0)
    }
    expect(dialogs).toBe(0)
    await context.close()
  })
})

describe('axe-core finds no violation on the resident pages', () => {
  for (const elder of [false, true]) {
    for (const lang of ['zh-CN', 'en'] as const) {
      it(`${elder ? 'in elder mode' : 'in standard mode'}, ${lang}`, async () => {
        const context = await visitor(browser, { elder, mobile: true })
        if (lang === 'en') await context.addInitScript(() => localStorage.setItem('yiwang.lang', 'en'))
        const page = await context.newPage()
        for (const path of ['/', '/signup', '/board']) {
          await ready(page, path)
          await expectAccessible(page, `${path} (${lang}${elder ? ', elder' : ''})`)
        }
        await signIn(page, rater.login)
        for (const path of ['/report', '/my', `/cases/${rater.caseId}`, '/proxies']) {
          await ready(page, path)
          await expectAccessible(page, `${path} (${lang}${elder ? ', elder' : ''})`)
        }
        // Every screen of reporting in elder mode; the list path in standard mode.
        await ready(page, '/report')
        if (elder) {
          for (let i = 0; i < 3; i++) {
            await page.locator('main form > .steps-nav button.primary').click()
            await expectAccessible(page, `/report screen ${i + 2} (${lang}, elder)`)
          }
        } else {
          await page.locator('input[name=how][value=list]').check()
          await page.locator('#where-street').selectOption({ index: 1 })
          await expectAccessible(page, `/report, no-map path (${lang})`)
        }
        await context.close()
      })
    }
  }
})
