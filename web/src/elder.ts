// Elder mode (长辈版, MIIT 适老化 rules in DOMAIN.md §4): larger type, larger targets, more
// contrast, fewer steps. One switch, remembered on this device, shown as a class on <html> so
// that the style sheet carries every number in one place (styles.css, `.elder`).

import { ref, watch } from 'vue'

const KEY = 'yiwang.elder'

export const elder = ref(localStorage.getItem(KEY) === '1')

export function applyElder(on: boolean): void {
  document.documentElement.classList.toggle('elder', on)
}

watch(
  elder,
  (on) => {
    localStorage.setItem(KEY, on ? '1' : '0')
    applyElder(on)
  },
  { immediate: true },
)
