import { type Database, openDatabase } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { objectKeyFor } from '../src/images/object-key'
import { ImageRepository } from '../src/images/repository'
import { openStorage } from '../src/storage/open'
import type { Storage } from '../src/storage/storage'
import type { Backend } from './backend'
import { SPECS } from './images'
import type { Scenario } from './scenarios'

/**
 * The floor: what the same bodies cost with no HTTP and no API in between — MD5, then either the
 * object PUT plus the row INSERT (new content) or the lookup by MD5 (a duplicate), in this process.
 */
export class Floor {
  private constructor(
    private readonly database: Database,
    private readonly storage: Storage,
    private readonly repo: ImageRepository,
  ) {}

  static async open(backend: Backend) {
    const database = await openDatabase(backend.floorDatabase)
    await migrate(database.db)
    const storage = await openStorage(backend.floorStorage)
    return new Floor(database, storage, new ImageRepository(database.db))
  }

  async store(scenario: Scenario, bytes: Uint8Array, duplicate: boolean, index: number) {
    const md5 = new Bun.CryptoHasher('md5').update(bytes).digest('hex')
    if (duplicate) {
      const found = await this.repo.findByMd5(md5)
      return { status: found ? 409 : 404, bytes: bytes.byteLength }
    }
    const key = objectKeyFor(md5, 'jpg')
    await this.storage.put(key, bytes, 'image/jpeg')
    const { width, height } = SPECS[scenario.size]
    const row = await this.repo.insertIfAbsent({
      id: Bun.randomUUIDv7(),
      md5Hash: md5,
      s3Key: key,
      originalFilename: `floor-${index}.jpg`,
      mimetype: 'image/jpeg',
      filesize: bytes.byteLength,
      width,
      height,
      title: `floor ${index}`,
      description: 'benchmark floor',
      tags: ['bench'],
      metadata: {},
    })
    return { status: row ? 201 : 409, bytes: bytes.byteLength }
  }

  close() {
    return this.database.close()
  }
}
