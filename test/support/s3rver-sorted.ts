import { readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { posix } from 'node:path'
import type S3rver from 's3rver'

// s3rver lists keys in readdir order; S3 (and MinIO) list them in byte order, which `reconcile`
// relies on to merge-join storage with the table. Its directory walk is swapped for a sorted one,
// before s3rver's store module captures it, so the test S3 keeps the real service's contract.
const require = createRequire(import.meta.url)
const utils = require('s3rver/lib/utils') as {
  walk: (dir: string, filter?: (dir: string) => boolean) => Generator<string>
}

function* sortedWalk(dir: string, filter?: (dir: string) => boolean): Generator<string> {
  const entries = readdirSync(dir).map((name) => {
    const path = posix.join(dir, name)
    const isDir = statSync(path).isDirectory()
    return { path, isDir, sortKey: isDir ? `${name}/` : name }
  })
  entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
  for (const e of entries) {
    if (!e.isDir) yield e.path
    else if (!filter || filter(e.path)) yield* sortedWalk(e.path, filter)
  }
}

/** s3rver, loaded only once its walk is the sorted one (a static import could load it first). */
export function loadSortedS3rver(): typeof S3rver {
  utils.walk = sortedWalk
  return require('s3rver')
}
