import { describe, expect, test } from 'bun:test'
import { dirname, join, relative } from 'node:path'

const SRC = join(import.meta.dir, '..', 'src')

/** Folder → folders it imports from (types included); top-level files of src/ are left out. */
async function folderImports() {
  const edges = new Map<string, Set<string>>()
  for await (const file of new Bun.Glob('**/*.ts').scan(SRC)) {
    const from = dirname(file)
    if (from === '.') continue
    const source = await Bun.file(join(SRC, file)).text()
    for (const [, spec = ''] of source.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const to = dirname(relative(SRC, join(SRC, from, spec)))
      if (to === from || to === '.') continue
      edges.set(from, (edges.get(from) ?? new Set()).add(to))
    }
  }
  return edges
}

/** Every cycle as the path that closes it, e.g. `images → analysis → images`. */
function cycles(edges: Map<string, Set<string>>) {
  const found: string[] = []
  // Each cycle is reported once, from its alphabetically first folder.
  const walk = (start: string, path: string[]) => {
    for (const next of edges.get(path.at(-1) ?? '') ?? []) {
      if (next === start) found.push([...path, next].join(' → '))
      else if (!path.includes(next) && next > start) walk(start, [...path, next])
    }
  }
  for (const start of edges.keys()) walk(start, [start])
  return found
}

describe('source layout', () => {
  test('no two folders of src/ import each other, directly or round a loop', async () => {
    expect(cycles(await folderImports())).toEqual([])
  })

  test('the cycle finder finds a planted cycle', () => {
    const planted = new Map([
      ['images', new Set(['analysis', 'db'])],
      ['analysis', new Set(['images'])],
    ])
    expect(cycles(planted)).toEqual(['analysis → images → analysis'])
  })
})
