// The one way the front end talks to yiwang's JSON API (docs/api.md): same-origin fetch with the
// session cookie, JSON in and out, and the server's error body {code, message} — already in the
// user's language — turned into an ApiError.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export interface Options {
  method?: string
  body?: unknown
  signal?: AbortSignal
}

export async function api<T>(path: string, options: Options = {}): Promise<T> {
  const init: RequestInit = { method: options.method ?? (options.body === undefined ? 'GET' : 'POST'), credentials: 'same-origin', signal: options.signal }
  if (options.body instanceof Blob) {
    init.body = options.body
    init.headers = { 'content-type': options.body.type || 'application/octet-stream' }
  } else if (options.body !== undefined) {
    init.body = JSON.stringify(options.body)
    init.headers = { 'content-type': 'application/json' }
  }
  const response = await fetch(path, init)
  if (!response.ok) throw await errorOf(response)
  if (response.status === 204) return undefined as T
  return (await response.json()) as T
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { code?: string; message?: string }
    return new ApiError(response.status, body.code ?? 'error', body.message ?? response.statusText)
  } catch {
    return new ApiError(response.status, 'error', response.statusText)
  }
}

/** A query string from the defined values of `params`. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  const s = q.toString()
  return s ? `?${s}` : ''
}
