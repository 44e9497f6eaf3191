// CI guard: every dependency in package.json's patchedDependencies is installed at the patched
// version and carries every line its patch adds. A patch that silently failed to apply fails here.
import { join } from 'node:path'

const root = join(import.meta.dir, '..')
const manifest = await Bun.file(join(root, 'package.json')).json()
const patched: Record<string, string> = manifest.patchedDependencies ?? {}
const problems: string[] = []

for (const [spec, patchPath] of Object.entries(patched)) {
  const at = spec.lastIndexOf('@')
  const name = spec.slice(0, at)
  const version = spec.slice(at + 1)
  const installed = await Bun.file(join(root, 'node_modules', name, 'package.json')).json()
  if (installed.version !== version) {
    problems.push(`${name}: installed ${installed.version}, the patch is for ${version}`)
    continue
  }
  let file = ''
  let checked = 0
  for (const line of (await Bun.file(join(root, patchPath)).text()).split('\n')) {
    if (line.startsWith('+++ b/')) file = line.slice('+++ b/'.length)
    else if (line.startsWith('+') && !line.startsWith('+++') && line.slice(1).trim() !== '') {
      const text = await Bun.file(join(root, 'node_modules', name, file)).text()
      if (!text.includes(line.slice(1)))
        problems.push(`${name}/${file}: missing "${line.slice(1).trim()}"`)
      checked++
    }
  }
  console.log(`${spec}: ${checked} patched lines present`)
}

if (problems.length > 0) {
  console.error(`patches not applied:\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
