import { AwsClient } from 'aws4fetch'
import type { S3StorageOptions } from './s3'

/** S3 error codes meaning the bucket or the credentials are wrong: a configuration problem. */
export const MISSING_BUCKET_CODES = new Set(['NoSuchBucket'])
export const REFUSED_CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
])

export const s3ErrorCode = (err: unknown) => {
  const code = (err as { code?: unknown })?.code
  return typeof code === 'string' ? code : undefined
}

export type BucketCheck =
  | { status: 'exists' }
  | { status: 'created' }
  | { status: 'missing'; reason: string }
  | { status: 'refused'; reason: string }
  | { status: 'unknown'; reason: string }

/**
 * Creates the bucket when it is missing, as the old service did at start-up (Bun's S3 client
 * cannot create buckets, so this one request is signed with aws4fetch). Never throws: a refused
 * creation or an unreachable store is reported, and `/health` keeps saying storage is down.
 */
export async function ensureBucket(
  options: S3StorageOptions,
  ping: () => Promise<void>,
): Promise<BucketCheck> {
  try {
    await ping()
    return { status: 'exists' }
  } catch (err) {
    const code = s3ErrorCode(err) ?? ''
    const reason = (err as Error).message ?? String(err)
    if (REFUSED_CREDENTIAL_CODES.has(code))
      return { status: 'refused', reason: `${code}: ${reason}` }
    if (!MISSING_BUCKET_CODES.has(code)) return { status: 'unknown', reason }
  }
  const aws = new AwsClient({
    accessKeyId: options.accessKeyId ?? '',
    secretAccessKey: options.secretAccessKey ?? '',
    region: options.region,
    service: 's3',
  })
  // us-east-1 is the default location; any other region must be named in the body.
  const body =
    options.region === 'us-east-1'
      ? undefined
      : `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${options.region}</LocationConstraint></CreateBucketConfiguration>`
  try {
    const url = `${options.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(options.bucket)}`
    const res = await aws.fetch(url, { method: 'PUT', body })
    const text = await res.text()
    if (res.ok) return { status: 'created' }
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP ${res.status}`
    // Another replica created it meanwhile.
    if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') {
      const again = await ping().then(
        () => undefined,
        (err: Error) => err.message,
      )
      return again === undefined ? { status: 'exists' } : { status: 'missing', reason: again }
    }
    const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1]
    return { status: 'missing', reason: message ? `${code}: ${message}` : code }
  } catch (err) {
    return { status: 'missing', reason: (err as Error).message ?? String(err) }
  }
}
