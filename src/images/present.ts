import type { ImageRow } from '../db/schema'
import type { DownloadLinks } from './download-links'

/** The JSON shape of an image, field names as the old service had them. */
export function presentImage(row: ImageRow, downloadUrl: string, variants: Record<string, string>) {
  return {
    id: row.id,
    s3_key: row.s3Key,
    md5_hash: row.md5Hash,
    original_filename: row.originalFilename,
    mimetype: row.mimetype,
    filesize: row.filesize,
    width: row.width,
    height: row.height,
    title: row.title,
    description: row.description,
    tags: row.tags,
    metadata: row.metadata,
    gemini_analysis: row.geminiAnalysis,
    analysis_status: row.analysisStatus,
    analysis_model: row.analysisModel,
    analysis_prompt_hash: row.analysisPromptHash,
    analysis_attempts: row.analysisAttempts,
    analysis_error: row.analysisError,
    analyzed_at: row.analyzedAt?.toISOString() ?? null,
    uploaded_at: row.uploadedAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    uploaded_by: row.uploadedBy,
    download_url: downloadUrl,
    variants,
    thumbhash: row.thumbhash,
    taken_at: row.takenAt?.toISOString() ?? null,
    camera_make: row.cameraMake,
    camera_model: row.cameraModel,
    lens: row.lens,
    orientation: row.orientation,
    gps_latitude: row.gpsLatitude,
    gps_longitude: row.gpsLongitude,
    gps_altitude: row.gpsAltitude,
    exif: row.exif,
  }
}

/** An image as the API shows it, with a fresh download_url and signed variant URLs for the request answered. */
export type ImagePresenter = (
  image: ImageRow,
  requestUrl: string,
) => ReturnType<typeof presentImage>

export const imagePresenter =
  (links: DownloadLinks): ImagePresenter =>
  (image, requestUrl) =>
    presentImage(image, links.forImage(image, requestUrl), links.forVariants(image, requestUrl))
