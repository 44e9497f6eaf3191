import { Sha256 } from '@aws-crypto/sha256-js'
import { SignatureV4 } from '@smithy/signature-v4'

// Query parameters that carry the signature itself; every other one is signed.
const SIGNING_PARAMS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
])

export type PresignCheck = { valid: true } | { valid: false; reason: string }

const invalid = (reason: string): PresignCheck => ({ valid: false, reason })

/** `20261130T090415Z` → Date. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[]
  return new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s))
}

/**
 * Checks a presigned S3 GET URL the way S3 does, independently of the signer under test: the
 * SigV4 query signature is recomputed with AWS's own @smithy/signature-v4 from the URL's host,
 * path and parameters and the secret key, then compared; the credential scope and expiry are
 * checked too. s3rver accepts any signature, so tests call this instead of trusting it.
 */
export async function checkPresignedUrl(
  url: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  now = new Date(),
): Promise<PresignCheck> {
  const u = new URL(url)
  const p = u.searchParams
  if (p.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return invalid('algorithm')
  const [accessKeyId, day, region, service, terminator, ...extra] = (
    p.get('X-Amz-Credential') ?? ''
  ).split('/')
  if (accessKeyId !== credentials.accessKeyId) return invalid('access key id')
  if (!region || service !== 's3' || terminator !== 'aws4_request' || extra.length > 0) {
    return invalid('credential scope')
  }
  const signingDate = parseAmzDate(p.get('X-Amz-Date') ?? '')
  if (!signingDate || signingDate.toISOString().slice(0, 10).replaceAll('-', '') !== day) {
    return invalid('date')
  }
  const expiresIn = Number(p.get('X-Amz-Expires'))
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 7 * 24 * 3600) {
    return invalid('expires')
  }
  if (signingDate.getTime() + expiresIn * 1000 < now.getTime()) return invalid('expired')
  if (p.get('X-Amz-SignedHeaders') !== 'host') return invalid('signed headers')
  const given = p.get('X-Amz-Signature') ?? ''

  const query: Record<string, string | string[]> = {}
  for (const [name, value] of p) {
    if (SIGNING_PARAMS.has(name)) continue
    const previous = query[name]
    query[name] = previous === undefined ? value : [previous, value].flat()
  }
  const signer = new SignatureV4({
    credentials,
    region,
    service: 's3',
    sha256: Sha256,
    // S3 signs the path as sent, without the second encoding other services use.
    uriEscapePath: false,
    applyChecksum: false,
  })
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      path: u.pathname,
      query,
      // A presigned GET signs no payload: S3's canonical request ends in UNSIGNED-PAYLOAD.
      headers: { host: u.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    {
      signingDate,
      expiresIn,
      unhoistableHeaders: new Set(['x-amz-content-sha256']),
      unsignableHeaders: new Set(['x-amz-content-sha256']),
    },
  )
  const expected = signed.query?.['X-Amz-Signature']
  return expected === given ? { valid: true } : invalid('signature')
}
