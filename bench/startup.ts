/**
 * Zero-config start-up: `bun src/index.ts` with only DATA_DIR set (PGlite + local objects).
 * For each run: first start on an empty DATA_DIR, idle RSS, then a restart on the same DATA_DIR.
 *
 *   bun run bench:startup [--runs 5] [--idle-ms 2000] [--cold]
 *
 * --cold deletes the database template before each run, so every first start runs initdb (the
 * first start after an install or a PGlite upgrade). Prints one JSON line per run and the medians.
 */
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { templateDir } from '../src/db/pglite-data-dir'
import { freePort } from './free-port'

const ROOT = new URL('..', import.meta.url).pathname
const TIMEOUT_MS = 30_000

function flag(name: string, fallback: number): number {
  const i = Bun.argv.indexOf(`--${name}`)
  const value = i >= 0 ? Number(Bun.argv[i + 1]) : fallback
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} takes a number`)
  return value
}

const runs = flag('runs', 5)
const idleMs = flag('idle-ms', 2000)
const cold = Bun.argv.includes('--cold')

function rssBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
  return match ? Number(match[1]) * 1024 : 0
}

/** CPU time (user + system) the process has used so far, in ms: steadier than wall time on a busy machine. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

type Started = { pid: number; ms: number; cpuMs: number; stop(): Promise<number | null> }

/** Spawn to the first 200 from /health (polled every 5 ms), with a clean environment. */
async function start(dataDir: string): Promise<Started> {
  const port = await freePort()
  const began = performance.now()
  const child = Bun.spawn(['bun', 'src/index.ts'], {
    cwd: ROOT,
    // Only what the zero-config mode needs: no DATABASE_URL, no S3, no keys from the caller.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  for (;;) {
    if (child.exitCode !== null) throw new Error(`API exited during start-up (${child.exitCode})`)
    if (performance.now() - began > TIMEOUT_MS) {
      child.kill()
      throw new Error('API did not become healthy in time')
    }
    const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null)
    if (res?.status === 200) break
    await Bun.sleep(5)
  }
  const ms = performance.now() - began
  return {
    pid: child.pid,
    ms,
    cpuMs: cpuMs(child.pid),
    stop: async () => {
      child.kill('SIGTERM')
      return await child.exited
    },
  }
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024)
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

type Run = {
  first_start_ms: number
  first_start_cpu_ms: number
  idle_rss_mb: number
  start_peak_rss_mb: number
  restart_ms: number
  restart_cpu_ms: number
  restart_idle_rss_mb: number
}
const results: Run[] = []
for (let i = 0; i < runs; i++) {
  const dataDir = await mkdtemp(join(tmpdir(), 'startup-bench-'))
  if (cold) await rm(await templateDir({ kind: 'migrated' }), { recursive: true, force: true })
  try {
    const first = await start(dataDir)
    await Bun.sleep(idleMs)
    const idle = rssBytes(first.pid, 'VmRSS')
    const peak = rssBytes(first.pid, 'VmHWM')
    const firstExit = await first.stop()
    if (firstExit !== 0) throw new Error(`first start exited ${firstExit}`)
    const again = await start(dataDir)
    await Bun.sleep(idleMs)
    const againIdle = rssBytes(again.pid, 'VmRSS')
    const againExit = await again.stop()
    if (againExit !== 0) throw new Error(`restart exited ${againExit}`)
    const run: Run = {
      first_start_ms: Math.round(first.ms),
      first_start_cpu_ms: Math.round(first.cpuMs),
      idle_rss_mb: mb(idle),
      start_peak_rss_mb: mb(peak),
      restart_ms: Math.round(again.ms),
      restart_cpu_ms: Math.round(again.cpuMs),
      restart_idle_rss_mb: mb(againIdle),
    }
    results.push(run)
    console.log(JSON.stringify({ kind: 'run', ...run }))
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

const summary = Object.fromEntries(
  (Object.keys(results[0] ?? {}) as (keyof Run)[]).map((key) => [
    key,
    median(results.map((r) => r[key])),
  ]),
)
console.log(JSON.stringify({ kind: 'summary', runs, idle_ms: idleMs, cold, median: summary }))
