/** Chunks of a RIFF (WebP) file: fourcc, payload offset and length; the file was checked first. */
export type RiffChunk = { type: string; at: number; payload: number; length: number }

export function riffChunks(bytes: Uint8Array): RiffChunk[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const chunks: RiffChunk[] = []
  let at = 12
  while (at + 8 <= bytes.byteLength) {
    const length = view.getUint32(at + 4, true)
    const type = String.fromCharCode(...bytes.subarray(at, at + 4))
    if (at + 8 + length > bytes.byteLength) break
    chunks.push({ type, at, payload: at + 8, length })
    at += 8 + length + (length & 1)
  }
  return chunks
}

const EXIF_PREFIX = [0x45, 0x78, 0x69, 0x66, 0, 0] // "Exif\0\0", which some writers add

/** Offset of the TIFF header inside an EXIF payload (after an optional "Exif\0\0"). */
export function tiffStart(bytes: Uint8Array, payload: number) {
  return EXIF_PREFIX.every((b, i) => bytes[payload + i] === b) ? payload + 6 : payload
}
