// 亲友代办 on the pages that act for someone: which elder a page is for (`?for=<account>`),
// only when the signed-in resident holds an active proxy for them.

import { api } from '../api'
import type { PersonRef, Proxy } from '../types'

/** The elder with this account id whom the signed-in resident `me` actively acts for, if any. */
export async function elderFor(account: string, me: string): Promise<PersonRef | null> {
  const proxies = await api<Proxy[]>('/api/proxies')
  const proxy = proxies.find((p) => p.status === 'active' && p.relative.account === me && p.elder.account === account)
  return proxy?.elder ?? null
}
