import { SUPPORTED_FORMATS } from '../media/inspect'

/** What the grid is filtered by; the page's URL carries exactly these, so views can be shared. */
export type Filters = {
  q?: string
  tags: string[]
  format?: string
  /** YYYY-MM-DD, inclusive, UTC. */
  from?: string
  /** YYYY-MM-DD, inclusive, UTC. */
  to?: string
  hasLocation: boolean
}

export const FORMATS = SUPPORTED_FORMATS.map((f) => f.mimetype)

const DAY = /^\d{4}-\d{2}-\d{2}$/
const validDay = (v: string | undefined) =>
  v && DAY.test(v) && !Number.isNaN(Date.parse(v)) ? v : undefined
const text = (v: string | undefined, max: number) => {
  const trimmed = v?.trim()
  return trimmed ? trimmed.slice(0, max) : undefined
}

/** Reads filters from a query, dropping what the API would refuse rather than failing the page. */
export function parseFilters(query: URLSearchParams): Filters {
  const format = query.get('format') ?? undefined
  return {
    q: text(query.get('q') ?? undefined, 200),
    tags: [...new Set(query.getAll('tag').flatMap((t) => text(t, 100) ?? []))].slice(0, 20),
    format: format && FORMATS.includes(format) ? format : undefined,
    from: validDay(query.get('from') ?? undefined),
    to: validDay(query.get('to') ?? undefined),
    hasLocation: query.get('has_location') === '1',
  }
}

/** The page query for these filters (and changes), as the URL shows it. */
export function filterQuery(filters: Filters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams()
  if (filters.q) params.set('q', filters.q)
  for (const tag of filters.tags) params.append('tag', tag)
  if (filters.format) params.set('format', filters.format)
  if (filters.from) params.set('from', filters.from)
  if (filters.to) params.set('to', filters.to)
  if (filters.hasLocation) params.set('has_location', '1')
  for (const [k, v] of Object.entries(extra)) params.set(k, v)
  const s = params.toString()
  return s ? `?${s}` : ''
}

/** The JSON API's list query for these filters. */
export function apiQuery(filters: Filters, limit: number, cursor?: string): string {
  const params = new URLSearchParams({ limit: String(limit) })
  if (filters.q) params.set('q', filters.q)
  for (const tag of filters.tags) params.append('tag', tag)
  if (filters.format) params.set('mimetype', filters.format)
  if (filters.from) params.set('uploaded_after', filters.from)
  if (filters.to) {
    // The API's bound is exclusive; the form's "to" day is inclusive.
    const next = new Date(`${filters.to}T00:00:00Z`)
    next.setUTCDate(next.getUTCDate() + 1)
    params.set('uploaded_before', next.toISOString())
  }
  if (cursor) params.set('cursor', cursor)
  return params.toString()
}
