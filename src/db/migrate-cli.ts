import { loadConfig } from '../config'
import { rootCause } from '../error-chain'
import { createLogger } from '../logger'
import { openDatabase } from './client'
import { migrate } from './migrate'

const config = loadConfig()
const logger = createLogger(config.logLevel)
const database = await openDatabase(config.database)
try {
  const applied = await migrate(database.db, logger)
  logger.info('migrations applied', { applied, database: database.kind })
} catch (err) {
  logger.error('migration failed', { error: rootCause(err) })
  process.exitCode = 1
} finally {
  await database.close()
}
