import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'

/** Debian's chromium (CI installs it when absent); CHROMIUM_PATH overrides. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']
  const found = candidates.find((p): p is string => Boolean(p && existsSync(p)))
  if (!found) {
    throw new Error('chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)')
  }
  return found
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in CI containers has no user namespace for the sandbox; /dev/shm is often tiny there.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--lang=en-US'],
  })
}

export type ConsoleEntry = { text: string; url: string }

/** Every console error and uncaught exception of the page, with the URL it came from. */
export function collectConsoleErrors(page: Page): ConsoleEntry[] {
  const errors: ConsoleEntry[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') {
      errors.push({ text: message.text(), url: message.location().url ?? '' })
    }
  })
  page.on('pageerror', (err) => {
    errors.push({ text: String(err), url: page.url() })
  })
  return errors
}

/** One axe rule broken on the page, and on how many elements. */
export type AxeViolation = { id: string; impact: string | null; help: string; nodes: number }

/** Runs axe-core (from node_modules, injected by the test only) on the current page. */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  // The gallery's CSP allows only its own scripts; the test bypasses it to inject axe.
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') })
  return page.evaluate(async () => {
    // Runs in the page, where axe is the global injected above (no DOM types here).
    const { axe } = globalThis as unknown as {
      axe: {
        run(): Promise<{
          violations: { id: string; impact: string | null; help: string; nodes: unknown[] }[]
        }>
      }
    }
    const result = await axe.run()
    return result.violations.map(
      (v: { id: string; impact: string | null; help: string; nodes: unknown[] }) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.length,
      }),
    )
  })
}

/** Where screenshots go; the test prints each path. */
export async function artifactDir(name: string): Promise<string> {
  const dir = join(import.meta.dir, '..', '..', 'test-artifacts', name)
  await mkdir(dir, { recursive: true })
  return dir
}
