import { parseArgs } from 'node:util'
import type { BackendKind } from './backend'
import { SCENARIOS, type Scenario } from './scenarios'

export type BenchOptions = {
  backend: BackendKind
  quick: boolean
  scenarios: Scenario[]
  jsonOnly: boolean
  /** Run the pixel-pipeline steps (bench/pixels.ts) too: by default when no --scenarios are given. */
  pixels: boolean
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: 'string', default: 'embedded' },
      quick: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      'json-only': { type: 'boolean', default: false },
      pixels: { type: 'boolean' },
      'no-pixels': { type: 'boolean', default: false },
    },
  })
  if (values.backend !== 'embedded' && values.backend !== 'real') {
    throw new Error(`--backend must be embedded or real, not ${values.backend}`)
  }
  const names = values.scenarios?.split(',').map((s) => s.trim())
  const unknown = names?.filter((n) => !SCENARIOS.some((s) => s.name === n)) ?? []
  if (unknown.length > 0) {
    throw new Error(
      `unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    )
  }
  return {
    backend: values.backend,
    quick: values.quick ?? false,
    scenarios: names ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS,
    jsonOnly: values['json-only'] ?? false,
    pixels: !values['no-pixels'] && (values.pixels ?? names === undefined),
  }
}
