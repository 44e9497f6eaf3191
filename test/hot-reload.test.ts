import { afterAll, describe, expect, test } from 'bun:test'
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { childEnv } from './support/api-process'
import { WRITE_KEY } from './support/app'

const ROOT = join(import.meta.dir, '..')
const EDITED = join('src', 'http', 'method-not-allowed.ts')
// biome-ignore lint/suspicious/noTemplateCurlyInString: the source text being edited
const ORIGINAL = 'No route for ${c.req.method}'
const RELOADS = 10
const MB = 1024 * 1024

const rssOf = async (pid: number) => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) * 1024
}

async function freePort() {
  const s = Bun.serve({ port: 0, fetch: () => new Response() })
  const port = s.port
  await s.stop(true)
  return port
}

describe('bun --hot', () => {
  let dir: string
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test(`${RELOADS} edits: each change served, one server, pool, worker and handler set, flat RSS`, async () => {
    // A copy of the project to edit, so the suite's own sources are never touched.
    dir = await mkdtemp(join(tmpdir(), 'imgapi-hot-'))
    for (const entry of ['src', 'drizzle', 'package.json', 'tsconfig.json']) {
      await cp(join(ROOT, entry), join(dir, entry), { recursive: true })
    }
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
    const source = await readFile(join(dir, EDITED), 'utf8')
    expect(source).toContain(ORIGINAL)

    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const proc = Bun.spawn(['bun', '--hot', 'src/index.ts'], {
      cwd: dir,
      env: childEnv({
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: join(dir, 'data'),
        API_KEY: WRITE_KEY,
      }),
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const lines: { msg?: string }[] = []
    void (async () => {
      let buffered = ''
      for await (const chunk of proc.stdout.pipeThrough(new TextDecoderStream())) {
        buffered += chunk
        const parts = buffered.split('\n')
        buffered = parts.pop() ?? ''
        for (const line of parts) {
          try {
            lines.push(JSON.parse(line))
          } catch {
            lines.push({ msg: line })
          }
        }
      }
    })()
    const messageFor = async () => {
      const res = await fetch(`${url}/no-such-route`).catch(() => null)
      return res ? String(((await res.json()) as { message: string }).message) : ''
    }
    const waitFor = async (wanted: string, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if ((await messageFor()).includes(wanted)) return
        if (proc.exitCode !== null) throw new Error(`bun --hot exited with ${proc.exitCode}`)
        if (Date.now() > deadline) throw new Error(`"${wanted}" not served in time`)
        await Bun.sleep(100)
      }
    }
    try {
      await waitFor('No route for GET', 60_000)
      const first = await rssOf(proc.pid)
      const rss: number[] = []
      for (let i = 1; i <= RELOADS; i++) {
        await writeFile(
          join(dir, EDITED),
          source.replace(ORIGINAL, `No route (edit ${i}) for \${c.req.method}`),
        )
        await waitFor(`(edit ${i})`, 30_000)
        // A request through the reloaded app touches the shared pool too.
        expect((await fetch(`${url}/health`)).status).toBe(200)
        rss.push(await rssOf(proc.pid))
      }
      console.log(
        `bun --hot RSS MB: first ${(first / MB).toFixed(0)}, after each reload ${rss.map((r) => (r / MB).toFixed(0)).join(' ')}`,
      )
      expect(Math.max(...rss) - first).toBeLessThan(60 * MB)
      const count = (msg: string) => lines.filter((l) => l.msg === msg).length
      expect(count('listening')).toBe(1)
      expect(count('reloaded')).toBe(RELOADS)
    } finally {
      proc.kill('SIGTERM')
      expect(await proc.exited).toBe(0)
    }
    expect(lines.filter((l) => l.msg === 'shutting down')).toHaveLength(1)
    expect(lines.filter((l) => l.msg === 'stopped')).toHaveLength(1)
  }, 300_000)
})
