/** @jsxImportSource hono/jsx */
// (The pragma keeps JSX on Hono when bun runs from a directory without this tsconfig.)
import type { ApiImage } from '../api-client'
import { type Filters, FORMATS, filterQuery } from '../filters'
import type { Messages } from '../i18n'
import { thumbUrl } from './format'

/** One grid cell: a link to the detail view around a lazily loaded thumbnail. */
export function GridItems(props: { images: ApiImage[]; t: Messages }) {
  return (
    <>
      {props.images.map((image) => (
        <li>
          <a href={`/gallery/images/${image.id}`} class="cell">
            <img
              src={thumbUrl(image)}
              alt={image.title || image.original_filename}
              loading="lazy"
              decoding="async"
              width={200}
              height={200}
              data-thumbhash={image.thumbhash ?? undefined}
            />
            {/* The link is named by the alt text; the caption repeats it for sighted users. */}
            <span class="caption" aria-hidden="true">
              {image.title || props.t.untitled}
            </span>
          </a>
        </li>
      ))}
    </>
  )
}

function FilterForm(props: { filters: Filters; t: Messages }) {
  const { filters, t } = props
  return (
    <search>
      <form method="get" action="/" class="filters">
        <div class="field grow">
          <label for="q">{t.search}</label>
          <input
            type="search"
            id="q"
            name="q"
            value={filters.q ?? ''}
            placeholder={t.searchPlaceholder}
            maxlength={200}
          />
        </div>
        {filters.tags.map((tag) => (
          <input type="hidden" name="tag" value={tag} />
        ))}
        <div class="field">
          <label for="format">{t.format}</label>
          <select id="format" name="format">
            <option value="">{t.anyFormat}</option>
            {FORMATS.map((f) => (
              <option value={f} selected={f === filters.format}>
                {f.replace('image/', '').toUpperCase()}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="from">{t.from}</label>
          <input type="date" id="from" name="from" value={filters.from ?? ''} />
        </div>
        <div class="field">
          <label for="to">{t.to}</label>
          <input type="date" id="to" name="to" value={filters.to ?? ''} />
        </div>
        <div class="field check">
          <input
            type="checkbox"
            id="has_location"
            name="has_location"
            value="1"
            checked={filters.hasLocation}
          />
          <label for="has_location">{t.hasLocation}</label>
        </div>
        <div class="field actions">
          <button type="submit">{t.apply}</button>
          <a href="/" class="button secondary">
            {t.clear}
          </a>
        </div>
      </form>
    </search>
  )
}

/** Active tags (removable) and the tags of the shown images (addable), as links. */
function TagChips(props: { filters: Filters; images: ApiImage[]; t: Messages }) {
  const { filters, t } = props
  const active = filters.tags
  const seen = new Set(active)
  const suggested: string[] = []
  for (const image of props.images) {
    for (const tag of image.tags) {
      if (!seen.has(tag) && suggested.length < 20) {
        seen.add(tag)
        suggested.push(tag)
      }
    }
  }
  if (active.length === 0 && suggested.length === 0) return null
  return (
    <nav class="chips" aria-label={t.tags}>
      <ul>
        {active.map((tag) => (
          <li>
            <a
              class="chip active"
              aria-label={`${t.removeTag}: ${tag}`}
              href={`/${filterQuery({ ...filters, tags: active.filter((x) => x !== tag) })}`}
            >
              {tag} <span aria-hidden="true">×</span>
            </a>
          </li>
        ))}
        {suggested.map((tag) => (
          <li>
            <a
              class="chip"
              aria-label={`${t.filterByTag}: ${tag}`}
              href={`/${filterQuery({ ...filters, tags: [...active, tag] })}`}
            >
              #{tag}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  )
}

/** The browse page: filters, tag chips, the grid and its "load more" link. */
export function GridPage(props: {
  filters: Filters
  images: ApiImage[]
  nextCursor: string | null
  t: Messages
}) {
  const { filters, images, nextCursor, t } = props
  return (
    <>
      <h1 class="visually-hidden">{t.browse}</h1>
      <FilterForm filters={filters} t={t} />
      <TagChips filters={filters} images={images} t={t} />
      {images.length === 0 ? (
        <p class="empty">{t.noImages}</p>
      ) : (
        <ul class="grid" id="grid">
          <GridItems images={images} t={t} />
        </ul>
      )}
      {nextCursor && (
        <p class="more">
          <a
            id="load-more"
            class="button"
            href={`/${filterQuery(filters, { cursor: nextCursor })}`}
            data-fragment={`/gallery/grid${filterQuery(filters, { cursor: nextCursor })}`}
          >
            {t.loadMore}
          </a>
        </p>
      )}
    </>
  )
}
