// The object-key scheme: one object per unique content, named by its MD5.

/** Every object the service writes is under this prefix. */
export const OBJECT_PREFIX = 'images/'

export const objectKeyFor = (md5: string, extension: string) =>
  `${OBJECT_PREFIX}${md5}.${extension}`

const CONTENT_KEY = /^images\/([0-9a-f]{32})\.[a-z0-9]+$/

/** The MD5 a key was made from by `objectKeyFor`; undefined for a key the service never writes. */
export const md5OfObjectKey = (key: string) => CONTENT_KEY.exec(key)?.[1]
