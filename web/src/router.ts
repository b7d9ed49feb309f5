// Every page of the front end. Three parts, each in its own folder of views/:
// resident/ (the portal, mobile first, with elder mode), work/ (the staff workbench, one view
// per role) and screen/ (一级一屏, one screen per level, and the command centre's big screen).

import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { loaded, loadMe, me } from './session'

const routes: RouteRecordRaw[] = [
  { path: '/', component: () => import('./views/resident/Home.vue') },
  { path: '/login', component: () => import('./views/Login.vue') },
  { path: '/signup', component: () => import('./views/resident/Signup.vue') },
  { path: '/report', component: () => import('./views/resident/Report.vue'), meta: { signedIn: true } },
  { path: '/my', component: () => import('./views/resident/MyCases.vue'), meta: { signedIn: true } },
  { path: '/cases/:id', component: () => import('./views/resident/CaseDetail.vue'), meta: { signedIn: true } },
  { path: '/board', component: () => import('./views/resident/Board.vue') },
  { path: '/proxies', component: () => import('./views/resident/Proxies.vue'), meta: { signedIn: true } },
  { path: '/work', component: () => import('./views/work/Queue.vue'), meta: { staff: true } },
  { path: '/work/cases/:id', component: () => import('./views/work/CaseWork.vue'), meta: { staff: true } },
  { path: '/work/overdue', component: () => import('./views/work/Overdue.vue'), meta: { staff: true } },
  { path: '/screen/:area?', component: () => import('./views/screen/Screen.vue'), meta: { staff: true } },
  { path: '/:rest(.*)*', component: () => import('./views/NotFound.vue') },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

// Pages for signed-in people send others to sign in first, and back afterwards.
router.beforeEach(async (to) => {
  if (!loaded.value) await loadMe().catch(() => null)
  const needs = to.meta.signedIn || to.meta.staff
  if (needs && !me.value) return { path: '/login', query: { next: to.fullPath } }
  if (to.meta.staff && me.value?.kind === 'resident') return { path: '/' }
})

// A new page moves focus to its main heading, so screen-reader and keyboard users start there.
router.afterEach(() => {
  setTimeout(() => document.querySelector<HTMLElement>('main h1')?.focus(), 0)
})
