import type { Server } from 'bun'
import type { AppDeps } from './app'
import { type Config, ConfigError, loadConfig } from './config'
import { startEmbeddedDatabase } from './db/pglite-early'
import { rootCause } from './error-chain'
import { createLogger, type Logger } from './logger'

// The app's modules are loaded after the configuration, once the embedded database's start-up
// work is under way on other threads: the two overlap instead of adding up.
const loadApp = async () => ({
  ...(await import('./app')),
  ...(await import('./dependencies')),
  ...(await import('./http/process-guard')),
  ...(await import('./metrics/server')),
  ...(await import('./server')),
})

/**
 * What a process holds once: under `bun --hot` this module runs again on every edit, while
 * globalThis survives. The pool, the worker, the servers and the signal handlers are made by the
 * first run only; later runs rebuild the app from the new code and swap it into the same server.
 */
type Running = {
  config: Config
  logger: Logger
  deps: AppDeps
  server: Server<undefined>
  reloads: number
}

const RUNNING = Symbol.for('image-metadata-api.running')
const holder = globalThis as { [RUNNING]?: Promise<Running> }

const listenOptions = (config: Config) => ({
  hostname: config.host,
  port: config.port,
  idleTimeoutSeconds: config.httpIdleTimeoutSeconds,
})

async function start(): Promise<Running> {
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    console.error(`configuration error: ${err.message}`)
    process.exit(1)
  }

  const logger = createLogger(config.logLevel)
  const embedded =
    config.database.kind === 'pglite' ? startEmbeddedDatabase(config.database) : undefined
  const { buildDependencies, createApp, startMetricsServer, startServer, survivePoolErrors } =
    await loadApp()
  survivePoolErrors(logger)
  let deps: AppDeps
  try {
    deps = await buildDependencies(config, logger, embedded)
  } catch (err) {
    // One line with the real cause (not drizzle's "Failed query: <SQL>"), and a failing exit code
    // so that a supervisor restarts or reports it.
    logger.error('start-up failed', { error: rootCause(err) })
    process.exit(1)
  }

  const server = startServer(createApp(deps), listenOptions(config))
  const metricsServer =
    config.metrics.port !== undefined && deps.metrics
      ? startMetricsServer(deps.metrics, {
          hostname: config.metrics.host,
          port: config.metrics.port,
        })
      : undefined
  deps.analysis?.start()
  logger.info('listening', {
    url: `http://${config.host}:${server.port}`,
    database: deps.database.kind,
    storage: deps.storage.kind,
    analysis: deps.analysis ? config.gemini?.model : 'off',
    metrics: metricsServer
      ? `http://${config.metrics.host}:${metricsServer.port}/metrics`
      : config.metrics.token
        ? 'bearer token on /metrics'
        : 'off',
  })

  let stopping = false
  async function shutdown(signal: string) {
    if (stopping) return
    stopping = true
    logger.info('shutting down', { signal })
    // Stop accepting, let in-flight requests finish, then force-close whatever is left.
    const forced = setTimeout(() => server.stop(true), config.shutdownTimeoutMs)
    await Promise.all([server.stop(), metricsServer?.stop(), deps.analysis?.stop()])
    clearTimeout(forced)
    await deps.database.close()
    logger.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  return { config, logger, deps, server, reloads: 0 }
}

const previous = holder[RUNNING]
if (previous) {
  // A hot reload: same server, pool, worker and handlers; only the app is built from new code.
  const running = await previous
  const { createApp, serveOptions } = await loadApp()
  running.server.reload(serveOptions(createApp(running.deps), listenOptions(running.config)))
  running.reloads++
  running.logger.info('reloaded', { reloads: running.reloads })
} else {
  holder[RUNNING] = start()
  await holder[RUNNING]
}
