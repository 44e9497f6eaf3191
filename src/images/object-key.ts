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
