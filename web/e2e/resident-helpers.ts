// What the resident specs share: a real photo to upload, and finding demo residents with cases
// in a given state (through the API, as the shift chief who sees the whole district).

import { deflateSync } from 'node:zlib'
import type { Browser, Page } from 'playwright-core'
import { demo, signIn, visitor } from './browser'

/** A small PNG (solid colour), built here so that the server can decode it. */
export function png(width = 64, height = 48, rgb: [number, number, number] = [40, 120, 200]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (buf: Buffer) => {
    let c = 0xffffffff
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4)
    head.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const tail = Buffer.alloc(4)
    tail.writeUInt32BE(crc(body))
    return Buffer.concat([head, body, tail])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())])
  const pixels = Buffer.concat(Array.from({ length: height }, () => row))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

export interface CaseRef {
  id: number
  reporter: string
}

/**
 * Portal cases of demo residents in `state` and not rated yet, as the shift chief lists them;
 * `reporter` is the resident's account id (`r00042`), whose login is `13900000042`.
 */
export async function residentCases(browser: Browser, state: string): Promise<CaseRef[]> {
  const context = await visitor(browser)
  const page = await context.newPage()
  await signIn(page, demo().logins['shift chief'])
  const cases = (await (await page.request.get(`/api/cases?state=${state}&limit=500`)).json()) as
    { id: number; reporter: string | null; rating: unknown; channel: string }[]
  await context.close()
  return cases
    .filter((c) => c.channel === 'portal' && c.rating === null && /^r\d{5}$/.test(c.reporter ?? ''))
    .map((c) => ({ id: c.id, reporter: c.reporter! }))
}

export const loginOf = (reporter: string) => `139000${reporter.slice(1)}`

/** Waits until the page's main heading is there (the view has loaded). */
export async function ready(page: Page, path: string): Promise<void> {
  await page.goto(path)
  await page.locator('main h1').waitFor()
  await page.waitForLoadState('networkidle')
}
