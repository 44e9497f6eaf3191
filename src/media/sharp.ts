import type sharp from 'sharp'
import type { Sharp as SharpPipeline } from 'sharp'

export type Sharp = typeof sharp
/** A sharp pipeline. */
export type Pipeline = SharpPipeline

let loaded: Promise<Sharp> | undefined

/**
 * sharp with this API's settings, loaded by the first image that needs pixels rather than at
 * start-up: sharp and libvips are about 25 MB resident, which an idle embedded API does not need.
 * libvips' operation cache keeps recent decoded images for re-use; every request here reads a
 * different image, so it only costs memory. One libvips thread per image: requests already run
 * in parallel, and more threads per image on a small machine only contend with each other.
 */
export function loadSharp(): Promise<Sharp> {
  loaded ??= import('sharp').then(({ default: loadedSharp }) => {
    loadedSharp.cache(false)
    loadedSharp.concurrency(1)
    return loadedSharp
  })
  return loaded
}
