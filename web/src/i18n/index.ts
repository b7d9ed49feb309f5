// The interface's languages: zh-CN by default, English on request (the switch, remembered on
// this device, and sent to the server as the `lang` cookie so that its messages match).
//
// Messages live in one file pair per part of the interface: the frame here (zh-CN.ts, en.ts),
// and resident.ts, work.ts, screen.ts beside it, each `{ 'zh-CN': {...}, en: {...} }` under
// its own top-level key. i18n.test.ts checks that both languages have the same keys.

import { createI18n } from 'vue-i18n'
import zh from './zh-CN'
import en from './en'
import resident from './resident'
import work from './work'
import screen from './screen'

export type Locale = 'zh-CN' | 'en'
const KEY = 'yiwang.lang'

export const messages = {
  'zh-CN': { ...zh, resident: resident['zh-CN'], work: work['zh-CN'], screen: screen['zh-CN'] },
  en: { ...en, resident: resident.en, work: work.en, screen: screen.en },
}

function initial(): Locale {
  const saved = localStorage.getItem(KEY)
  return saved === 'en' || saved === 'zh-CN' ? saved : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initial(),
  fallbackLocale: 'zh-CN',
  messages,
})

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  localStorage.setItem(KEY, locale)
  document.cookie = `lang=${locale === 'en' ? 'en' : 'zh-CN'}; path=/; SameSite=Lax`
  document.documentElement.lang = locale
}

export function locale(): Locale {
  return i18n.global.locale.value as Locale
}
