import type { Dirent } from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { ObjectNotFound } from './errors'
import type { ByteRange, ObjectInfo, Storage } from './storage'

const TMP_DIR = '.tmp'

/** Objects as files under one directory; for the zero-config single-node setup. */
export class LocalStorage implements Storage {
  readonly kind = 'local'
  readonly #root: string

  constructor(root: string) {
    this.#root = resolve(root)
  }

  #path(key: string) {
    const path = resolve(this.#root, key)
    if (!path.startsWith(this.#root + sep) || key.startsWith(TMP_DIR)) {
      throw new Error(`invalid object key: ${key}`)
    }
    return path
  }

  async init() {
    await mkdir(join(this.#root, TMP_DIR), { recursive: true })
    return this
  }

  async put(key: string, bytes: Uint8Array) {
    const path = this.#path(key)
    // Write aside then rename: a crash never leaves a partial object under its real name.
    const tmp = join(this.#root, TMP_DIR, `${crypto.randomUUID()}`)
    await Bun.write(tmp, bytes)
    try {
      // The directory usually exists: made only when the rename finds it missing.
      await rename(tmp, path).catch(async (err) => {
        if (!isNotFound(err)) throw err
        await mkdir(dirname(path), { recursive: true })
        await rename(tmp, path)
      })
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }

  async read(key: string, range?: ByteRange) {
    const file = Bun.file(this.#path(key))
    if (!(await file.exists())) throw new ObjectNotFound(key)
    return (range ? file.slice(range.start, range.end + 1) : file).stream()
  }

  async readInto(key: string, target: Uint8Array) {
    let file: Awaited<ReturnType<typeof open>>
    try {
      file = await open(this.#path(key), 'r')
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFound(key)
      throw err
    }
    try {
      const { size } = await file.stat()
      if (size > target.byteLength) return null
      let filled = 0
      while (filled < size) {
        const { bytesRead } = await file.read(target, filled, size - filled, filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
      return filled
    } finally {
      await file.close()
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(this.#path(key))
      return { key, size: s.size, lastModified: s.mtime }
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  async delete(key: string) {
    await rm(this.#path(key), { force: true })
  }

  /**
   * Walks one directory at a time, so memory follows the widest directory, not the whole store.
   * Entries sort as their full keys would (a directory as `name/`), so keys come out in the same
   * lexicographic order S3 lists them in, which lets `reconcile` merge-join them with the table.
   */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const base = prefix.split('/').slice(0, -1).join('/')
    yield* this.#walk(base, prefix)
  }

  async *#walk(dir: string, prefix: string): AsyncIterable<ObjectInfo> {
    let entries: Dirent[]
    try {
      entries = await readdir(join(this.#root, dir), { withFileTypes: true })
    } catch (err) {
      if (isNotFound(err)) return
      throw err
    }
    const named = entries
      .map((e) => ({ entry: e, key: dir ? `${dir}/${e.name}` : e.name }))
      .map((n) => ({ ...n, sortKey: n.entry.isDirectory() ? `${n.key}/` : n.key }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
    for (const { entry, key, sortKey } of named) {
      if (key === TMP_DIR) continue
      if (entry.isDirectory()) {
        // Only descend where keys under this directory can still match the prefix.
        if (sortKey.startsWith(prefix) || prefix.startsWith(sortKey)) yield* this.#walk(key, prefix)
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await this.stat(key).catch(() => null)
        if (info) yield info
      }
    }
  }

  presignDownload() {
    return null
  }

  async ping() {
    await stat(this.#root)
  }
}

const isNotFound = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT'
