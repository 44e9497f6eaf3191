import { describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Glob } from 'bun'
import { parseDockerfile, ROOT, readRootFile } from './support/deploy-files'

const instructions = parseDockerfile(await readRootFile('Dockerfile'))
const finalStage = Math.max(...instructions.map((i) => i.stage))
const final = (keyword: string) =>
  instructions.filter((i) => i.stage === finalStage && i.keyword === keyword)
const lastArgs = (keyword: string) => final(keyword).at(-1)?.args ?? ''

const ignorePatterns = (await readRootFile('.dockerignore'))
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
const ignored = (path: string) =>
  ignorePatterns.some((p) =>
    /[*?[]/.test(p) ? new Glob(p).match(path) : path === p || path.startsWith(`${p}/`),
  )

describe('Dockerfile', () => {
  test('builds on the official Bun image of the version CI uses, slim or distroless at the end', async () => {
    const ciVersion = (await readRootFile('.ci/run')).match(/BUN_VERSION=(\S+)/)?.[1]
    const arg = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('BUN_VERSION='))
    expect(arg?.args).toBe(`BUN_VERSION=${ciVersion}`)
    expect(finalStage).toBeGreaterThan(0)
    expect(final('FROM')[0]?.args).toMatch(/^oven\/bun:\$\{BUN_VERSION\}-(distroless|slim)\b/)
  })

  test('installs production dependencies only, from the lockfile', () => {
    const install = instructions.find((i) => i.keyword === 'RUN' && i.args.includes('bun install'))
    expect(install?.args).toContain('--frozen-lockfile')
    expect(install?.args).toContain('--production')
  })

  test('runs as a non-root user, exposes 8000, stops with SIGTERM', () => {
    const user = lastArgs('USER')
    expect(user).not.toBe('')
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/)
    expect(final('EXPOSE').map((i) => i.args)).toContain('8000')
    expect(lastArgs('STOPSIGNAL')).toBe('SIGTERM')
  })

  test('starts Bun itself as PID 1 (exec form, no shell, no inherited entrypoint)', () => {
    const cmd = JSON.parse(lastArgs('CMD'))
    expect(cmd).toHaveLength(2)
    expect(cmd[0]).toMatch(/(^|\/)bun$/)
    expect(cmd[1]).toBe('src/index.ts')
    // The Bun images' ENTRYPOINT would otherwise be prepended to CMD.
    expect(JSON.parse(lastArgs('ENTRYPOINT'))).toEqual([])
  })

  test('has a HEALTHCHECK that needs no shell or curl', () => {
    const healthcheck = lastArgs('HEALTHCHECK')
    const command = healthcheck.match(/CMD\s+(\[.*\])$/)?.[1]
    expect(command).toBeDefined()
    const argv = JSON.parse(command as string)
    expect(argv[0]).toMatch(/(^|\/)bun$/)
    expect(argv[1]).toBe('src/healthcheck.ts')
  })

  test('copies what the app needs at run time, none of it excluded from the build context', () => {
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      )
    expect([...new Set(sources)].sort()).toEqual([
      'bun.lock',
      'drizzle',
      'package.json',
      'patches',
      'src',
      'tsconfig.json',
    ])
    for (const source of sources) {
      expect(existsSync(join(ROOT, source))).toBe(true)
      expect(ignored(source)).toBe(false)
    }
  })

  test('the install stage has every dependency patch package.json names, before `bun install`', async () => {
    const pkg = await Bun.file(join(ROOT, 'package.json')).json()
    const patches = Object.values(pkg.patchedDependencies ?? {}) as string[]
    const install = instructions.findIndex(
      (i) => i.keyword === 'RUN' && i.args.includes('bun install'),
    )
    const copied = instructions
      .slice(0, install)
      .filter((i) => i.keyword === 'COPY' && i.stage === instructions[install]?.stage)
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
    expect(patches.length).toBeGreaterThan(0)
    for (const patch of patches) {
      expect(existsSync(join(ROOT, patch))).toBe(true)
      expect(copied.some((source) => patch === source || patch.startsWith(`${source}/`))).toBe(true)
    }
  })
})

describe('.dockerignore', () => {
  test('keeps secrets, local data and development files out of the image', () => {
    for (const path of ['.env', '.env.local', '.env.example', 'node_modules', 'data/x', '.git'])
      expect(ignored(path)).toBe(true)
    for (const path of ['test/upload.test.ts', 'bench/run.ts', 'README.md', '.ci/run'])
      expect(ignored(path)).toBe(true)
  })
})

describe('production dependencies', () => {
  test('src/ imports nothing that `bun install --production` leaves out', async () => {
    const pkg = await Bun.file(join(ROOT, 'package.json')).json()
    const production = new Set(Object.keys(pkg.dependencies ?? {}))
    const transpiler = new Bun.Transpiler({ loader: 'ts' })
    const missing: string[] = []
    for await (const file of new Glob('src/**/*.ts').scan(ROOT)) {
      const source = await Bun.file(join(ROOT, file)).text()
      for (const { path, kind } of transpiler.scanImports(source)) {
        if (kind === 'dynamic-import' && !path) continue
        if (
          path.startsWith('.') ||
          path.startsWith('node:') ||
          path === 'bun' ||
          path === 'bun:sqlite'
        )
          continue
        const name = path.startsWith('@')
          ? path.split('/').slice(0, 2).join('/')
          : path.split('/')[0]
        if (!production.has(name as string)) missing.push(`${file}: ${path}`)
      }
    }
    expect(missing).toEqual([])
  })
})

describe('src/healthcheck.ts (the container probe)', () => {
  const probe = async (port: number) => {
    const proc = Bun.spawn(['bun', join(ROOT, 'src', 'healthcheck.ts')], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port) },
      stdout: 'ignore',
      stderr: 'ignore',
    })
    return proc.exited
  }

  // A stand-in for the app's /health (tested in health.test.ts): the probe only judges the status.
  const serveHealth = (status: number) =>
    Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: (req) =>
        new URL(req.url).pathname === '/health'
          ? Response.json({ status: status === 200 ? 'healthy' : 'unhealthy' }, { status })
          : new Response('not found', { status: 404 }),
    })

  test.each([
    [0, 200],
    [1, 503],
  ])('exits %i when /health answers %i', async (exitCode, status) => {
    const server = serveHealth(status)
    try {
      expect(await probe(server.port as number)).toBe(exitCode)
    } finally {
      await server.stop(true)
    }
  })

  test('exits 1 when nothing listens', async () => {
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
    const port = closed.port as number
    await closed.stop(true)
    expect(await probe(port)).toBe(1)
  })
})
