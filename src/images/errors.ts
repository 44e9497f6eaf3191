/** Why the bytes of an upload were refused; routes map each kind to a status. */
export class ImageRejected extends Error {
  constructor(
    readonly kind: 'unsupported' | 'corrupt' | 'dimensions' | 'location',
    message: string,
  ) {
    super(message)
  }
}
