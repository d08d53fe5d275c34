/** Errors of the ymesh facade. Match on `err.name`. */
export class MeshProviderError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MeshProviderError'
  }
}

/** A provider option is invalid; the message says which and what to pass instead. */
export class InvalidProviderOptionsError extends MeshProviderError {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidProviderOptionsError'
  }
}

/** Two providers claimed the same document id on one router. */
export class DocumentConflictError extends MeshProviderError {
  constructor (message: string) {
    super(message)
    this.name = 'DocumentConflictError'
  }
}

/** The provider was destroyed; create a new one. */
export class ProviderDestroyedError extends MeshProviderError {
  constructor (message: string) {
    super(message)
    this.name = 'ProviderDestroyedError'
  }
}

export const YMESH_ERROR_NAMES = Object.freeze(['MeshProviderError', 'InvalidProviderOptionsError', 'DocumentConflictError', 'ProviderDestroyedError'] as const)
