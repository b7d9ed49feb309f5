// Messages of the screen part of the interface (under `screen.`).

export default {
  'zh-CN': {},
  en: {},
}
