import { parseArgs } from 'node:util'
import type { BackendKind } from './backend'

export type SoakOptions = { backend: BackendKind; durationS: number; concurrency: number }

const positive = (name: string, raw: string | undefined) => {
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`)
  return n
}

export function parseSoakOptions(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: 'string', default: 'real' },
      duration: { type: 'string', default: '60' },
      concurrency: { type: 'string', default: '16' },
    },
  })
  if (values.backend !== 'embedded' && values.backend !== 'real') {
    throw new Error(`--backend must be embedded or real, not ${values.backend}`)
  }
  return {
    backend: values.backend,
    durationS: positive('duration', values.duration),
    concurrency: Math.floor(positive('concurrency', values.concurrency)),
  }
}
