import { setDefaultTimeout } from 'bun:test'

// Integration tests start real databases, s3rver and API processes; 5 s is too tight on 2 cores.
// (This reaches the first file only; `bun run test` passes --timeout for all of them.)
setDefaultTimeout(60_000)
