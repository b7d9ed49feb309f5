import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import { i18n, locale, setLocale } from './i18n'
import './elder'
import './styles.css'

setLocale(locale())
createApp(App).use(i18n).use(router).mount('#app')
