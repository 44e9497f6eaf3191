/** @jsxImportSource hono/jsx */
// (The pragma keeps JSX on Hono when bun runs from a directory without this tsconfig.)
import type { ApiImage, SimilarImage } from '../api-client'
import type { Language, Messages } from '../i18n'
import { formatBytes, formatDate, largeUrl, thumbUrl } from './format'

function Exif(props: { image: ApiImage; t: Messages; lang: Language }) {
  const { image, t } = props
  const camera = [image.camera_make, image.camera_model].filter(Boolean).join(' ')
  const lat = image.gps_latitude
  const lon = image.gps_longitude
  const located = typeof lat === 'number' && typeof lon === 'number'
  if (!camera && !image.taken_at && !located) return null
  return (
    <section aria-labelledby="exif-h">
      <h2 id="exif-h">{t.exif}</h2>
      <dl>
        {camera && (
          <>
            <dt>{t.camera}</dt>
            <dd>{camera}</dd>
          </>
        )}
        {image.taken_at && (
          <>
            <dt>{t.takenAt}</dt>
            <dd>
              <time datetime={image.taken_at}>{formatDate(image.taken_at, props.lang)}</time>
            </dd>
          </>
        )}
        {located && (
          <>
            <dt>{t.location}</dt>
            <dd>
              <a
                href={`https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=15/${lat}/${lon}`}
                rel="noopener noreferrer"
                target="_blank"
              >
                {`${lat.toFixed(5)}, ${lon.toFixed(5)}`} — {t.showOnMap}
              </a>
            </dd>
          </>
        )}
      </dl>
    </section>
  )
}

function Similar(props: { similar?: SimilarImage[]; t: Messages }) {
  const { similar, t } = props
  if (!similar || similar.length === 0) return null
  return (
    <section aria-labelledby="similar-h">
      <h2 id="similar-h">{t.similar}</h2>
      <ul class="grid small">
        {similar.map((s) => {
          const pictured = Boolean(s.download_url || s.variants?.thumb)
          return (
            <li>
              <a href={`/gallery/images/${s.id}`} class="cell">
                {pictured ? (
                  <img
                    src={thumbUrl(s as ApiImage)}
                    alt={s.title || t.untitled}
                    loading="lazy"
                    width={120}
                    height={120}
                    data-thumbhash={s.thumbhash ?? undefined}
                  />
                ) : null}
                <span class="caption" aria-hidden={pictured ? 'true' : undefined}>
                  {s.title || t.untitled}
                </span>
              </a>
            </li>
          )
        })}
      </ul>
    </section>
  )
}

function EditForm(props: { image: ApiImage; t: Messages }) {
  const { image, t } = props
  return (
    <form id="edit-form" class="edit" hidden data-id={image.id}>
      <div class="field">
        <label for="edit-title">{t.title}</label>
        <input id="edit-title" name="title" value={image.title} maxlength={500} />
      </div>
      <div class="field">
        <label for="edit-description">{t.description}</label>
        <textarea id="edit-description" name="description" rows={4} maxlength={10000}>
          {image.description}
        </textarea>
      </div>
      <div class="field">
        <label for="edit-tags">
          {t.tags} ({t.tagsHelp})
        </label>
        <input id="edit-tags" name="tags" value={image.tags.join(', ')} />
      </div>
      <div class="actions">
        <button type="submit">{t.save}</button>
        <button type="button" class="secondary" id="edit-cancel">
          {t.cancel}
        </button>
      </div>
    </form>
  )
}

/** One image: the large picture, its fields, EXIF, analysis, similar images and actions. */
export function DetailPage(props: {
  image: ApiImage
  similar?: SimilarImage[]
  writable: boolean
  t: Messages
  lang: Language
}) {
  const { image, t, lang, writable } = props
  const extra = Object.entries(image.metadata)
  return (
    <article
      class="detail"
      data-id={image.id}
      data-messages={JSON.stringify({ saved: t.saved, deleted: t.deleted, untitled: t.untitled })}
    >
      <p>
        <a href="/">← {t.back}</a>
      </p>
      <div class="detail-layout">
        <figure class="picture">
          <img
            src={largeUrl(image)}
            alt={image.title || image.original_filename}
            width={image.width}
            height={image.height}
            data-thumbhash={image.thumbhash ?? undefined}
          />
        </figure>
        <div class="facts">
          <div id="view-fields">
            <h1 id="image-title">{image.title || t.untitled}</h1>
            <p id="image-description" class="description">
              {image.description}
            </p>
            <ul class="chips" id="image-tags" aria-label={t.tags}>
              {image.tags.map((tag) => (
                <li>
                  <a class="chip" href={`/?tag=${encodeURIComponent(tag)}`}>
                    #{tag}
                  </a>
                </li>
              ))}
            </ul>
          </div>
          {writable && <EditForm image={image} t={t} />}
          <p class="actions" id="actions">
            <a class="button" href={image.download_url} download={image.original_filename}>
              {t.download}
            </a>
            {writable && (
              <>
                <button type="button" id="edit-open" aria-controls="edit-form">
                  {t.edit}
                </button>
                <button type="button" id="delete-open" class="danger">
                  {t.delete}
                </button>
              </>
            )}
          </p>
          <p id="status" role="status" aria-live="polite" />
          <section aria-labelledby="details-h">
            <h2 id="details-h">{t.details}</h2>
            <dl>
              <dt>{t.filename}</dt>
              <dd>{image.original_filename}</dd>
              <dt>{t.format}</dt>
              <dd>{image.mimetype}</dd>
              <dt>{t.size}</dt>
              <dd>{formatBytes(image.filesize)}</dd>
              <dt>{t.dimensions}</dt>
              <dd>{`${image.width} × ${image.height}`}</dd>
              <dt>{t.uploadedAt}</dt>
              <dd>
                <time datetime={image.uploaded_at}>{formatDate(image.uploaded_at, lang)}</time>
              </dd>
              {image.uploaded_by && (
                <>
                  <dt>{t.uploadedBy}</dt>
                  <dd>{image.uploaded_by}</dd>
                </>
              )}
            </dl>
          </section>
          {extra.length > 0 && (
            <section aria-labelledby="metadata-h">
              <h2 id="metadata-h">{t.metadata}</h2>
              <dl>
                {extra.map(([key, value]) => (
                  <>
                    <dt>{key}</dt>
                    <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
                  </>
                ))}
              </dl>
            </section>
          )}
          <Exif image={image} t={t} lang={lang} />
          <section aria-labelledby="analysis-h">
            <h2 id="analysis-h">{t.analysis}</h2>
            <p>
              {t.analysisStatus}: <span class="badge">{image.analysis_status}</span>
            </p>
            {image.gemini_analysis ? (
              <p class="analysis">{image.gemini_analysis}</p>
            ) : (
              <p>{image.analysis_error ?? t.noAnalysis}</p>
            )}
          </section>
        </div>
      </div>
      <Similar similar={props.similar} t={t} />
      {writable && (
        <dialog id="delete-dialog" aria-labelledby="delete-h">
          <form method="dialog">
            <h2 id="delete-h">{t.delete}</h2>
            <p>{t.confirmDelete}</p>
            <div class="actions">
              <button type="submit" value="cancel" class="secondary" autofocus>
                {t.cancel}
              </button>
              <button type="submit" value="delete" id="delete-confirm" class="danger">
                {t.delete}
              </button>
            </div>
          </form>
        </dialog>
      )}
    </article>
  )
}
