type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 } as const

export type Logger = Record<Level, (msg: string, fields?: Record<string, unknown>) => void>

/** One JSON object per line on stdout; callers must never pass secrets in `fields`. */
export function createLogger(
  level: keyof typeof ORDER = 'info',
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const at = (l: Level) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[l] < ORDER[level]) return
    write(JSON.stringify({ time: new Date().toISOString(), level: l, msg, ...fields }))
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
