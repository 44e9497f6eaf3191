// The gallery's page script: plain ES module, no build step. Served by the process with thumbhash.js.
import { thumbHashToDataURL } from './thumbhash.js'

const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? ''

/** Calls the JSON API with the session cookie; the CSRF header is what lets it through. */
function api(path, init = {}) {
  const headers = { 'X-CSRF-Token': csrf, ...(init.headers ?? {}) }
  return fetch(path, { ...init, headers, credentials: 'same-origin' })
}

const readJson = (res) => res.json().catch(() => ({}))

/** Paints each image's thumbhash (when it has one) behind it until the picture itself has loaded. */
function placeholders(root) {
  for (const img of root.querySelectorAll('img[data-thumbhash]')) {
    if (img.complete && img.naturalWidth > 0) continue
    try {
      const bytes = Uint8Array.from(atob(img.dataset.thumbhash), (ch) => ch.charCodeAt(0))
      img.style.backgroundImage = `url("${thumbHashToDataURL(bytes)}")`
      img.classList.add('placeholder')
      const clear = () => {
        img.style.backgroundImage = ''
        img.classList.remove('placeholder')
      }
      img.addEventListener('load', clear, { once: true })
    } catch {
      // A malformed hash only costs the placeholder.
    }
  }
}

/** Arrow keys move between grid cells; Tab still walks them in order. */
function gridKeys(grid) {
  grid.addEventListener('keydown', (event) => {
    const keys = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End']
    if (!keys.includes(event.key)) return
    const cells = [...grid.querySelectorAll('a.cell')]
    const index = cells.indexOf(document.activeElement)
    if (index < 0) return
    const top = cells[0].getBoundingClientRect().top
    const columns = Math.max(1, cells.filter((c) => c.getBoundingClientRect().top === top).length)
    const moves = {
      ArrowLeft: index - 1,
      ArrowRight: index + 1,
      ArrowUp: index - columns,
      ArrowDown: index + columns,
      Home: 0,
      End: cells.length - 1,
    }
    const target = cells[moves[event.key]]
    if (target) {
      event.preventDefault()
      target.focus()
    }
  })
}

/** "Load more" fetches the next page's cells in place; scrolling near it does the same. */
function infiniteScroll() {
  const more = document.getElementById('load-more')
  const grid = document.getElementById('grid')
  if (!more || !grid) return
  let loading = false
  let observer
  async function load(moveFocus) {
    if (loading || !more.dataset.fragment) return
    loading = true
    more.setAttribute('aria-busy', 'true')
    try {
      const res = await fetch(more.dataset.fragment, { credentials: 'same-origin' })
      if (!res.ok) return
      const template = document.createElement('template')
      template.innerHTML = await res.text()
      placeholders(template.content)
      const first = template.content.querySelector('a.cell')
      grid.append(template.content)
      if (moveFocus) first?.focus()
      const next = res.headers.get('X-Next-Fragment')
      if (next) {
        more.dataset.fragment = next
        more.href = res.headers.get('X-Next-Page') ?? more.href
      } else {
        observer?.disconnect()
        more.parentElement?.remove()
      }
    } finally {
      loading = false
      more.removeAttribute('aria-busy')
    }
  }
  more.addEventListener('click', (event) => {
    event.preventDefault()
    load(true)
  })
  if ('IntersectionObserver' in window) {
    observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) load(false)
      },
      { rootMargin: '600px' },
    )
    observer.observe(more)
  }
}

const splitTags = (value) =>
  value
    .split(/[,、，]/)
    .map((t) => t.trim())
    .filter(Boolean)

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value)
  }
  node.append(...children)
  return node
}

/** Detail view: edit in place (PATCH) and delete after a confirmation dialog (DELETE). */
function detail() {
  const article = document.querySelector('article.detail')
  if (!article) return
  const id = article.dataset.id
  const messages = JSON.parse(article.dataset.messages ?? '{}')
  const status = document.getElementById('status')
  const form = document.getElementById('edit-form')
  const open = document.getElementById('edit-open')
  const view = document.getElementById('view-fields')
  if (form && open && view) {
    const close = () => {
      form.hidden = true
      view.hidden = false
      open.setAttribute('aria-expanded', 'false')
      open.focus()
    }
    open.setAttribute('aria-expanded', 'false')
    open.addEventListener('click', () => {
      form.hidden = false
      view.hidden = true
      open.setAttribute('aria-expanded', 'true')
      form.querySelector('input')?.focus()
    })
    document.getElementById('edit-cancel')?.addEventListener('click', close)
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') close()
    })
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      const data = new FormData(form)
      const body = {
        title: String(data.get('title') ?? ''),
        description: String(data.get('description') ?? ''),
        tags: splitTags(String(data.get('tags') ?? '')),
      }
      const res = await api(`/api/images/${id}`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      })
      const answer = await readJson(res)
      if (!res.ok) {
        status.textContent = answer.message ?? `${res.status}`
        return
      }
      const image = answer.data
      document.getElementById('image-title').textContent = image.title || messages.untitled
      document.getElementById('image-description').textContent = image.description
      const tags = document.getElementById('image-tags')
      tags.replaceChildren(
        ...image.tags.map((tag) =>
          element(
            'li',
            {},
            element('a', { class: 'chip', href: `/?tag=${encodeURIComponent(tag)}` }, `#${tag}`),
          ),
        ),
      )
      const picture = article.querySelector('figure img')
      if (picture) picture.alt = image.title || image.original_filename
      document.title = document.title.replace(/^.*? · /, `${image.title || messages.untitled} · `)
      status.textContent = messages.saved
      close()
    })
  }
  const dialog = document.getElementById('delete-dialog')
  const remove = document.getElementById('delete-open')
  if (dialog && remove) {
    remove.addEventListener('click', () => dialog.showModal())
    dialog.addEventListener('close', async () => {
      if (dialog.returnValue !== 'delete') {
        remove.focus()
        return
      }
      const res = await api(`/api/images/${id}`, { method: 'DELETE' })
      if (res.status === 204) {
        status.textContent = messages.deleted
        window.location.assign('/')
      } else {
        status.textContent = (await readJson(res)).message ?? `${res.status}`
        remove.focus()
      }
    })
  }
}

/** Upload page: several files, shared fields copied to each unless edited there, XHR per file. */
function upload() {
  const section = document.querySelector('section.upload')
  if (!section) return
  const m = JSON.parse(section.dataset.messages)
  const input = document.getElementById('files')
  const drop = document.getElementById('drop')
  const list = document.getElementById('file-list')
  const start = document.getElementById('upload-start')
  const form = document.getElementById('upload-form')
  const shared = {
    title: document.getElementById('shared-title'),
    description: document.getElementById('shared-description'),
    tags: document.getElementById('shared-tags'),
  }
  const entries = []
  let counter = 0

  const baseName = (name) => name.replace(/\.[^.]+$/, '')
  const sharedValue = (field, entry) =>
    field === 'title' ? shared.title.value || baseName(entry.file.name) : shared[field].value

  function add(files) {
    for (const file of files) {
      const n = ++counter
      const entry = { file, done: false, edited: new Set(), fields: {} }
      const fieldset = element('div', { class: 'file-fields' })
      for (const field of ['title', 'description', 'tags']) {
        const inputId = `file-${n}-${field}`
        const control = element(field === 'description' ? 'textarea' : 'input', {
          id: inputId,
          rows: field === 'description' ? '2' : undefined,
        })
        control.value = sharedValue(field, entry)
        control.addEventListener('input', () => entry.edited.add(field))
        entry.fields[field] = control
        fieldset.append(
          element('div', { class: 'field' }, element('label', { for: inputId }, m[field]), control),
        )
      }
      const progress = element('progress', { max: '100', value: '0', 'aria-label': file.name })
      const outcome = element('div', { class: 'outcome', role: 'status' }, m.pending)
      const removeButton = element('button', { type: 'button', class: 'secondary' }, m.removeFile)
      const item = element(
        'li',
        { class: 'file', 'data-name': file.name },
        element(
          'div',
          { class: 'file-head' },
          element('strong', {}, file.name),
          element('span', { class: 'size' }, ` ${Math.ceil(file.size / 1024)} KB `),
          removeButton,
        ),
        fieldset,
        progress,
        outcome,
      )
      removeButton.addEventListener('click', () => {
        entries.splice(entries.indexOf(entry), 1)
        item.remove()
        start.disabled = !entries.some((e) => !e.done)
      })
      Object.assign(entry, { item, progress, outcome, removeButton })
      entries.push(entry)
      list.append(item)
    }
    start.disabled = !entries.some((e) => !e.done)
  }

  for (const field of Object.keys(shared)) {
    shared[field].addEventListener('input', () => {
      for (const entry of entries) {
        if (!entry.edited.has(field) && !entry.done) {
          entry.fields[field].value = sharedValue(field, entry)
        }
      }
    })
  }

  input.addEventListener('change', () => {
    add(input.files)
    input.value = ''
  })
  drop.addEventListener('dragover', (event) => {
    event.preventDefault()
    drop.classList.add('over')
  })
  drop.addEventListener('dragleave', () => drop.classList.remove('over'))
  drop.addEventListener('drop', (event) => {
    event.preventDefault()
    drop.classList.remove('over')
    add(event.dataTransfer?.files ?? [])
  })

  const link = (href, text) => element('a', { href }, text)

  function show(entry, status, body) {
    const { outcome, item } = entry
    outcome.replaceChildren()
    if (status === 201) {
      const image = body.data
      const near = Array.isArray(body.near_duplicates) ? body.near_duplicates : []
      item.dataset.outcome = near.length > 0 ? 'near-duplicate' : 'stored'
      outcome.append(`${m.stored} — `, link(`/gallery/images/${image.id}`, image.title || m.view))
      if (near.length > 0) {
        const warning = element('p', { class: 'warning' }, `${m.nearDuplicate}: `)
        near.forEach((dup, i) => {
          if (i > 0) warning.append(', ')
          warning.append(link(`/gallery/images/${dup.id}`, dup.title || dup.id))
        })
        outcome.append(warning)
      }
    } else if (status === 409 && body.existing_image) {
      item.dataset.outcome = 'duplicate'
      const existing = body.existing_image
      outcome.append(
        `${m.alreadyStored} — `,
        link(`/gallery/images/${existing.id}`, existing.title || m.view),
      )
    } else {
      item.dataset.outcome = 'error'
      outcome.append(
        element('span', { class: 'error' }, `${m.failed}: ${body.message ?? body.error ?? status}`),
      )
    }
  }

  function send(entry) {
    return new Promise((resolve) => {
      const data = new FormData()
      data.append('image_file', entry.file, entry.file.name)
      data.append('title', entry.fields.title.value)
      data.append('description', entry.fields.description.value)
      data.append('tags', splitTags(entry.fields.tags.value).join(','))
      const xhr = new XMLHttpRequest()
      xhr.open('POST', '/api/upload')
      xhr.setRequestHeader('X-CSRF-Token', csrf)
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) entry.progress.value = (event.loaded / event.total) * 100
      })
      xhr.addEventListener('load', () => {
        entry.progress.value = 100
        let body = {}
        try {
          body = JSON.parse(xhr.responseText)
        } catch {}
        show(entry, xhr.status, body)
        resolve()
      })
      xhr.addEventListener('error', () => {
        show(entry, 0, { message: 'network error' })
        resolve()
      })
      xhr.send(data)
    })
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    start.disabled = true
    for (const entry of entries) {
      if (entry.done) continue
      entry.done = true
      entry.removeButton.disabled = true
      for (const control of Object.values(entry.fields)) control.disabled = true
      await send(entry)
    }
    start.disabled = !entries.some((e) => !e.done)
  })
}

placeholders(document)
const grid = document.getElementById('grid')
if (grid) gridKeys(grid)
infiniteScroll()
detail()
upload()
