/** @jsxImportSource hono/jsx */
// (The pragma keeps JSX on Hono when bun runs from a directory without this tsconfig.)
import type { Messages } from '../i18n'

/**
 * The upload page. The client script does the work (one XHR per file, for its progress); the
 * messages it needs are handed over as data attributes, in the page's language.
 */
export function UploadPage(props: { t: Messages }) {
  const { t } = props
  const messages = {
    pending: t.pending,
    stored: t.stored,
    alreadyStored: t.alreadyStored,
    nearDuplicate: t.nearDuplicate,
    failed: t.failed,
    view: t.view,
    title: t.title,
    description: t.description,
    tags: t.tags,
    removeFile: t.removeFile,
    untitled: t.untitled,
  }
  return (
    <section class="upload" data-messages={JSON.stringify(messages)}>
      <h1>{t.upload}</h1>
      <form id="upload-form">
        <div class="drop" id="drop">
          <p>{t.dropHere}</p>
          <label for="files" class="button">
            {t.chooseFiles}
          </label>
          <input
            type="file"
            id="files"
            name="files"
            accept="image/png,image/jpeg,image/gif,image/webp,image/bmp"
            multiple
            class="visually-hidden"
          />
        </div>
        <fieldset>
          <legend>{t.sharedFields}</legend>
          <div class="field">
            <label for="shared-title">{t.title}</label>
            <input id="shared-title" maxlength={500} />
          </div>
          <div class="field">
            <label for="shared-description">{t.description}</label>
            <textarea id="shared-description" rows={2} maxlength={10000} />
          </div>
          <div class="field">
            <label for="shared-tags">
              {t.tags} ({t.tagsHelp})
            </label>
            <input id="shared-tags" />
          </div>
        </fieldset>
        <ol id="file-list" class="file-list" aria-live="polite" />
        <button type="submit" id="upload-start" disabled>
          {t.start}
        </button>
      </form>
    </section>
  )
}
