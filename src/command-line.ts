import { type Config, ConfigError, loadConfig } from './config'

/** A command line that does not parse: printed with the usage, exit 2. */
export class UsageError extends Error {}

// node:util parseArgs reports unknown or malformed options with these codes.
const isUsageError = (err: unknown) =>
  err instanceof UsageError ||
  String((err as { code?: unknown })?.code ?? '').startsWith('ERR_PARSE_ARGS')

/**
 * A CLI's arguments and the service's configuration, read the same way by every command:
 * `--help` prints `usage` and exits 0; a bad argument or configuration says why and exits 2.
 */
export function readCommandLine<A>(
  usage: string,
  parse: (argv: string[]) => A,
  requireConfig?: (config: Config) => void,
): { args: A; config: Config } {
  const argv = process.argv.slice(2)
  if (argv.includes('--help')) {
    console.log(usage)
    process.exit(0)
  }
  try {
    const args = parse(argv)
    const config = loadConfig()
    requireConfig?.(config)
    return { args, config }
  } catch (err) {
    const usageError = isUsageError(err)
    if (!usageError && !(err instanceof ConfigError)) throw err
    console.error(`${usageError ? 'usage' : 'configuration'} error: ${(err as Error).message}`)
    if (usageError) console.error(usage)
    process.exit(2)
  }
}
