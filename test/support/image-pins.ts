import { Glob } from 'bun'
import { ROOT } from './deploy-files'

/** An image reference split as Docker reads it: [registry/]repository[:tag][@digest]. */
export type ImageRef = { registry: string; repository: string; tag?: string; digest?: string }

// Repositories that no longer serve pulls: MinIO deleted its whole Docker Hub namespace.
const GONE: { registry: string; prefix: string; why: string }[] = [
  {
    registry: 'docker.io',
    prefix: 'minio/',
    why: 'MinIO deleted its Docker Hub repositories (use quay.io/minio/...)',
  },
]

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

export function parseImageRef(reference: string): ImageRef {
  let rest = reference.trim()
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
  }
  // A first component with a dot or a port, or `localhost`, is a registry host.
  const slash = rest.indexOf('/')
  const first = slash < 0 ? '' : rest.slice(0, slash)
  const hasRegistry = first !== '' && (/[.:]/.test(first) || first === 'localhost')
  let registry = hasRegistry ? first : 'docker.io'
  let path = hasRegistry ? rest.slice(slash + 1) : rest
  let tag: string | undefined
  const colon = path.lastIndexOf(':')
  if (colon >= 0) {
    tag = path.slice(colon + 1)
    path = path.slice(0, colon)
  }
  if (DOCKER_HUB.has(registry)) {
    registry = 'docker.io'
    if (!path.includes('/')) path = `library/${path}`
  }
  return { registry, repository: path, tag, digest }
}

/** What is wrong with an image that compose pulls; empty when it is pinned and still served. */
export function pulledImageProblems(reference: string): string[] {
  if (/\$/.test(reference)) return [`${reference}: a variable, so the pin cannot be checked`]
  const ref = parseImageRef(reference)
  const problems: string[] = []
  if (!ref.tag) problems.push(`${reference}: no tag`)
  else if (ref.tag === 'latest') problems.push(`${reference}: tag "latest" is not a pin`)
  if (!ref.digest) problems.push(`${reference}: no digest (@sha256:...)`)
  else if (!/^sha256:[0-9a-f]{64}$/.test(ref.digest))
    problems.push(`${reference}: "${ref.digest}" is not a sha256 digest`)
  for (const gone of GONE) {
    if (ref.registry === gone.registry && ref.repository.startsWith(gone.prefix))
      problems.push(`${reference}: ${gone.why}`)
  }
  return problems
}

type Service = { image?: unknown; build?: unknown }

/**
 * Every image problem of one compose file. A service with `build:` is built here, not pulled:
 * its `image:` only names the result, which must still not be `latest` or untagged.
 */
export function composeImageProblems(yaml: string): string[] {
  const compose = Bun.YAML.parse(yaml) as { services?: Record<string, Service> }
  const problems: string[] = []
  for (const [name, service] of Object.entries(compose?.services ?? {})) {
    const image = service?.image
    if (service?.build !== undefined) {
      if (typeof image === 'string' && (!parseImageRef(image).tag || /:latest$/.test(image)))
        problems.push(`${name}: built image ${image} needs a fixed tag`)
      continue
    }
    if (typeof image !== 'string') {
      // An override may change other keys of a service without repeating its image.
      continue
    }
    for (const problem of pulledImageProblems(image)) problems.push(`${name}: ${problem}`)
  }
  return problems
}

/** The compose files at the repository root, by the names compose and users give them. */
export async function composeFiles(): Promise<string[]> {
  const names = new Set<string>()
  for (const pattern of ['docker-compose*.y*ml', 'compose*.y*ml'])
    for await (const file of new Glob(pattern).scan(ROOT)) names.add(file)
  return [...names].sort()
}
