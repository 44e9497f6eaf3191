import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ObjectNotFound, StorageUnavailable } from '../src/storage/errors'
import { openStorage } from '../src/storage/open'
import type { Storage } from '../src/storage/storage'
import { startS3 } from './support/s3'

type OpenedDriver = {
  storage: Storage
  stop(): Promise<void>
  /** Makes the store unreachable; the returned function brings it back. Absent: no such state. */
  outage?: () => Promise<() => Promise<void>>
}

// The one list of drivers every contract below runs against: a new driver is one entry here.
const drivers: { name: string; open(): Promise<OpenedDriver> }[] = [
  {
    name: 'local',
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'storage-contract-'))
      return {
        storage: await openStorage({ kind: 'local', dir }),
        stop: () => rm(dir, { recursive: true, force: true }),
      }
    },
  },
  {
    name: 's3',
    open: async () => {
      const s3 = await startS3()
      const storage = await openStorage({ kind: 's3', ...s3 })
      return {
        storage,
        stop: () => s3.stop(),
        outage: async () => {
          await s3.pause()
          return () => s3.resume()
        },
      }
    },
  },
]

const bytesOf = async (stream: ReadableStream<Uint8Array>) => new Response(stream).bytes()
const text = (s: string) => new TextEncoder().encode(s)

describe.each(drivers)('storage contract: $name', (driver) => {
  let opened: OpenedDriver
  let storage: Storage
  beforeAll(async () => {
    opened = await driver.open()
    storage = opened.storage
  })
  afterAll(() => opened.stop())

  test('put then read gives the bytes back; put again replaces them whole', async () => {
    await storage.put('images/whole.png', text('first version'), 'image/png')
    expect(await bytesOf(await storage.read('images/whole.png'))).toEqual(text('first version'))
    await storage.put('images/whole.png', text('second'), 'image/png')
    expect(await bytesOf(await storage.read('images/whole.png'))).toEqual(text('second'))
  })

  test('ranged read: inclusive bounds, first bytes, last byte, whole object', async () => {
    await storage.put('images/range.png', text('0123456789'), 'image/png')
    const range = async (start: number, end: number) =>
      new TextDecoder().decode(
        await bytesOf(await storage.read('images/range.png', { start, end })),
      )
    expect(await range(2, 5)).toBe('2345')
    // Not 0-0: s3rver reads an end of 0 as "no end" and sends everything (real S3 does not).
    expect(await range(0, 1)).toBe('01')
    expect(await range(9, 9)).toBe('9')
    expect(await range(0, 9)).toBe('0123456789')
  })

  test('stat: size and a recent modification time; null when absent', async () => {
    const before = Date.now()
    await storage.put('images/stat.png', text('12345'), 'image/png')
    const info = await storage.stat('images/stat.png')
    expect(info?.key).toBe('images/stat.png')
    expect(info?.size).toBe(5)
    // Second resolution on some stores (HTTP dates).
    expect(info?.lastModified.getTime()).toBeGreaterThanOrEqual(before - 2000)
    expect(await storage.stat('images/never-written.png')).toBeNull()
  })

  test('reading a missing object throws ObjectNotFound naming the key', async () => {
    const missing = storage.read('images/never-written.png')
    await expect(missing).rejects.toBeInstanceOf(ObjectNotFound)
    await expect(missing).rejects.toMatchObject({ key: 'images/never-written.png' })
    await expect(
      storage.read('images/never-written.png', { start: 0, end: 1 }),
    ).rejects.toBeInstanceOf(ObjectNotFound)
  })

  test('readInto: the whole object into the buffer, null when it does not fit', async () => {
    if (!storage.readInto) throw new Error('both drivers fill a buffer')
    const bytes = text('exactly twenty bytes')
    await storage.put('images/into.png', bytes, 'image/png')
    // Exactly the object's size fits; one byte less does not.
    const exact = new Uint8Array(bytes.byteLength).fill(7)
    expect(await storage.readInto('images/into.png', exact)).toBe(bytes.byteLength)
    expect(exact).toEqual(bytes)
    const short = new Uint8Array(bytes.byteLength - 1)
    expect(await storage.readInto('images/into.png', short)).toBeNull()
    // A bigger buffer keeps what lies past the object: the caller takes the returned length.
    const roomy = new Uint8Array(bytes.byteLength + 4).fill(9)
    expect(await storage.readInto('images/into.png', roomy)).toBe(bytes.byteLength)
    expect(roomy.subarray(0, bytes.byteLength)).toEqual(bytes)
    expect([...roomy.subarray(bytes.byteLength)]).toEqual([9, 9, 9, 9])
    const missing = storage.readInto('images/never-written.png', roomy)
    await expect(missing).rejects.toBeInstanceOf(ObjectNotFound)
    await expect(missing).rejects.toMatchObject({ key: 'images/never-written.png' })
  })

  test('readInto an object of many chunks: exactly its size fits, one byte less does not', async () => {
    if (!storage.readInto) throw new Error('both drivers fill a buffer')
    const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251)
    await storage.put('images/many-chunks.png', bytes, 'image/png')
    const exact = new Uint8Array(bytes.byteLength)
    expect(await storage.readInto('images/many-chunks.png', exact)).toBe(bytes.byteLength)
    expect(exact).toEqual(bytes)
    const short = new Uint8Array(bytes.byteLength - 1)
    expect(await storage.readInto('images/many-chunks.png', short)).toBeNull()
    // Still readable whole afterwards: the cut-off read left nothing behind.
    expect(await new Response(await storage.read('images/many-chunks.png')).bytes()).toEqual(bytes)
  })

  test('list: every key under the prefix, in byte order across "directories", with sizes', async () => {
    const keys = ['list/b.png', 'list/a/b.png', 'list/ab.png', 'list/a.png', 'list/a-b.png']
    for (const [i, key] of keys.entries())
      await storage.put(key, text('x'.repeat(i + 1)), 'image/png')
    await storage.put('listless/x.png', text('x'), 'image/png')
    const listed = []
    for await (const o of storage.list('list/')) listed.push({ key: o.key, size: o.size })
    // '-' < '.' < '/' < 'b': the order S3 lists in, which reconcile's merge-join relies on.
    expect(listed).toEqual([
      { key: 'list/a-b.png', size: 5 },
      { key: 'list/a.png', size: 4 },
      { key: 'list/a/b.png', size: 2 },
      { key: 'list/ab.png', size: 3 },
      { key: 'list/b.png', size: 1 },
    ])
    const partial = []
    for await (const o of storage.list('list/a/')) partial.push(o.key)
    expect(partial).toEqual(['list/a/b.png'])
    const none = []
    for await (const o of storage.list('nothing-here/')) none.push(o.key)
    expect(none).toEqual([])
  })

  test('delete removes the object; deleting a missing one is no error', async () => {
    await storage.put('images/delete.png', text('bye'), 'image/png')
    await storage.delete('images/delete.png')
    expect(await storage.stat('images/delete.png')).toBeNull()
    await expect(storage.read('images/delete.png')).rejects.toBeInstanceOf(ObjectNotFound)
    await storage.delete('images/delete.png')
  })

  test('presign: a URL serving the bytes with the given type and disposition, or null', async () => {
    await storage.put('images/presign.png', text('signed bytes'), 'image/png')
    const url = storage.presignDownload('images/presign.png', {
      expiresIn: 60,
      contentType: 'image/png',
      contentDisposition: 'attachment; filename="a.png"',
    })
    if (url === null) {
      // A store without URLs of its own: the API serves and signs the content route instead.
      expect(storage.kind).toBe('local')
      return
    }
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="a.png"')
    expect(await res.bytes()).toEqual(text('signed bytes'))
  })

  test('ping answers while the store is reachable', async () => {
    await storage.ping()
  })

  test.if(driver.name === 's3')(
    'unreachable: every operation throws StorageUnavailable; all works again after',
    async () => {
      const restore = await opened.outage?.()
      if (!restore) throw new Error('this driver declares no outage')
      try {
        const calls: [string, () => Promise<unknown>][] = [
          ['put', () => storage.put('images/down.png', text('x'), 'image/png')],
          ['read', () => storage.read('images/whole.png')],
          ['stat', () => storage.stat('images/whole.png')],
          ['delete', () => storage.delete('images/whole.png')],
          [
            'list',
            async () => {
              for await (const _ of storage.list('images/')) break
            },
          ],
          ['ping', () => storage.ping()],
        ]
        for (const [name, call] of calls) {
          const error = await call().then(
            () => undefined,
            (err: unknown) => err,
          )
          expect({ name, unavailable: error instanceof StorageUnavailable }).toEqual({
            name,
            unavailable: true,
          })
        }
      } finally {
        await restore()
      }
      await storage.ping()
      expect(await bytesOf(await storage.read('images/whole.png'))).toEqual(text('second'))
    },
  )
})
