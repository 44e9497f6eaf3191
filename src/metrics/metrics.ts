import { prometheus } from '@hono/prometheus'
import { sql } from 'drizzle-orm'
import type { MiddlewareHandler } from 'hono'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Db } from '../db/client'
import { ANALYSIS_STATUSES } from '../db/schema'

// Seconds; dependency calls are mostly milliseconds, a slow object store or lock wait seconds.
const CALL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Every Prometheus series the API exposes, on a registry of its own (no global state). */
export function createMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry()
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry })
  // Request duration and count by method, route template (never the raw path) and status.
  const { registerMetrics } = prometheus({ registry })
  const registers = [registry]
  return {
    registry,
    http: registerMetrics as MiddlewareHandler,
    uploads: new Counter({
      name: 'image_uploads_total',
      help: 'Uploads by outcome (created, duplicate, rejected) and, when rejected, the reason',
      labelNames: ['outcome', 'reason'] as const,
      registers,
    }),
    uploadedBytes: new Counter({
      name: 'image_uploaded_bytes_total',
      help: 'Bytes of newly stored images (duplicates not counted)',
      registers,
    }),
    budgetWait: new Histogram({
      name: 'upload_buffer_wait_seconds',
      help: 'Time uploads waited for room in UPLOAD_BUFFER_BYTES, by outcome (admitted, timed_out)',
      labelNames: ['outcome'] as const,
      buckets: CALL_BUCKETS,
      registers,
    }),
    budgetRejected: new Counter({
      name: 'upload_buffer_rejections_total',
      help: 'Uploads answered 503 because the upload buffer stayed full',
      registers,
    }),
    dbCalls: new Histogram({
      name: 'db_call_duration_seconds',
      help: 'Database calls of the image repository by operation and outcome (ok, error)',
      labelNames: ['operation', 'outcome'] as const,
      buckets: CALL_BUCKETS,
      registers,
    }),
    storageCalls: new Histogram({
      name: 'storage_call_duration_seconds',
      help: 'Object storage calls by operation and outcome (ok, error)',
      labelNames: ['operation', 'outcome'] as const,
      buckets: CALL_BUCKETS,
      registers,
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>

type Row = Record<string, unknown>
const rowsOf = (result: unknown): Row[] =>
  Array.isArray(result) ? result : ((result as { rows?: Row[] }).rows ?? [])

/**
 * Gauges read from the table at scrape time, so every replica reports the same shared truth:
 * images and their bytes, and the analysis backlog by status. One grouped query per scrape.
 */
export function observeTable(metrics: Metrics, db: Db) {
  let snapshot: Promise<Row[] | undefined> | undefined
  // Both gauges' collect() run in the same scrape: one query serves them. A failed query leaves
  // the gauges at their last values rather than failing the whole scrape.
  const read = () => {
    snapshot ??= db
      .execute(
        sql`select analysis_status as status, count(*)::int as n, coalesce(sum(filesize), 0)::float8 as bytes from images group by analysis_status`,
      )
      .then(rowsOf, () => undefined)
      .finally(() => setTimeout(() => (snapshot = undefined), 0))
    return snapshot
  }
  new Gauge({
    name: 'images_stored',
    help: 'Images stored, by analysis status (pending and failed are the analysis backlog)',
    labelNames: ['analysis_status'] as const,
    registers: [metrics.registry],
    async collect() {
      const rows = await read()
      if (!rows) return
      for (const status of ANALYSIS_STATUSES) {
        const row = rows.find((r) => r.status === status)
        this.set({ analysis_status: status }, Number(row?.n ?? 0))
      }
    },
  })
  new Gauge({
    name: 'images_stored_bytes',
    help: 'Bytes of all stored images (sum of filesize)',
    registers: [metrics.registry],
    async collect() {
      const rows = await read()
      if (rows) this.set(rows.reduce((sum, r) => sum + Number(r.bytes ?? 0), 0))
    },
  })
}
