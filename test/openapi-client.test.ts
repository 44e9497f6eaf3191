import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript'
import ts from 'typescript'
import { call, READ_KEY, WRITE_KEY } from './support/api'
import { json, startTestApp, type TestApp } from './support/app'
import { makeJpeg, md5Hex, withJpegComment } from './support/images'

const ROOT = dirname(import.meta.dir)
const USAGE = join(import.meta.dir, 'openapi-client', 'round-trip.ts')

// openapi-typescript's Node API recipe for file fields: `format: binary` becomes Blob, not string.
const BLOB = ts.factory.createTypeReferenceNode(ts.factory.createIdentifier('Blob'))

/** TypeScript 7's tsc (the project's type checker) on `tsconfig`; its output on failure. */
async function typeCheck(tsconfig: string) {
  const native = dirname(Bun.resolveSync('@typescript/native/package.json', ROOT))
  const tsc = Bun.spawn([process.execPath, join(native, 'bin', 'tsc'), '-p', tsconfig], {
    cwd: dirname(tsconfig),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [output, errors, code] = await Promise.all([
    new Response(tsc.stdout).text(),
    new Response(tsc.stderr).text(),
    tsc.exited,
  ])
  return { code, output: output + errors }
}

describe('a client generated from /openapi.json (openapi-typescript + openapi-fetch)', () => {
  let t: TestApp
  let dir: string
  let generated: string
  beforeAll(async () => {
    t = await startTestApp()
    const res = await call(t.url, 'GET', '/openapi.json', { key: READ_KEY })
    expect(res.status).toBe(200)
    const document = (await json(res)) as OpenAPI3
    generated = astToString(
      await openapiTS(document, {
        transform: (schema) => (schema.format === 'binary' ? BLOB : undefined),
      }),
    )
    // Inside the repository, so the usage file resolves openapi-fetch and bun's types from it.
    dir = await mkdtemp(join(import.meta.dir, 'openapi-client', '.generated-'))
    await Bun.write(join(dir, 'api.ts'), generated)
    await copyFile(USAGE, join(dir, 'round-trip.ts'))
    await Bun.write(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.json'),
        include: [],
        files: ['api.ts', 'round-trip.ts'],
      }),
    )
  })
  afterAll(async () => {
    await t?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  test('names every path and operation the API serves', () => {
    for (const path of [
      '"/api/upload"',
      '"/api/images"',
      '"/api/images/{id}"',
      '"/api/images/by-md5/{md5}"',
      '"/api/images/{id}/content"',
      '"/api/images/{id}/analyze"',
      '"/api/limits"',
      '"/health"',
    ]) {
      expect(generated).toContain(`    ${path}: {`)
    }
    expect(generated).toContain('export interface operations {')
    expect(generated).toContain('    uploadImage: {')
    expect(generated).toContain('image_file: Blob;')
  })

  test('type-checks, with a usage file that calls every operation it needs', async () => {
    const { code, output } = await typeCheck(join(dir, 'tsconfig.json'))
    expect(output).toBe('')
    expect(code).toBe(0)
  })

  test('the type check fails when the usage file does not match the document', async () => {
    // Guards the check above: a renamed operation and a wrong field type must be reported.
    const usage = await Bun.file(USAGE).text()
    const broken = usage
      .replace("'getLimits',", "'getLimitz',")
      .replace("body: { title: 'Renamed',", 'body: { title: 42,')
    expect(broken).not.toBe(usage)
    await Bun.write(join(dir, 'round-trip.ts'), broken)
    try {
      const { code, output } = await typeCheck(join(dir, 'tsconfig.json'))
      expect(code).not.toBe(0)
      expect(output).toContain('getLimitz')
      expect(output).toContain("Type 'number' is not assignable to type 'string'")
    } finally {
      await copyFile(USAGE, join(dir, 'round-trip.ts'))
    }
  })

  test('round trip against the app: upload, list, get, patch, by-md5, limits, content, delete', async () => {
    const { roundTrip } = await import(join(dir, 'round-trip.ts'))
    const jpeg = withJpegComment(makeJpeg(12, 8), 'openapi-client')
    const r = await roundTrip(t.url, WRITE_KEY, jpeg)

    expect(r.created).toMatchObject({
      title: 'Generated',
      description: 'Via openapi-fetch',
      tags: ['gen'],
      md5_hash: md5Hex(jpeg),
      width: 12,
      height: 8,
      mimetype: 'image/jpeg',
    })
    expect(r.listedIds).toEqual([r.created.id])
    expect(r.nextCursor).toBeNull()
    expect(r.got).toMatchObject({ id: r.created.id, title: 'Generated' })
    expect(r.patched).toMatchObject({ id: r.created.id, title: 'Renamed' })
    expect(r.patched.metadata).toMatchObject({ source: 'client' })
    expect(r.byMd5).toMatchObject({ id: r.created.id, title: 'Renamed' })
    expect(r.maxUploadBytes).toBe(t.config.limits.maxUploadBytes)
    expect(r.acceptedMimetypes).toContain('image/jpeg')
    expect(r.contentBytes).toEqual(jpeg)
    expect(r.deletedStatus).toBe(204)
    expect(r.gone).toEqual({ status: 404, error: 'Not found', message: 'No image with this id' })
  })
})
