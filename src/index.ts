import { createApp } from './app'
import { ConfigError, loadConfig } from './config'
import { buildDependencies } from './dependencies'
import { rootCause } from './http/errors'
import { createLogger } from './http/logger'
import { survivePoolErrors } from './http/process-guard'
import { startServer } from './server'

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig()
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`configuration error: ${err.message}`)
  process.exit(1)
}

const logger = createLogger(config.logLevel)
survivePoolErrors(logger)
let deps: Awaited<ReturnType<typeof buildDependencies>>
try {
  deps = await buildDependencies(config, logger)
} catch (err) {
  // One line with the real cause (not drizzle's "Failed query: <SQL>"), and a failing exit code
  // so that a supervisor restarts or reports it.
  logger.error('start-up failed', { error: rootCause(err) })
  process.exit(1)
}
const app = createApp(deps)

const server = startServer(app, {
  hostname: config.host,
  port: config.port,
  idleTimeoutSeconds: config.httpIdleTimeoutSeconds,
})
deps.analysis?.worker.start()
logger.info('listening', {
  url: `http://${config.host}:${server.port}`,
  database: deps.database.kind,
  storage: deps.storage.kind,
  analysis: deps.analysis ? config.gemini?.model : 'off',
})

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  logger.info('shutting down', { signal })
  // Stop accepting, let in-flight requests finish, then force-close whatever is left.
  const forced = setTimeout(() => server.stop(true), config.shutdownTimeoutMs)
  await Promise.all([server.stop(), deps.analysis?.worker.stop()])
  clearTimeout(forced)
  await deps.database.close()
  logger.info('stopped')
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
