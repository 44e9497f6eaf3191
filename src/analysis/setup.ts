import type { Config } from '../config'
import type { Db } from '../db/client'
import type { Logger } from '../logger'
import type { Storage } from '../storage/storage'
import { Analyzer } from './analyzer'
import { ModelCheck } from './model-check'
import { AnalysisRepository } from './repository'
import { AnalysisWorker } from './worker'

export type Analysis = {
  analyzer: Analyzer
  worker: AnalysisWorker
  modelCheck: ModelCheck
  /** Starts the model check and the worker in the background; returns at once. */
  start(): void
  stop(): Promise<void>
}

/** The analyzer, its worker and model check, or undefined when GEMINI_API_KEY is unset. */
export async function buildAnalysis(
  config: Config['gemini'],
  db: Db,
  storage: Storage,
  logger: Logger,
  maxOutputChars: number,
): Promise<Analysis | undefined> {
  if (!config) return undefined
  // The SDK is loaded only when the feature is on: it is a large share of start-up otherwise.
  const client = new (await import('./gemini-client')).GeminiClient(config)
  const modelCheck = new ModelCheck(client, {
    logger,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
  })
  const analyzer = new Analyzer(client, new AnalysisRepository(db), storage, {
    prompt: config.prompt,
    timeoutMs: config.timeoutMs,
    maxAttempts: config.maxAttempts,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: config.retryMaxMs,
    maxOutputChars,
    logger,
    modelCheck,
  })
  const worker = new AnalysisWorker(analyzer, { pollIntervalMs: config.pollIntervalMs, logger })
  return {
    analyzer,
    worker,
    modelCheck,
    start() {
      modelCheck.start()
      worker.start()
    },
    async stop() {
      await Promise.all([worker.stop(), modelCheck.stop()])
    },
  }
}
