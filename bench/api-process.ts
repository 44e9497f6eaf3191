import type { Subprocess } from 'bun'
import { freePort } from './free-port'

export type ApiProcess = {
  url: string
  pid: number
  /** Spawn to first 200 from /health, in ms. */
  startupMs: number
  /** SIGTERM, then the exit code once the process is gone. */
  stop(): Promise<number | null>
}

const ROOT = new URL('..', import.meta.url).pathname
const STARTUP_TIMEOUT_MS = 30_000

/** Starts `bun src/index.ts` as its own process on a free loopback port and waits for /health. */
export async function startApi(
  env: Record<string, string>,
  /** Extra `bun` flags before the entry point, e.g. `--cpu-prof-md` (bench/profile.ts). */
  bunFlags: string[] = [],
): Promise<ApiProcess> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const started = performance.now()
  const child: Subprocess = Bun.spawn(['bun', ...bunFlags, 'src/index.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdout: 'inherit',
    stderr: 'inherit',
  })
  // Poll every 5 ms: start-up is measured to the first healthy answer, not to the listen call.
  let last = 'no answer'
  for (;;) {
    if (child.exitCode !== null) throw new Error(`API exited during start-up (${child.exitCode})`)
    if (performance.now() - started > STARTUP_TIMEOUT_MS) {
      child.kill()
      throw new Error(`API did not become healthy in time; last /health: ${last}`)
    }
    const res = await fetch(`${url}/health`).catch(() => null)
    if (res?.status === 200) break
    if (res) last = `${res.status} ${await res.text()}`
    await Bun.sleep(5)
  }
  const startupMs = performance.now() - started
  return {
    url,
    pid: child.pid,
    startupMs,
    stop: async () => {
      child.kill('SIGTERM')
      return await child.exited
    },
  }
}
