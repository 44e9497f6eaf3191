import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { servedOpenApiDocument } from './openapi-document'

// `bun run lint:openapi`: Redocly's lint of the served document, with redocly.yaml's rules.
// The document goes to a temporary directory next to copies of redocly.yaml and the ignore file,
// whose entries name it `openapi.json` (Redocly keys them by path relative to the config).
const root = dirname(import.meta.dir)
const dir = await mkdtemp(join(tmpdir(), 'imgapi-openapi-lint-'))
let status = 1
try {
  await Bun.write(join(dir, 'openapi.json'), JSON.stringify(await servedOpenApiDocument(), null, 2))
  for (const file of ['redocly.yaml', '.redocly.lint-ignore.yaml']) {
    await copyFile(join(root, file), join(dir, file))
  }
  const cli = join(dirname(Bun.resolveSync('@redocly/cli/package.json', root)), 'bin', 'cli.js')
  const lint = Bun.spawn([process.execPath, cli, 'lint', 'openapi.json'], {
    cwd: dir,
    // No telemetry and no update check: CI lints offline.
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  status = await lint.exited
} finally {
  await rm(dir, { recursive: true, force: true })
}
process.exit(status)
