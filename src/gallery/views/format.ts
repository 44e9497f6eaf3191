import type { ApiImage } from '../api-client'
import type { Language } from '../i18n'

/** The grid's picture: the thumb variant when the API offers one, else the original. */
export const thumbUrl = (image: ApiImage) => image.variants?.thumb ?? image.download_url

/** The detail view's picture: the large variant when offered, else the original. */
export const largeUrl = (image: ApiImage) => image.variants?.large ?? image.download_url

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

export function formatDate(iso: string, lang: Language): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  const text = date.toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'UTC',
  })
  return `${text} UTC`
}
