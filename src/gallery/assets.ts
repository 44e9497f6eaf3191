import { readFileSync } from 'node:fs'
import { join } from 'node:path'

type Asset = { body: Uint8Array; type: string }

const CLIENT_DIR = join(import.meta.dir, 'client')

/**
 * The gallery's static files, read once at start-up: its own script and style, and the
 * `thumbhash` decoder from npm, all served by the process (no CDN, no bundler). Their URL carries
 * a hash of the contents, so browsers may cache them for good.
 */
export class GalleryAssets {
  readonly version: string
  readonly #files: Map<string, Asset>

  private constructor(files: Map<string, Asset>) {
    this.#files = files
    const hasher = new Bun.CryptoHasher('sha256')
    for (const [name, asset] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
      hasher.update(name).update(asset.body)
    }
    this.version = hasher.digest('hex').slice(0, 12)
  }

  static load(): GalleryAssets {
    const sources: [string, string, string][] = [
      ['gallery.js', join(CLIENT_DIR, 'gallery.js'), 'text/javascript; charset=utf-8'],
      ['gallery.css', join(CLIENT_DIR, 'gallery.css'), 'text/css; charset=utf-8'],
      [
        'thumbhash.js',
        Bun.resolveSync('thumbhash', import.meta.dir),
        'text/javascript; charset=utf-8',
      ],
    ]
    const files = new Map<string, Asset>()
    for (const [name, path, type] of sources) {
      files.set(name, { body: new Uint8Array(readFileSync(path)), type })
    }
    return new GalleryAssets(files)
  }

  get(name: string): Asset | undefined {
    return this.#files.get(name)
  }
}
