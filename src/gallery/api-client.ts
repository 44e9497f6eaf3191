import type { Context } from 'hono'
import { CSRF_HEADER, SESSION_COOKIE, type Session } from './session'

/**
 * An image as the JSON API presents it. The optional fields come from other features (variants
 * and EXIF, near-duplicates); the gallery shows them when the API includes them.
 */
export type ApiImage = {
  id: string
  s3_key: string
  original_filename: string
  mimetype: string
  filesize: number
  width: number
  height: number
  title: string
  description: string
  tags: string[]
  metadata: Record<string, unknown>
  gemini_analysis: string | null
  analysis_status: string
  analysis_error: string | null
  uploaded_at: string
  uploaded_by: string | null
  download_url: string
  variants?: Partial<Record<'thumb' | 'small' | 'medium' | 'large', string>>
  thumbhash?: string | null
  taken_at?: string | null
  camera_make?: string | null
  camera_model?: string | null
  gps_latitude?: number | null
  gps_longitude?: number | null
}

export type ApiPage = { data: ApiImage[]; next_cursor: string | null }

/** The similar-images answer, whatever its exact shape: a list of images under `data`. */
export type SimilarImage = Pick<ApiImage, 'id' | 'title'> & Partial<ApiImage>

export type Fetch = (request: Request, env: unknown) => Response | Promise<Response>

/**
 * Calls the app's own JSON API in-process with the caller's session, so pages show exactly what
 * the API returns (variants, EXIF, similar images when those routes exist) without a second copy
 * of its logic. The CSRF header marks the call as the gallery's own (see `apiSession`).
 */
export class GalleryApi {
  constructor(private readonly fetch: Fetch) {}

  async get<T>(c: Context, session: Session, path: string): Promise<{ status: number; body?: T }> {
    const origin = new URL(c.req.url).origin
    const cookie = c.req.header('cookie') ?? ''
    const request = new Request(`${origin}${path}`, {
      headers: {
        cookie: cookie.includes(SESSION_COOKIE) ? cookie : '',
        [CSRF_HEADER]: session.csrf,
        accept: 'application/json',
      },
    })
    const res = await this.fetch(request, c.env)
    if (res.status !== 200) {
      await res.body?.cancel()
      return { status: res.status }
    }
    return { status: 200, body: (await res.json()) as T }
  }
}
