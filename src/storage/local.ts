import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
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
    await mkdir(dirname(path), { recursive: true })
    try {
      await rename(tmp, path)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }

  async read(key: string, range?: ByteRange) {
    const file = Bun.file(this.#path(key))
    if (!(await file.exists())) return null
    return (range ? file.slice(range.start, range.end + 1) : file).stream()
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(this.#path(key))
      return { key, size: s.size, lastModified: s.mtime }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  async delete(key: string) {
    await rm(this.#path(key), { force: true })
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const start = join(this.#root, prefix.split('/').slice(0, -1).join('/'))
    let entries: string[]
    try {
      entries = await readdir(start, { recursive: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    for (const entry of entries.sort()) {
      const key = relative(this.#root, join(start, entry)).split(sep).join('/')
      if (!key.startsWith(prefix) || key.startsWith(TMP_DIR)) continue
      const info = await this.stat(key).catch(() => null)
      if (info && (await stat(join(this.#root, key))).isFile()) yield info
    }
  }

  presignDownload() {
    return null
  }

  async ping() {
    await stat(this.#root)
  }
}
