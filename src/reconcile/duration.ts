const UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }

/** `30m`, `2h`, `1d`, `45s`, `90` (seconds) or `0` to seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim())
  if (!m) return undefined
  const [, amount = '', unit = ''] = m
  return Number(amount) * (UNITS[unit] ?? 1)
}
