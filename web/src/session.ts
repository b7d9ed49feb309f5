// Who is signed in. `me` is loaded once at start and after every sign-in or sign-out; views read
// it to choose what to show (the server checks every request anyway).

import { ref } from 'vue'
import { api, ApiError } from './api'
import type { Me } from './types'

export const me = ref<Me | null>(null)
export const loaded = ref(false)

export async function loadMe(): Promise<Me | null> {
  try {
    me.value = await api<Me>('/api/me')
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e
    me.value = null
  } finally {
    loaded.value = true
  }
  return me.value
}

export async function login(login: string, password: string, totp?: string): Promise<Me | null> {
  await api('/api/auth/login', { body: { login, password, totp: totp || undefined } })
  return loadMe()
}

export async function logout(): Promise<void> {
  await api('/api/auth/logout', { method: 'POST' })
  me.value = null
}

/** Where a signed-in person starts: staff at their workbench or screen, residents at home. */
export function homeOf(who: Me | null): string {
  if (!who || who.kind === 'resident') return '/'
  if (who.role === 'leader') return '/screen'
  return '/work'
}
