import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * A secret generated on first use and kept in the data directory, so a zero-config start gets a
 * stable dev API key (and URL-signing secret) across restarts.
 */
export async function loadOrCreateSecret(dataDir: string, name: string): Promise<string> {
  const path = join(dataDir, name)
  const file = Bun.file(path)
  if (await file.exists()) {
    const existing = (await file.text()).trim()
    if (existing) return existing
  }
  await mkdir(dataDir, { recursive: true })
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url')
  await Bun.write(path, `${secret}\n`, { mode: 0o600 })
  return secret
}
