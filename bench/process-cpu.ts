import { readFileSync } from 'node:fs'

// USER_HZ: /proc reports CPU time in these ticks; 100 on every Linux this runs on (getconf CLK_TCK).
const TICKS_PER_SECOND = 100

export type CpuTime = { userMs: number; systemMs: number }

/** User and system CPU time of a process (all its threads) so far, in ms; null without /proc. */
export function processCpu(pid: number): CpuTime | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    const ms = (ticks: string | undefined) => (Number(ticks) * 1000) / TICKS_PER_SECOND
    return { userMs: ms(fields[11]), systemMs: ms(fields[12]) }
  } catch {
    return null
  }
}
