import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadSortedS3rver } from './s3rver-sorted'

export type TestS3 = {
  endpoint: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
  region: string
  stop(): Promise<void>
  /** Closes the listener but keeps the data, to simulate an outage; `start` brings it back. */
  pause(): Promise<void>
  resume(): Promise<void>
}

/** The API's environment for this endpoint and bucket. */
export const s3Env = (s3: TestS3) => ({
  S3_ENDPOINT: s3.endpoint,
  S3_BUCKET: s3.bucket,
  S3_ACCESS_KEY_ID: s3.accessKeyId,
  S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
})

/** A real S3 endpoint (s3rver) on a free loopback port, with one empty bucket. */
export async function startS3(bucket = 'images'): Promise<TestS3> {
  const S3rver = loadSortedS3rver()
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'))
  let port = 0
  const make = () =>
    new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket, configs: [] }],
    })
  let server = make()
  const { port: boundPort } = await server.run()
  port = boundPort
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    pause: async () => {
      await server.close()
    },
    resume: async () => {
      server = make()
      await server.run()
    },
    stop: async () => {
      await server.close().catch(() => {})
      await rm(directory, { recursive: true, force: true })
    },
  }
}
