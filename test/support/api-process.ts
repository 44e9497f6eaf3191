import { join } from 'node:path'
import type { Subprocess } from 'bun'

const ENTRY = join(import.meta.dir, '..', '..', 'src', 'index.ts')
const RECONCILE = join(import.meta.dir, '..', '..', 'src', 'reconcile', 'cli.ts')

export type ApiProcess = { proc: Subprocess; url: string; lines: string[] }

/** Env for a child process: nothing of ours leaks in but PATH and HOME. */
export const childEnv = (extra: Record<string, string>) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  ...extra,
})

/**
 * `bun src/index.ts` on a free port; resolves with the URL from its `listening` log line. Stdout
 * is drained for the life of the process so request logs never fill the pipe and stall it.
 */
export async function spawnApi(env: Record<string, string>, timeoutMs = 30_000) {
  const proc = Bun.spawn(['bun', ENTRY], {
    env: childEnv({ HOST: '127.0.0.1', PORT: '0', ...env }),
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const lines: string[] = []
  let resolveUrl: (url: string) => void = () => {}
  const listening = new Promise<string>((resolve) => {
    resolveUrl = resolve
  })
  void (async () => {
    let buffered = ''
    for await (const chunk of proc.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk
      const parts = buffered.split('\n')
      buffered = parts.pop() ?? ''
      for (const line of parts) {
        lines.push(line)
        if (line.includes('"msg":"listening"')) resolveUrl(JSON.parse(line).url)
      }
    }
  })()
  const url = await Promise.race([
    listening,
    proc.exited.then((code) => Promise.reject(new Error(`API exited with ${code}`))),
    Bun.sleep(timeoutMs).then(() => Promise.reject(new Error('API did not start'))),
  ]).catch((err) => {
    // Never leave a half-started API behind (it would outlive the test and its directory).
    proc.kill('SIGKILL')
    throw err
  })
  return { proc, url, lines } satisfies ApiProcess
}

/** `bun run reconcile --json` against the same environment; the parsed report and exit code. */
export async function runReconcile(env: Record<string, string>, ...args: string[]) {
  const proc = Bun.spawn(['bun', RECONCILE, '--json', '--progress=0', ...args], {
    env: childEnv(env),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  if (code === 2) throw new Error(`reconcile failed: ${stderr}`)
  return { code, report: JSON.parse(stdout) }
}
