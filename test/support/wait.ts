/**
 * Polls `read` until `done` holds for its value, or throws after `timeoutMs` with the last value:
 * a bounded wait for a state, never an assertion about how long something took.
 */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 20_000, intervalMs = 25, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`)
    }
    await Bun.sleep(intervalMs)
  }
}
