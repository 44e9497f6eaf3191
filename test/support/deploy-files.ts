import { join } from 'node:path'

/** Reading the deployment files (compose, .env, Dockerfile) the way Docker tooling does. */
export const ROOT = join(import.meta.dir, '..', '..')
export const readRootFile = (name: string) => Bun.file(join(ROOT, name)).text()

export type Vars = Record<string, string | undefined>

// Compose interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $VAR.
const REFERENCE =
  /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g

/** Substitutes `vars` (the shell environment plus `.env`) into one compose value. */
export function interpolate(value: string, vars: Vars): string {
  return value.replace(REFERENCE, (_m, dollar, braced, op, operand, bare) => {
    if (dollar) return '$'
    const name: string = braced ?? bare
    const current = vars[name]
    const unsetOrEmpty = current === undefined || (op?.startsWith(':') && current === '')
    if (op?.endsWith('-') && unsetOrEmpty) return operand
    if (op?.endsWith('?') && unsetOrEmpty) throw new Error(`${name}: ${operand}`)
    return current ?? ''
  })
}

/** Names referenced as ${VAR} or $VAR in a compose file ($$ escapes and comment lines excluded). */
export function referencedVariables(text: string): Set<string> {
  const names = new Set<string>()
  const code = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
  for (const m of code.matchAll(REFERENCE)) {
    const name = m[2] ?? m[5]
    if (!m[1] && name) names.add(name)
  }
  return names
}

type ComposeService = {
  environment?: Record<string, string | number | boolean | null> | string[]
  depends_on?: Record<string, { condition?: string }> | string[]
  healthcheck?: { test?: string | string[] }
  container_name?: string
  image?: string
  build?: unknown
  ports?: string[]
  volumes?: string[]
}
export type ComposeFile = { services: Record<string, ComposeService>; volumes?: object }

export async function readCompose(): Promise<{ text: string; compose: ComposeFile }> {
  const text = await readRootFile('docker-compose.yml')
  return { text, compose: Bun.YAML.parse(text) as ComposeFile }
}

/** A service's environment as the container would get it, after interpolation. */
export function serviceEnvironment(compose: ComposeFile, service: string, vars: Vars) {
  const raw = compose.services[service]?.environment ?? {}
  const entries: [string, string][] = Array.isArray(raw)
    ? raw.map((line) => {
        const at = line.indexOf('=')
        return at < 0 ? [line, vars[line] ?? ''] : [line.slice(0, at), line.slice(at + 1)]
      })
    : Object.entries(raw).map(([k, v]) => [k, v === null ? (vars[k] ?? '') : String(v)])
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v, vars)]))
}

/** `.env` syntax as compose reads it: KEY=VALUE lines, # comments, optional quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/)
    if (!m?.[1]) continue
    out[m[1]] = (m[2] ?? '').trim().replace(/^(['"])(.*)\1$/, '$2')
  }
  return out
}

/** Names a `.env` file mentions, set (`NAME=`) or documented but commented out (`# NAME=`). */
export const documentedVariables = (text: string) =>
  new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string))

export type DockerInstruction = { keyword: string; args: string; stage: number }

/** Dockerfile instructions (continuations joined, comments dropped), numbered by build stage. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
  const out: DockerInstruction[] = []
  let stage = -1
  for (const line of joined.split('\n')) {
    const m = line.trim().match(/^([A-Za-z]+)\s*(.*)$/)
    if (!m?.[1]) continue
    const keyword = m[1].toUpperCase()
    if (keyword === 'FROM') stage++
    out.push({ keyword, args: (m[2] ?? '').trim(), stage })
  }
  return out
}
