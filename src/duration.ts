const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * A duration in milliseconds: `45s`, `30m`, `2h`, `1d`, or fractional seconds as protobuf writes
 * them (`1.5s`); a bare number counts as seconds only with `bareSeconds`. undefined when malformed.
 */
export function parseDuration(
  text: unknown,
  options: { bareSeconds?: boolean } = {},
): number | undefined {
  if (typeof text !== 'string') return undefined
  const m = /^(?:(\d+\.\d+)s|(\d+)([smhd]?))$/.exec(text.trim())
  if (!m) return undefined
  const [, fractionalSeconds, amount = '', unit = ''] = m
  if (fractionalSeconds !== undefined) return Math.ceil(Number(fractionalSeconds) * 1000)
  if (unit === '' && !options.bareSeconds) return undefined
  return Number(amount) * (UNIT_MS[unit || 's'] ?? 1000)
}
