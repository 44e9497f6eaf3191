// The object-key scheme: one object per unique content, named by its MD5.

/** Every object the service writes is under this prefix. */
export const OBJECT_PREFIX = 'images/'

export const objectKeyFor = (md5: string, extension: string) =>
  `${OBJECT_PREFIX}${md5}.${extension}`

// This API's keys (`images/<md5>.<ext>`) and the old service's (`images/<md5>_<filename>`), which
// adopted deployments keep.
const CONTENT_KEY = /^images\/([0-9a-f]{32})(?:\.[a-z0-9]+|_[^/]+)$/

/** The MD5 a content key names, in either scheme; undefined for a key no image was stored under. */
export const md5OfObjectKey = (key: string) => CONTENT_KEY.exec(key)?.[1]

/** Every variant the service writes is under this prefix. */
export const VARIANT_OBJECT_PREFIX = 'variants/'

/** Where every variant of a content hash lives; deleting an image removes this prefix. */
export const variantPrefix = (md5: string) => `${VARIANT_OBJECT_PREFIX}${md5}/`

/** Deterministic: the same content, preset size and format always map to the same object. */
export const variantKey = (md5: string, preset: string, side: number, format: string) =>
  `${variantPrefix(md5)}${preset}-${side}.${format}`

const VARIANT_KEY = /^variants\/([0-9a-f]{32})\/([a-z][a-z0-9_-]*)-(\d+)\.([a-z]+)$/

/** The content MD5 and preset a variant key names; undefined for a key no variant was stored under. */
export function parseVariantKey(key: string) {
  const match = VARIANT_KEY.exec(key)
  return match && { md5: match[1] as string, preset: match[2] as string }
}
