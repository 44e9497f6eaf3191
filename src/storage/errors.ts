/** The store cannot be reached (refused, reset, timed out); the request may succeed later. */
export class StorageUnavailable extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause })
    this.name = 'StorageUnavailable'
  }
}

/** No object under this key. */
export class ObjectNotFound extends Error {
  constructor(readonly key: string) {
    super(`The image object ${key} is missing from storage`)
    this.name = 'ObjectNotFound'
  }
}

/**
 * The store answered, but refuses this configuration: the bucket is missing or the credentials are
 * refused. `message` is for clients; `code` is the store's own error code.
 */
export class StorageMisconfigured extends Error {
  constructor(
    readonly code: string,
    message: string,
    cause: unknown,
  ) {
    super(message, { cause })
    this.name = 'StorageMisconfigured'
  }
}
