// Messages of the resident part of the interface (under `resident.`).

export default {
  'zh-CN': {},
  en: {},
}
