/** One scripted answer of the fake: what the next generateContent call gets. */
export type FakeReply =
  | { kind: 'text'; text: string; delayMs?: number }
  | { kind: 'delay'; ms: number; text?: string }
  | { kind: 'error'; status: number; message?: string }
  | { kind: 'rate-limited'; retryDelay?: string; retryAfter?: string }
  | { kind: 'malformed' }
  | { kind: 'blocked' }
  | { kind: 'safety' }
  | { kind: 'no-candidates' }
  | { kind: 'empty-text' }

export type FakeRequest = {
  path: string
  model: string
  apiKey: string | null
  mimeType?: string
  data?: string
  prompt?: string
}

export type FakeGemini = {
  baseUrl: string
  /** generateContent calls, in order. */
  requests: FakeRequest[]
  /** models.get calls: the model name asked for, in order. */
  lookups: string[]
  /** Makes a model known (models.get answers it; generateContent accepts it). */
  addModel(name: string, supportedGenerationMethods?: string[]): void
  /** Forgets a model: models.get and generateContent answer 404 NOT_FOUND for it. */
  removeModel(name: string): void
  /** Queues replies for the next models.get calls (only `error` replies make sense). */
  scriptLookup(...replies: FakeReply[]): void
  /** Queues replies for the next calls, in order. */
  script(...replies: FakeReply[]): void
  /** Queues replies for the next calls about one image (its base64 data), ahead of `script`. */
  scriptFor(base64: string, ...replies: FakeReply[]): void
  /** The reply once the script is exhausted (default: a fixed success text). */
  setDefault(reply: FakeReply | ((request: FakeRequest) => FakeReply)): void
  requestsFor(base64: string): FakeRequest[]
  stop(): Promise<void>
}

const ROUTE = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):generateContent$/
const MODEL_ROUTE = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+)$/

/** Models the fake knows from the start: the test default and the README's two choices. */
export const FAKE_KNOWN_MODELS = ['gemini-test-flash', 'gemini-3.8-flash', 'gemini-3.5-flash-lite']

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  503: 'UNAVAILABLE',
}

type Part = { text?: string; inlineData?: { mimeType?: string; data?: string } }
type Body = { contents?: { parts?: Part[] }[] }

const candidate = (text: string, finishReason = 'STOP') => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason, index: 0 }],
  usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
})

const googleError = (status: number, code: string, message: string, details: unknown[] = []) =>
  Response.json({ error: { code: status, message, status: code, details } }, { status })

/**
 * A local stand-in for the Gemini REST API (`POST /{version}/models/{model}:generateContent`),
 * scripted call by call, recording every request it receives.
 */
export function startFakeGemini(): FakeGemini {
  const requests: FakeRequest[] = []
  const lookups: string[] = []
  const lookupQueue: FakeReply[] = []
  const models = new Map<string, string[]>(
    FAKE_KNOWN_MODELS.map((m) => [m, ['generateContent', 'countTokens']]),
  )
  // Google's own wording for a model it does not have.
  const unknownModel = (version: string, model: string) =>
    googleError(
      404,
      'NOT_FOUND',
      `models/${model} is not found for API version ${version}, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
    )
  const queue: FakeReply[] = []
  const queues = new Map<string, FakeReply[]>()
  let fallback: FakeReply | ((request: FakeRequest) => FakeReply) = {
    kind: 'text',
    text: 'A fake description',
  }

  async function reply(r: FakeReply, signal: AbortSignal): Promise<Response> {
    switch (r.kind) {
      case 'text':
        if (r.delayMs) await Bun.sleep(r.delayMs)
        return Response.json(candidate(r.text))
      case 'delay':
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, r.ms)
          signal.addEventListener('abort', () => {
            clearTimeout(timer)
            resolve(undefined)
          })
        })
        return Response.json(candidate(r.text ?? 'A late description'))
      case 'error':
        return googleError(
          r.status,
          STATUS_NAMES[r.status] ?? 'INTERNAL',
          r.message ?? 'Internal error encountered.',
        )
      case 'rate-limited': {
        const details = r.retryDelay
          ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: r.retryDelay }]
          : []
        const res = googleError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', details)
        if (r.retryAfter) res.headers.set('Retry-After', r.retryAfter)
        return res
      }
      case 'malformed':
        return new Response('{"candidates": [{"content": ', {
          headers: { 'Content-Type': 'application/json' },
        })
      case 'blocked':
        return Response.json({ promptFeedback: { blockReason: 'SAFETY' } })
      case 'safety':
        return Response.json({
          candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [] }],
        })
      case 'no-candidates':
        return Response.json({ candidates: [] })
      case 'empty-text':
        return Response.json(candidate(''))
    }
  }

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 60,
    async fetch(req) {
      const url = new URL(req.url)
      const lookup = MODEL_ROUTE.exec(url.pathname)
      if (req.method === 'GET' && lookup) {
        const [, version = 'v1beta', name = ''] = lookup
        const model = decodeURIComponent(name)
        lookups.push(model)
        const scripted = lookupQueue.shift()
        if (scripted) return reply(scripted, req.signal)
        const methods = models.get(model)
        if (!methods) return unknownModel(version, model)
        return Response.json({
          name: `models/${model}`,
          version: '001',
          displayName: model,
          inputTokenLimit: 1048576,
          outputTokenLimit: 65536,
          supportedGenerationMethods: methods,
        })
      }
      const match = ROUTE.exec(url.pathname)
      if (req.method !== 'POST' || !match) {
        return googleError(404, 'NOT_FOUND', `No route ${req.method} ${url.pathname}`)
      }
      const body = (await req.json()) as Body
      const parts = body.contents?.flatMap((c) => c.parts ?? []) ?? []
      const image = parts.find((p) => p.inlineData)?.inlineData
      const request: FakeRequest = {
        path: url.pathname,
        model: decodeURIComponent(match[2] ?? ''),
        apiKey: req.headers.get('x-goog-api-key') ?? url.searchParams.get('key'),
        mimeType: image?.mimeType,
        data: image?.data,
        prompt: parts.find((p) => typeof p.text === 'string')?.text,
      }
      requests.push(request)
      if (!models.has(request.model)) return unknownModel(match[1] ?? 'v1beta', request.model)
      const next =
        queues.get(request.data ?? '')?.shift() ??
        queue.shift() ??
        (typeof fallback === 'function' ? fallback(request) : fallback)
      return reply(next, req.signal)
    },
  })

  return {
    baseUrl: `http://127.0.0.1:${server.port}`,
    requests,
    lookups,
    addModel: (name, methods = ['generateContent', 'countTokens']) => {
      models.set(name, methods)
    },
    removeModel: (name) => {
      models.delete(name)
    },
    scriptLookup: (...replies) => {
      lookupQueue.push(...replies)
    },
    script: (...replies) => {
      queue.push(...replies)
    },
    scriptFor: (base64, ...replies) => {
      queues.set(base64, [...(queues.get(base64) ?? []), ...replies])
    },
    setDefault: (r) => {
      fallback = r
    },
    requestsFor: (base64) => requests.filter((r) => r.data === base64),
    stop: () => server.stop(true),
  }
}
