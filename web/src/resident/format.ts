// Dates as residents read them: in China Standard Time whatever the device's zone, with the
// year only when it is not this year.

export function when(iso: string | null | undefined, locale: string, now = new Date()): string {
  if (!iso) return ''
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return iso
  const zone = 'Asia/Shanghai'
  const year = (d: Date) => new Intl.DateTimeFormat('en', { timeZone: zone, year: 'numeric' }).format(d)
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: zone,
    year: year(at) === year(now) ? undefined : 'numeric',
    month: locale === 'en' ? 'short' : 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(at)
}
