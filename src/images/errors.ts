import { ApiError } from '../http/errors'

/** Why the bytes of an upload were refused; routes map each kind to a status. */
export class ImageRejected extends Error {
  constructor(
    readonly kind: 'unsupported' | 'corrupt' | 'dimensions' | 'location',
    message: string,
  ) {
    super(message)
  }
}

/** A change that would store more than `MAX_METADATA_BYTES` of title, description, tags, metadata. */
export class MetadataTooLarge extends Error {}

const rejectionStatus = { unsupported: 415, corrupt: 422, dimensions: 422, location: 422 } as const
const rejectionError = {
  unsupported: 'Unsupported media type',
  corrupt: 'Invalid image',
  dimensions: 'Image dimensions too large',
  location: 'Location data not accepted',
} as const

/** The answer to refused bytes, wherever a route takes an image. */
export const imageRejectedError = (err: ImageRejected) =>
  new ApiError(rejectionStatus[err.kind], rejectionError[err.kind], err.message)
