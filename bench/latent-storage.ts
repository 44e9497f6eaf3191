import type { Storage } from '../src/storage/storage'
import { replacingCalls } from '../test/support/storage-calls'

/**
 * `storage` as if it were `ms` away: every read, write and stat waits that long first, as a
 * remote store's first byte does, without costing this machine's cores anything (unlike s3rver).
 */
export function withLatency(storage: Storage, ms: number): Storage {
  const later = async <T>(call: () => Promise<T>) => {
    await Bun.sleep(ms)
    return call()
  }
  const { readInto } = storage
  return replacingCalls(storage, {
    put: (key, bytes, type) => later(() => storage.put(key, bytes, type)),
    read: (key, range) => later(() => storage.read(key, range)),
    ...(readInto && {
      readInto: (key: string, target: Uint8Array) =>
        later(() => readInto.call(storage, key, target)),
    }),
    stat: (key) => later(() => storage.stat(key)),
    delete: (key) => later(() => storage.delete(key)),
  })
}
