import type { Config } from '../config'
import type { Db } from '../db/client'
import type { Logger } from '../http/logger'
import type { Storage } from '../storage/storage'
import { Analyzer } from './analyzer'
import { AnalysisRepository } from './repository'
import { AnalysisWorker } from './worker'

export type Analysis = { analyzer: Analyzer; worker: AnalysisWorker }

/** The analyzer and its worker, or undefined when GEMINI_API_KEY is unset (feature off). */
export async function buildAnalysis(
  config: Config['gemini'],
  db: Db,
  storage: Storage,
  logger: Logger,
): Promise<Analysis | undefined> {
  if (!config) return undefined
  // The SDK is loaded only when the feature is on: it is a large share of start-up otherwise.
  const describer = new (await import('./gemini-client')).GeminiClient(config)
  const analyzer = new Analyzer(describer, new AnalysisRepository(db), storage, {
    prompt: config.prompt,
    timeoutMs: config.timeoutMs,
    maxAttempts: config.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    logger,
  })
  const worker = new AnalysisWorker(analyzer, { pollIntervalMs: config.pollIntervalMs, logger })
  return { analyzer, worker }
}
