import { startS3 } from '../test/support/s3'

// Runs s3rver in its own process so its CPU does not share the load generator's event loop.
const s3 = await startS3('bench')
const { stop, pause, resume, ...info } = s3
process.stdout.write(`${JSON.stringify(info)}\n`)
const shutdown = async () => {
  await stop()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown())
process.on('SIGINT', () => void shutdown())
