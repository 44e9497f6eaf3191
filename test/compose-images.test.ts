import { describe, expect, test } from 'bun:test'
import { readRootFile } from './support/deploy-files'
import {
  composeFiles,
  composeImageProblems,
  parseImageRef,
  pulledImageProblems,
} from './support/image-pins'

const DIGEST = `sha256:${'ab'.repeat(32)}`
const files = await composeFiles()

describe('image pins in every compose file', () => {
  test('finds the main file and the SeaweedFS override', () => {
    expect(files).toContain('docker-compose.yml')
    expect(files).toContain('docker-compose.seaweedfs.yml')
  })

  test.each(files)(
    '%s pulls only images pinned by tag and digest, from repositories that exist',
    async (name) => {
      const text = await readRootFile(name)
      expect(composeImageProblems(text)).toEqual([])
      // Not vacuous: each file pulls at least one image.
      expect(text).toMatch(/^\s+image: .+@sha256:[0-9a-f]{64}\s*$/m)
    },
  )

  test('MinIO and mc come from Quay, not from the deleted Docker Hub repositories', async () => {
    const text = await readRootFile('docker-compose.yml')
    expect(text).toContain('quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z@sha256:')
    expect(text).toContain('quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z@sha256:')
    expect(text).not.toMatch(/image: (docker\.io\/)?minio\//)
  })
})

describe('the pin checker', () => {
  test('reads references as Docker does', () => {
    expect(parseImageRef('postgres:15-alpine')).toEqual({
      registry: 'docker.io',
      repository: 'library/postgres',
      tag: '15-alpine',
      digest: undefined,
    })
    expect(parseImageRef(`quay.io/minio/mc:RELEASE.x@${DIGEST}`)).toEqual({
      registry: 'quay.io',
      repository: 'minio/mc',
      tag: 'RELEASE.x',
      digest: DIGEST,
    })
    expect(parseImageRef('localhost:5000/team/app:1.2')).toMatchObject({
      registry: 'localhost:5000',
      repository: 'team/app',
      tag: '1.2',
    })
    expect(parseImageRef('index.docker.io/minio/minio:1')).toMatchObject({
      registry: 'docker.io',
      repository: 'minio/minio',
    })
  })

  test('accepts a reference pinned by tag and digest', () => {
    expect(pulledImageProblems(`postgres:15.18-alpine@${DIGEST}`)).toEqual([])
    expect(
      pulledImageProblems(`quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z@${DIGEST}`),
    ).toEqual([])
    expect(pulledImageProblems(`localhost:5000/app:1.0@${DIGEST}`)).toEqual([])
  })

  test.each([
    ['postgres', /no tag/],
    ['postgres:latest', /"latest" is not a pin/],
    [`postgres:latest@${DIGEST}`, /"latest" is not a pin/],
    ['postgres:15-alpine', /no digest/],
    [`postgres@${DIGEST}`, /no tag/],
    ['postgres:15@sha256:abc', /not a sha256 digest/],
    [`minio/minio:RELEASE.2025-04-22T22-12-26Z@${DIGEST}`, /deleted its Docker Hub/],
    [`docker.io/minio/mc:RELEASE.2025-04-16T18-13-26Z@${DIGEST}`, /deleted its Docker Hub/],
    [`index.docker.io/minio/minio:x@${DIGEST}`, /deleted its Docker Hub/],
    ['minio/minio', /deleted its Docker Hub/],
    ['$' + '{MINIO_IMAGE}', /variable/],
  ])('rejects %s', (reference, problem) => {
    const problems = pulledImageProblems(reference)
    expect(problems.length).toBeGreaterThan(0)
    expect(problems.join('\n')).toMatch(problem)
  })

  test('fails a compose file with one unpinned image among pinned ones, naming the service', () => {
    const yaml = `
services:
  db:
    image: postgres:15.18-alpine@${DIGEST}
  cache:
    image: redis:7
  api:
    build: .
    image: app:local
`
    expect(composeImageProblems(yaml)).toEqual(['cache: redis:7: no digest (@sha256:...)'])
  })

  test('fails the real main file once one of its images is unpinned', async () => {
    const text = await readRootFile('docker-compose.yml')
    const unpinned = text.replace(/(image: postgres:[^@\s]+)@sha256:[0-9a-f]{64}/, '$1')
    expect(unpinned).not.toBe(text)
    expect(composeImageProblems(unpinned)).toEqual([
      expect.stringMatching(/^postgres: postgres:15[^ ]*: no digest/),
    ])
    const onLatest = text.replace(/image: quay\.io\/minio\/mc:[^\s]+/, 'image: minio/mc:latest')
    expect(composeImageProblems(onLatest).join('\n')).toMatch(
      /createbuckets: .*"latest".*\n.*no digest.*\n.*deleted its Docker Hub/,
    )
  })

  test('a built image needs a fixed tag but no digest', () => {
    const built = (image: string) => `services:\n  api:\n    build: .\n    image: ${image}\n`
    expect(composeImageProblems(built('app:local'))).toEqual([])
    expect(composeImageProblems(built('app:latest'))).toEqual([
      'api: built image app:latest needs a fixed tag',
    ])
    expect(composeImageProblems(built('app'))).toEqual(['api: built image app needs a fixed tag'])
  })
})
