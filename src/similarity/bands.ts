/** The four 16-bit bands of a 64-bit hash, high bits first (as the `hash_band0..3` columns). */
export function hashBands(hash: bigint): [number, number, number, number] {
  const h = BigInt.asUintN(64, hash)
  return [48n, 32n, 16n, 0n].map((shift) => Number((h >> shift) & 0xffffn)) as [
    number,
    number,
    number,
    number,
  ]
}

/** Every 16-bit value within Hamming distance `radius` of `value`, itself included. */
export function bandNeighbours(value: number, radius: number): number[] {
  const out = [value]
  const flip = (from: number, start: number, left: number) => {
    for (let bit = start; bit < 16; bit++) {
      const next = from ^ (1 << bit)
      out.push(next)
      if (left > 1) flip(next, bit + 1, left - 1)
    }
  }
  if (radius > 0) flip(value, 0, radius)
  return out
}

/**
 * Multi-index hashing: two hashes within distance d agree to within ⌊d/4⌋ bits in at least one of
 * their four bands (pigeonhole), so the candidates are the rows whose band value is one of these.
 */
export function bandCandidates(hash: bigint, maxDistance: number): number[][] {
  const radius = Math.floor(maxDistance / 4)
  return hashBands(hash).map((band) => bandNeighbours(band, radius))
}
