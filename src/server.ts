import type { App } from './app'
import type { Config } from './config'

/** Bun's HTTP server for the app, with the transport limits the API relies on. */
export function startServer(
  app: App,
  options: { hostname: string; port: number; limits: Config['limits'] },
) {
  return Bun.serve({
    hostname: options.hostname,
    port: options.port,
    fetch: app.fetch,
    // The upload route answers 413 JSON itself while streaming; this is only Bun's backstop.
    maxRequestBodySize:
      options.limits.maxUploadBytes + options.limits.maxMetadataBytes + 1024 * 1024,
    // Seconds a connection may sit idle (a trickling or stalled client) before Bun closes it.
    idleTimeout: 30,
  })
}
