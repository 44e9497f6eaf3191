export type Md5Result = { bunMBps: number; opensslMBps: number | null; ratio: number | null }

const MB = 1_000_000

/** Bun.CryptoHasher('md5') over a 5 MB buffer, one hasher per buffer as the upload path does. */
export function bunMd5Throughput(seconds: number): number {
  const buffer = new Uint8Array(5 * MB)
  // getRandomValues fills at most 64 KiB a call.
  for (let i = 0; i < buffer.length; i += 65536)
    crypto.getRandomValues(buffer.subarray(i, i + 65536))
  let bytes = 0
  const started = performance.now()
  while (performance.now() - started < seconds * 1000) {
    new Bun.CryptoHasher('md5').update(buffer).digest('hex')
    bytes += buffer.byteLength
  }
  return bytes / MB / ((performance.now() - started) / 1000)
}

/** `openssl speed -evp md5` at 16 KiB blocks; its figures are in 1000s of bytes per second. */
export async function opensslMd5Throughput(seconds: number): Promise<number | null> {
  try {
    const child = Bun.spawn(
      ['openssl', 'speed', '-evp', 'md5', '-bytes', '16384', '-seconds', String(seconds)],
      { stdout: 'pipe', stderr: 'ignore' },
    )
    const text = await new Response(child.stdout).text()
    await child.exited
    const match = text.match(/^md5\s+([\d.]+)k\s*$/im)
    return match ? (Number(match[1]) * 1000) / MB : null
  } catch {
    // No openssl on this machine: the comparison is reported as n/a.
    return null
  }
}

/** Alternating rounds, best of each: on a shared machine the best round is the least disturbed. */
export async function measureMd5(seconds: number, rounds: number): Promise<Md5Result> {
  let bunMBps = 0
  let opensslMBps: number | null = null
  for (let i = 0; i < rounds; i++) {
    bunMBps = Math.max(bunMBps, bunMd5Throughput(seconds))
    const openssl = await opensslMd5Throughput(seconds)
    if (openssl !== null) opensslMBps = Math.max(opensslMBps ?? 0, openssl)
  }
  return { bunMBps, opensslMBps, ratio: opensslMBps ? bunMBps / opensslMBps : null }
}
