import type { Config } from '../config'
import type { Db } from '../db/client'
import type { Logger } from '../http/logger'
import type { Storage } from '../storage/storage'
import { Analyzer } from './analyzer'
import { createGeminiClient, type ImageDescriber } from './gemini-client'
import { AnalysisRepository } from './repository'
import { AnalysisWorker } from './worker'

export type Analysis = { analyzer: Analyzer; worker: AnalysisWorker }

/** The analyzer and its worker, or undefined when GEMINI_API_KEY is unset (feature off). */
export function buildAnalysis(
  config: Config['gemini'],
  db: Db,
  storage: Storage,
  logger: Logger,
  describer: ImageDescriber | undefined = createGeminiClient(config),
): Analysis | undefined {
  if (!config || !describer) return undefined
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
