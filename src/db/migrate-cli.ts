import { loadConfig } from '../config'
import { openDatabase } from './client'
import { migrate } from './migrate'

const config = loadConfig()
const database = await openDatabase(config.database)
try {
  const applied = await migrate(database.db)
  console.log(JSON.stringify({ msg: 'migrations applied', applied, database: database.kind }))
} finally {
  await database.close()
}
