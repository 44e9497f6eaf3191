import { setDefaultTimeout } from 'bun:test'

// Integration tests start real databases, s3rver and API processes; 5 s is too tight on 2 cores.
setDefaultTimeout(30_000)
