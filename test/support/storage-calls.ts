import type { Storage } from '../../src/storage/storage'

/** `storage` with some calls replaced (to count, delay or interleave them); the rest go to it. */
export function replacingCalls(storage: Storage, replaced: Partial<Storage>): Storage {
  const { readInto } = storage
  return {
    kind: storage.kind,
    put: (key, bytes, type) => storage.put(key, bytes, type),
    read: (key, range) => storage.read(key, range),
    ...(readInto && {
      readInto: (key: string, target: Uint8Array) => readInto.call(storage, key, target),
    }),
    stat: (key) => storage.stat(key),
    delete: (key) => storage.delete(key),
    list: (prefix) => storage.list(prefix),
    presignDownload: (key, options) => storage.presignDownload(key, options),
    ping: () => storage.ping(),
    ...replaced,
  }
}
