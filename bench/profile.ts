/**
 * CPU profile of the API under upload load (`bun run bench:profile [--backend real]
 * [--scenario small@32] [--seconds 8]`): the API runs with `bun --cpu-prof-md`, the bench's
 * closed-loop load runs for the given time, and the API is stopped so Bun writes the profile.
 * Prints where the Markdown profile is and its top functions by self time.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startApi } from './api-process'
import { type BackendKind, openBackend } from './backend'
import { makeBaseImages, variant } from './images'
import { runLoad } from './load'
import { SCENARIOS } from './scenarios'
import { postUpload } from './upload-client'

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    backend: { type: 'string', default: 'embedded' },
    scenario: { type: 'string', default: 'small@32' },
    seconds: { type: 'string', default: '8' },
    env: { type: 'string', multiple: true, default: [] },
  },
})
const scenario = SCENARIOS.find((s) => s.name === values.scenario)
if (!scenario) throw new Error(`unknown scenario ${values.scenario}`)
const extraEnv = Object.fromEntries(values.env.map((kv) => kv.split('=', 2) as [string, string]))

const backend = await openBackend(values.backend as BackendKind)
const outDir = await mkdtemp(join(tmpdir(), 'imgapi-profile-'))
const apiKey = `profile-${crypto.randomUUID()}`
const api = await startApi({ ...backend.apiEnv, ...extraEnv, API_KEY: apiKey }, [
  '--cpu-prof-md',
  `--cpu-prof-dir=${outDir}`,
])
try {
  const base = makeBaseImages()[scenario.size]
  const load = await runLoad({
    concurrency: scenario.concurrency,
    requests: 1_000_000,
    timeCapMs: Number(values.seconds) * 1000,
    task: (i) => postUpload(api.url, apiKey, variant(base, 'profile', i), i),
  })
  const ok = load.samples.filter((s) => s.status === 201).length
  process.stderr.write(`${ok} uploads in ${(load.elapsedMs / 1000).toFixed(1)} s\n`)
} finally {
  await api.stop()
  await backend.teardown()
}
const file = (await readdir(outDir)).find((f) => f.endsWith('.md'))
if (!file) throw new Error(`no profile written to ${outDir}`)
const text = await readFile(join(outDir, file), 'utf8')
console.log(`profile: ${join(outDir, file)}\n`)
console.log(text.split('\n').slice(0, 80).join('\n'))
