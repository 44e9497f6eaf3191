import type { Metrics } from './metrics'

/**
 * Times every promise-returning (or thenable-returning) method of `target` into `histogram` under its method name.
 * Methods that run a caller's callback inside (a transaction) are left out: their time is the
 * callback's, not the dependency's.
 */
export function instrument<T extends object>(
  target: T,
  histogram: Metrics['dbCalls'],
  skip: readonly string[] = [],
): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver)
      if (typeof value !== 'function' || typeof prop !== 'string' || skip.includes(prop)) {
        return typeof value === 'function' ? value.bind(obj) : value
      }
      return (...args: unknown[]) => {
        const result = value.apply(obj, args)
        // Promises, and drizzle's lazy query builders, which run when awaited.
        if (typeof result?.then !== 'function') return result
        const end = histogram.startTimer({ operation: prop })
        return Promise.resolve(result).then(
          (v) => {
            end({ outcome: 'ok' })
            return v
          },
          (err) => {
            end({ outcome: 'error' })
            throw err
          },
        )
      }
    },
  })
}
