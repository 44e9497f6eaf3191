import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from './env'

type Check = () => Promise<void>

const HEALTH_TIMEOUT_MS = 2000

async function probe(check: Check) {
  const started = performance.now()
  let timer: Timer | undefined
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)),
          HEALTH_TIMEOUT_MS,
        )
      }),
    ])
    return { status: 'up', latency_ms: Math.round(performance.now() - started) }
  } catch (err) {
    return { status: 'down', error: err instanceof Error ? err.message : String(err) }
  } finally {
    clearTimeout(timer)
  }
}

/** `GET /health`: no auth; 200 when every dependency answers, 503 with the detail otherwise. */
export function healthRoutes(checks: { database: Check; storage: Check }) {
  const app = new OpenAPIHono<AppEnv>()
  app.get('/health', async (c) => {
    const [database, storage] = await Promise.all([probe(checks.database), probe(checks.storage)])
    const healthy = database.status === 'up' && storage.status === 'up'
    return c.json(
      {
        status: healthy ? 'healthy' : 'unhealthy',
        service: 'image-metadata-api',
        checks: { database, storage },
      },
      healthy ? 200 : 503,
    )
  })
  return app
}
