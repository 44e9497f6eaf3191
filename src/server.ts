import type { App } from './app'

export type ServerOptions = { hostname: string; port: number; idleTimeoutSeconds?: number }

/** Bun.serve's options for the app, with the transport limits the API relies on. */
export function serveOptions(app: App, options: ServerOptions) {
  return {
    hostname: options.hostname,
    port: options.port,
    fetch: app.fetch,
    // Routes enforce their own limits while streaming and answer 413 JSON; Bun's own check would
    // answer a bare 413 before the app sees the request, so it is only a far-away backstop.
    maxRequestBodySize: 1024 * 1024 * 1024,
    // Seconds a connection may sit idle (a trickling or stalled client) before Bun closes it.
    idleTimeout: options.idleTimeoutSeconds ?? 30,
  }
}

/** Bun's HTTP server for the app. */
export function startServer(app: App, options: ServerOptions) {
  return Bun.serve(serveOptions(app, options))
}
