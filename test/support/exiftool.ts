/**
 * Real EXIF written by exiftool, a tool independent of the code under test. Tests that need it
 * skip, with a message saying why, when it is not installed (`apt-get install
 * libimage-exiftool-perl`; .ci/run installs it).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const exiftool = Bun.which('exiftool')

export function skipWithoutExiftool(what: string) {
  if (!exiftool) {
    console.warn(`SKIP ${what}: exiftool is not installed (apt-get install libimage-exiftool-perl)`)
  }
  return !exiftool
}

/** Runs exiftool with `args` (e.g. `-Make=Canon`) on a copy of `bytes`; returns the new file. */
export async function withExiftool(
  bytes: Uint8Array,
  extension: string,
  args: string[],
): Promise<Uint8Array> {
  if (!exiftool) throw new Error('exiftool is not installed')
  const dir = await mkdtemp(join(tmpdir(), 'exiftool-'))
  try {
    const path = join(dir, `image.${extension}`)
    await Bun.write(path, bytes)
    const proc = Bun.spawn([exiftool, '-q', '-q', '-overwrite_original', ...args, path], {
      stderr: 'pipe',
    })
    if ((await proc.exited) !== 0) {
      throw new Error(`exiftool failed: ${await new Response(proc.stderr).text()}`)
    }
    return new Uint8Array(await Bun.file(path).arrayBuffer())
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Reads tags back as JSON (`-n`: numbers, not prose), to check what a file really carries. */
export async function readTags(bytes: Uint8Array, extension: string) {
  if (!exiftool) throw new Error('exiftool is not installed')
  const dir = await mkdtemp(join(tmpdir(), 'exiftool-'))
  try {
    const path = join(dir, `image.${extension}`)
    await Bun.write(path, bytes)
    const out = await new Response(
      Bun.spawn([exiftool, '-j', '-n', '-G', path], { stdout: 'pipe' }).stdout,
    ).text()
    return (JSON.parse(out) as Record<string, unknown>[])[0] ?? {}
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** A camera's worth of EXIF: orientation 6 (rotate 90° CW to display), GPS near the Eiffel Tower. */
export const CAMERA_TAGS = [
  '-Orientation#=6',
  '-Make=Canon',
  '-Model=Canon EOS 5D Mark IV',
  '-LensModel=EF24-70mm f/2.8L II USM',
  '-DateTimeOriginal=2021:06:01 12:34:56',
  '-OffsetTimeOriginal=+02:00',
  '-ISO=200',
  '-FNumber=2.8',
  '-ExposureTime=0.004',
  '-GPSLatitude=48.8584',
  '-GPSLatitudeRef=N',
  '-GPSLongitude=2.2945',
  '-GPSLongitudeRef=E',
  '-GPSAltitude=35',
  '-GPSAltitudeRef=0',
]
