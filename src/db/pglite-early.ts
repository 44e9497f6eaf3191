import { type DataDirSource, prepareDataDir, type TemplateChoice } from './pglite-data-dir'

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

/** The database directory made ready (prepareDataDir); `memory://` needs nothing. */
export const readyDataDir = (options: { dir: string; template?: TemplateChoice }) =>
  options.dir.includes('://')
    ? Promise.resolve<DataDirSource>('existing')
    : prepareDataDir(options.dir, options.template)

/**
 * Starts compiling PGlite's WebAssembly (9 MB, about 150 ms, on JavaScriptCore's compiler threads)
 * and copying a new database directory (file I/O on Bun's thread pool), so that both overlap the
 * loading of the app's modules instead of following it.
 */
export function startEmbeddedDatabase(options: {
  dir: string
  template?: TemplateChoice
}): EmbeddedHeadStart {
  const wasmPath = Bun.resolveSync('@electric-sql/pglite/pglite.wasm', ROOT)
  return {
    wasm: awaitedLater(
      Bun.file(wasmPath)
        .arrayBuffer()
        .then((bytes) => WebAssembly.compile(bytes)),
    ),
    dataDir: awaitedLater(readyDataDir(options)),
  }
}
