import { LocalStorage } from './local'
import { S3Storage, type S3StorageOptions } from './s3'
import type { Storage } from './storage'

/** Which driver and its settings; `Config['storage']` is this type. */
export type StorageOptions =
  | { kind: 'local'; dir: string }
  | ({
      kind: 's3'
      /** Create the bucket at start-up when it is missing (as the old service did). */
      createBucket?: boolean
    } & S3StorageOptions)

export async function openStorage(options: StorageOptions): Promise<Storage> {
  return options.kind === 's3' ? new S3Storage(options) : new LocalStorage(options.dir).init()
}
