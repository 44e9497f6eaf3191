import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Owner-only modes: the data directory holds keys, the database and the objects. */
const DIR_MODE = 0o700
const SECRET_MODE = 0o600

/** Tightens `path` to `mode` when group or others have any access (files made by older versions). */
async function restrict(path: string, mode: number) {
  const current = (await stat(path)).mode & 0o777
  if (current & 0o077) await chmod(path, mode)
}

/**
 * Creates the data directory owner-only (0700), or tightens an existing one, and tightens the
 * secrets already in it (0600). Runs at start, before anything writes there.
 */
export async function secureDataDir(
  dataDir: string,
  secretNames: readonly string[],
  warn: (message: string, fields: Record<string, unknown>) => void,
) {
  await mkdir(dataDir, { recursive: true, mode: DIR_MODE })
  await restrict(dataDir, DIR_MODE).catch((err: NodeJS.ErrnoException) => {
    // A directory owned by someone else (a bind mount): usable, but say it is not private.
    if (err.code !== 'EPERM') throw err
    warn('cannot make the data directory owner-only', { data_dir: dataDir, err: err.code })
  })
  for (const name of secretNames) {
    await restrict(join(dataDir, name), SECRET_MODE).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
}

/**
 * A secret generated on first use and kept in the data directory, so a zero-config start gets a
 * stable dev API key (and URL-signing secret) across restarts. Written 0600 with node:fs, since
 * Bun.write ignores `mode`; `wx` so two processes starting at once keep the first one's secret.
 */
export async function loadOrCreateSecret(dataDir: string, name: string): Promise<string> {
  const path = join(dataDir, name)
  const existing = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null
    throw err
  })
  if (existing?.trim()) {
    await restrict(path, SECRET_MODE)
    return existing.trim()
  }
  await mkdir(dataDir, { recursive: true, mode: DIR_MODE })
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url')
  try {
    await writeFile(path, `${secret}\n`, {
      mode: SECRET_MODE,
      flag: existing === null ? 'wx' : 'w',
    })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    // Another process created it between our read and write: use theirs.
    return loadOrCreateSecret(dataDir, name)
  }
  // writeFile's mode is filtered by the umask and unused when the (empty) file existed.
  await chmod(path, SECRET_MODE)
  return secret
}
