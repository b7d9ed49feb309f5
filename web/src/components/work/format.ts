// How the workbench writes times, lateness and refusals.

import type { ApiError } from '../../api'
import { span } from './queues'

type T = (key: string, values?: Record<string, unknown>) => string

/** A time as staff read it in a dense list: month-day hour:minute, China Standard Time. */
export function when(iso: string | null | undefined, locale: string): string {
  if (!iso) return ''
  return new Intl.DateTimeFormat(locale, {
    timeZone: 'Asia/Shanghai',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(new Date(iso))
}

export function duration(minutes: number, t: T): string {
  const s = span(minutes)
  if (s.d > 0) return t('work.time.d', s)
  if (s.h > 0) return t('work.time.h', s)
  return t('work.time.m', s)
}

/** Why the server refused, in words: the kind of refusal (by status) and the server's message.
 *  Takes an ApiError or what a bulk outcome kept of one. */
export function reason(e: unknown, t: T): string {
  if (typeof (e as ApiError)?.status !== 'number') return (e as Error)?.message ?? String(e)
  const { status, message } = e as ApiError
  const kind = [400, 401, 403, 404, 409].includes(status) ? t(`work.why.${status}`) : t('work.why.other')
  return t('work.refusal', { status, kind, message })
}
