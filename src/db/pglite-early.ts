import { readFileSync } from 'node:fs'
import type { DataDirSource, TemplateChoice } from './pglite-data-dir'

const ROOT = new URL('../..', import.meta.url).pathname

/** What opening the embedded database waits for, started ahead of it. */
export type EmbeddedHeadStart = {
  /** PGlite's WebAssembly, compiled (PGlite.create's pgliteWasmModule). */
  wasm: Promise<WebAssembly.Module>
  /** The database directory, made ready by prepareDataDir. */
  dataDir: Promise<DataDirSource>
}

/** Marks a promise handled: it is awaited later, and a start that fails first must not report it. */
const awaitedLater = <T>(promise: Promise<T>) => {
  promise.catch(() => {})
  return promise
}

/**
 * The database directory made ready (prepareDataDir); `memory://` needs nothing. Loaded when
 * called: prepareDataDir names templates by the migrations, which takes drizzle's migrator.
 */
export const readyDataDir = async (options: { dir: string; template?: TemplateChoice }) => {
  if (options.dir.includes('://')) return 'existing' as const
  const { prepareDataDir } = await import('./pglite-data-dir')
  return prepareDataDir(options.dir, options.template)
}

/**
 * Starts compiling PGlite's WebAssembly (9 MB, about 150 ms, on JavaScriptCore's compiler threads)
 * and copying a new database directory (file I/O on Bun's thread pool), so that both overlap the
 * loading of the app's modules instead of following it. The WebAssembly is read synchronously
 * (a few ms): queued on the thread pool behind a new directory's thousand file copies, the
 * compile would start only once they are done.
 */
export function startEmbeddedDatabase(options: {
  dir: string
  template?: TemplateChoice
}): EmbeddedHeadStart {
  const wasmPath = Bun.resolveSync('@electric-sql/pglite/pglite.wasm', ROOT)
  return {
    wasm: awaitedLater(WebAssembly.compile(readFileSync(wasmPath))),
    dataDir: awaitedLater(readyDataDir(options)),
  }
}
