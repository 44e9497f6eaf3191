// Container HEALTHCHECK probe (the distroless image has no curl or shell): exit 0 only when
// GET /health on this container's own port answers 2xx within the timeout.
const port = process.env.PORT || '8000'
const timeoutMs = 4000

try {
  const res = await fetch(`http://127.0.0.1:${port}/health`, {
    signal: AbortSignal.timeout(timeoutMs),
  })
  process.exit(res.ok ? 0 : 1)
} catch {
  process.exit(1)
}
