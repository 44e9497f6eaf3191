import type { Metrics } from './metrics'
import { exposition } from './route'

/**
 * `/metrics` alone on its own port, without a token: bound to loopback by default so only this
 * host (a local Prometheus or agent, a sidecar) can scrape it.
 */
export function startMetricsServer(metrics: Metrics, options: { hostname: string; port: number }) {
  return Bun.serve({
    hostname: options.hostname,
    port: options.port,
    fetch: (req) =>
      new URL(req.url).pathname === '/metrics'
        ? exposition(metrics)
        : Response.json(
            { error: 'Not found', message: 'Only /metrics is served here' },
            { status: 404 },
          ),
  })
}
