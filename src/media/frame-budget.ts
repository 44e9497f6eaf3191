/** The dimension limits an image must keep, its canvas and every frame or header inside it. */
export type ImageLimits = {
  /** Largest width or height of the canvas and of any frame, SOF or bitstream header. */
  maxSide: number
  /** Largest width × height of the canvas and of any frame. */
  maxPixels: number
  /** Most frames an image may have (a still image has one). */
  maxFrames: number
  /** Most pixels a decoder renders for all frames: each frame counts at the full canvas size. */
  maxTotalFramePixels: number
}

export const NO_IMAGE_LIMITS: ImageLimits = Object.freeze({
  maxSide: Number.POSITIVE_INFINITY,
  maxPixels: Number.POSITIVE_INFINITY,
  maxFrames: Number.POSITIVE_INFINITY,
  maxTotalFramePixels: Number.POSITIVE_INFINITY,
})

/** A limit the image goes over, in one sentence. */
export type OverLimit = { error: string; overLimit: true }

/**
 * Counts an image's sizes and frames against the limits while a parser walks the file, so the
 * parser stops at the first one over a limit instead of walking the rest of a frame bomb.
 */
export class FrameBudget {
  private frameCount = 0
  private canvasWidth = 0
  private canvasHeight = 0

  constructor(private readonly limits: ImageLimits) {}

  get frames() {
    return this.frameCount
  }

  /** The outer size (screen, IHDR, first SOF, VP8X canvas); every frame is rendered at it. */
  canvas(width: number, height: number): OverLimit | undefined {
    this.canvasWidth = width
    this.canvasHeight = height
    return this.size('', width, height)
  }

  /** A still image: its canvas is its one frame. */
  still(width: number, height: number): OverLimit | undefined {
    return this.canvas(width, height) ?? this.addFrames(1)
  }

  /** Any declared size (a frame, a SOF, a bitstream header) against the side and pixel limits. */
  size(label: string, width: number, height: number): OverLimit | undefined {
    const { maxSide, maxPixels } = this.limits
    const prefix = label === '' ? '' : `${label}: `
    if (width > maxSide || height > maxSide) {
      return overLimit(`${prefix}${width}x${height} exceeds the limit of ${maxSide} pixels a side`)
    }
    if (width * height > maxPixels) {
      return overLimit(`${prefix}${width}x${height} exceeds the limit of ${maxPixels} pixels`)
    }
    return undefined
  }

  /** One more frame: its own size, then the frame count and the pixels of all frames so far. */
  frame(label: string, width: number, height: number): OverLimit | undefined {
    return this.size(label, width, height) ?? this.addFrames(1)
  }

  /** A frame count the file declares up front (APNG acTL), refused before its frames are read. */
  declared(frames: number): OverLimit | undefined {
    return this.check(frames)
  }

  private addFrames(count: number): OverLimit | undefined {
    const over = this.check(this.frameCount + count)
    if (!over) this.frameCount += count
    return over
  }

  private check(frames: number): OverLimit | undefined {
    const { maxFrames, maxTotalFramePixels } = this.limits
    if (frames > maxFrames) return overLimit(`The image exceeds the limit of ${maxFrames} frames`)
    const { canvasWidth: width, canvasHeight: height } = this
    if (frames * width * height > maxTotalFramePixels) {
      const counted = frames === 1 ? '1 frame of' : `${frames} frames of`
      const verb = frames === 1 ? 'exceeds' : 'exceed'
      return overLimit(
        `${counted} ${width}x${height} ${verb} the limit of ${maxTotalFramePixels} pixels for all frames together`,
      )
    }
    return undefined
  }
}

function overLimit(error: string): OverLimit {
  return { error, overLimit: true }
}
