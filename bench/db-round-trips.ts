/**
 * Database round trips of a process, counted by the kernel: the TCP segments carrying data that
 * the process sent on its established connections to the database port (`ss -ti`, data_segs_out).
 * A client writes each batch of statements it sends without waiting for an answer (a pipeline)
 * in one write, hence one segment on loopback (MSS 64 KiB): one segment is one round trip.
 * Connections opened or closed inside the window are counted only for the part they were open.
 */
export function dbSegmentsSent(pid: number, dbPort: number): number | null {
  const run = Bun.spawnSync(['ss', '-tinpH', 'state', 'established', `dport = :${dbPort}`], {
    stdout: 'pipe',
    stderr: 'ignore',
  })
  if (run.exitCode !== 0) return null
  // Each socket is one line of addresses and process, followed by one line of TCP details.
  const lines = run.stdout.toString().split('\n')
  let total = 0
  for (let i = 0; i < lines.length - 1; i++) {
    if (!lines[i]?.includes(`pid=${pid},`)) continue
    const segments = /data_segs_out:(\d+)/.exec(lines[i + 1] ?? '')
    total += Number(segments?.[1] ?? 0)
  }
  return total
}
