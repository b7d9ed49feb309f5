// Messages of the work part of the interface (under `work.`).

export default {
  'zh-CN': {},
  en: {},
}
