import { describeError } from '../db/errors'
import type { Logger } from '../logger'
import { isUnavailable } from './errors'

/**
 * postgres.js, on Bun's node:net, can let a refused reconnect (ECONNREFUSED) escape as an uncaught
 * error while the database is down, which would kill the whole API. Such connectivity errors are
 * logged and survived (the pool reconnects); anything else still stops the process, as by default.
 */
export function survivePoolErrors(logger: Logger) {
  const onError = (err: unknown) => {
    if (isUnavailable(err)) {
      logger.warn('dependency connection error outside a request', { err: describeError(err) })
      return
    }
    logger.error('uncaught error', {
      err: err instanceof Error ? (err.stack ?? err.message) : String(err),
    })
    process.exit(1)
  }
  process.on('uncaughtException', onError)
  process.on('unhandledRejection', onError)
}
