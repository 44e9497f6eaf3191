import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import {
  type ComposeFile,
  documentedVariables,
  interpolate,
  ROOT,
  readCompose,
  readRootFile,
  referencedVariables,
  serviceEnvironment,
} from './support/deploy-files'

const text = await readRootFile('docker-compose.replicas.yml')
const replicas = Bun.YAML.parse(text) as ComposeFile & {
  services: Record<string, { profiles?: string[]; scale?: string | number }>
}
const { compose } = await readCompose()
const caddyfile = await readRootFile('deploy/Caddyfile.replicas')
const PINNED = /^[a-z0-9./-]+:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$/

describe('docker-compose.replicas.yml (override)', () => {
  const replica = replicas.services['api-replica']
  const lb = replicas.services.lb

  test('parks the single api and runs api-replica, scaled, without container_name or host port', () => {
    expect(replicas.services.api).toEqual({ profiles: ['single'] })
    expect(replica?.container_name).toBeUndefined()
    expect(replica?.ports).toBeUndefined()
    expect(interpolate(String(replica?.scale), {})).toBe('3')
    expect(interpolate(String(replica?.scale), { API_REPLICAS: '5' })).toBe('5')
    expect(replica?.image).toBe(compose.services.api?.image)
    expect(replica?.build).toEqual(compose.services.api?.build)
  })

  test("api-replica is docker-compose.yml's api: same environment, dependencies and volume", () => {
    for (const vars of [{}, { API_KEY: 'k', POSTGRES_PASSWORD: 'p', MINIO_BUCKET_NAME: 'b' }]) {
      expect(serviceEnvironment(replicas, 'api-replica', vars)).toEqual(
        serviceEnvironment(compose, 'api', vars),
      )
    }
    expect(replica?.depends_on).toEqual(compose.services.api?.depends_on)
    expect(replica?.volumes).toEqual(compose.services.api?.volumes)
  })

  test('the load balancer: pinned by tag and digest, publishes the port, waits for healthy replicas', () => {
    expect(lb?.image).toMatch(PINNED)
    expect(lb?.container_name).toBeUndefined()
    expect(lb?.ports).toEqual(compose.services.api?.ports)
    expect(lb?.depends_on).toEqual({ 'api-replica': { condition: 'service_healthy' } })
    expect(lb?.volumes).toEqual(['./deploy/Caddyfile.replicas:/etc/caddy/Caddyfile:ro'])
    // Caddy finds every replica through Docker's DNS name of the service, on the API's port.
    expect(caddyfile).toMatch(/dynamic a api-replica 8000/)
  })

  test('every variable it substitutes is documented in .env.example', async () => {
    const documented = documentedVariables(await readRootFile('.env.example'))
    expect([...referencedVariables(text)].filter((name) => !documented.has(name))).toEqual([])
  })

  const caddy = Bun.which('caddy')
  test.skipIf(!caddy)('caddy validates deploy/Caddyfile.replicas', async () => {
    const proc = Bun.spawn(
      [
        caddy ?? 'caddy',
        'validate',
        '--adapter',
        'caddyfile',
        '--config',
        join(ROOT, 'deploy', 'Caddyfile.replicas'),
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
    expect(code).toBe(0)
    expect(stdout).toContain('Valid configuration')
  })

  const dockerCompose = Bun.which('docker-compose')
  test.skipIf(!dockerCompose)('docker-compose accepts the two files together', async () => {
    const proc = Bun.spawn(
      [
        dockerCompose ?? 'docker-compose',
        '-f',
        'docker-compose.yml',
        '-f',
        'docker-compose.replicas.yml',
        'config',
        '-q',
      ],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', API_KEY: 'k' }, stderr: 'pipe' },
    )
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited])
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })
})
