import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import type { DatabaseOptions } from '../src/db/client'
import type { StorageOptions } from '../src/storage/open'

export type BackendKind = 'embedded' | 'real'

export type Backend = {
  kind: BackendKind
  /** Environment for the API process. */
  apiEnv: Record<string, string>
  /** The API's own database; only reachable from outside the API for PostgreSQL. */
  apiDatabase: DatabaseOptions
  /** Where the floor writes: the API's database and bucket for `real`, twins of them otherwise. */
  floorDatabase: DatabaseOptions
  floorStorage: StorageOptions
  /** Port of the database server the API connects to; absent for the in-process PGlite. */
  dbPort?: number
  teardown(): Promise<void>
}

const POOL_MAX = 16

type S3Info = { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string }

async function startS3Child() {
  const child = Bun.spawn(['bun', new URL('./s3-server.ts', import.meta.url).pathname], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const reader = child.stdout.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { done, value } = await reader.read()
    if (done) throw new Error('s3rver exited before it was ready')
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  const info = JSON.parse(text.split('\n')[0] ?? '') as S3Info
  const stop = async () => {
    child.kill('SIGTERM')
    await child.exited
  }
  return { info, pid: child.pid, stop }
}

/** Embedded: PGlite + local directory inside the API; the floor gets its own PGlite and directory. */
async function embedded(): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), 'imgapi-bench-'))
  const apiDir = join(dir, 'api')
  return {
    kind: 'embedded',
    apiEnv: { DATA_DIR: apiDir },
    apiDatabase: { kind: 'pglite', dir: join(apiDir, 'pglite') },
    floorDatabase: { kind: 'pglite', dir: join(dir, 'floor', 'pglite') },
    floorStorage: { kind: 'local', dir: join(dir, 'floor', 'objects') },
    teardown: () => rm(dir, { recursive: true, force: true }),
  }
}

/** Real: a uniquely named database on BENCH_DATABASE_URL and an s3rver child, both removed after. */
async function real(): Promise<Backend> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const name = `imgapi_bench_${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 8)}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database "${name}"`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const dir = await mkdtemp(join(tmpdir(), 'imgapi-bench-'))
  const s3 = await startS3Child()
  const database: DatabaseOptions = { kind: 'postgres', url: url.toString(), poolMax: POOL_MAX }
  return {
    kind: 'real',
    apiEnv: {
      DATA_DIR: dir,
      DATABASE_URL: url.toString(),
      DB_POOL_MAX: String(POOL_MAX),
      S3_ENDPOINT: s3.info.endpoint,
      S3_BUCKET: s3.info.bucket,
      S3_ACCESS_KEY_ID: s3.info.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.info.secretAccessKey,
    },
    apiDatabase: database,
    floorDatabase: database,
    dbPort: Number(url.port || 5432),
    floorStorage: {
      kind: 's3',
      endpoint: s3.info.endpoint,
      bucket: s3.info.bucket,
      region: 'us-east-1',
      accessKeyId: s3.info.accessKeyId,
      secretAccessKey: s3.info.secretAccessKey,
    },
    teardown: async () => {
      await s3.stop()
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} })
      await sql.unsafe(`drop database if exists "${name}" with (force)`)
      await sql.end()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export const openBackend = (kind: BackendKind) => (kind === 'real' ? real() : embedded())
