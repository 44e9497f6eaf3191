import { READ_KEY, WRITE_KEY } from './app'

/** A request to the API with the write key (or `key`), JSON body when given. */
export function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers }
  if (options.key !== null) headers['X-API-Key'] = options.key ?? WRITE_KEY
  let body: string | undefined
  if (options.body !== undefined) {
    headers['Content-Type'] ??= 'application/json'
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  }
  return fetch(`${base}${path}`, { method, headers, body })
}

export { READ_KEY, WRITE_KEY }
