/** Why the bytes of an upload were refused; routes map each kind to a status. */
export class ImageRejected extends Error {
  constructor(
    readonly kind: 'unsupported' | 'corrupt' | 'dimensions',
    message: string,
  ) {
    super(message)
  }
}

/** A change that would store more than `MAX_METADATA_BYTES` of title, description, tags, metadata. */
export class MetadataTooLarge extends Error {}
