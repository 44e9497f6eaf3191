import { baseImage, SPECS, variant } from './images'

export type SoakSize = 'small' | 'medium'

/** What the soak knows about one image it uploaded; the bytes are rebuilt from (size, n). */
export type Entry = { id: string; md5: string; size: SoakSize; n: number; deletes: number }

// ~40 KB is the old service's typical upload; ~1 MB is the occasional photo.
const BASES: Record<SoakSize, Uint8Array> = {
  small: baseImage(SPECS.small),
  medium: baseImage({ width: 1440, height: 1080, quality: 75 }),
}

export const bytesOf = (size: SoakSize, n: number) => variant(BASES[size], `soak-${size}`, n)

export const baseSizes = () => ({ small: BASES.small.byteLength, medium: BASES.medium.byteLength })

/** The images uploaded and not yet deleted by this run; `deletes` counts the deletes issued on one. */
export class Pool {
  #entries: Entry[] = []
  #next = 0

  nextIndex() {
    return this.#next++
  }

  add(entry: Entry) {
    this.#entries.push(entry)
  }

  remove(entry: Entry) {
    const i = this.#entries.indexOf(entry)
    if (i >= 0) this.#entries.splice(i, 1)
  }

  get size() {
    return this.#entries.length
  }

  /** A random entry; `live` skips those with a delete in flight (a duplicate must still exist). */
  pick(live = false): Entry | undefined {
    const candidates = live ? this.#entries.filter((e) => e.deletes === 0) : this.#entries
    return candidates[Math.floor(Math.random() * candidates.length)]
  }
}
