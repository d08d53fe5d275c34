/** A command line the CLI cannot run; the message says what to type instead. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
