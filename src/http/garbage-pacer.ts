/**
 * JavaScriptCore frees dead request bodies lazily: under a stream of 5 MB uploads the API held
 * hundreds of MB of them (bench max@32: 520 MB peak RSS with 64 MiB of bodies in flight). A full
 * collection each time `every` bytes of bodies have been let go bounds that, for a few ms each.
 */
export class GarbagePacer {
  #since = 0

  constructor(
    readonly every: number,
    private readonly collect: () => void = () => Bun.gc(true),
  ) {}

  /** Notes `bytes` of request bodies that are garbage now; collects when `every` have passed. */
  released(bytes: number) {
    this.#since += bytes
    if (this.#since < this.every) return
    this.#since = 0
    this.collect()
  }
}
