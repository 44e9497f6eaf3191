/** @jsxImportSource hono/jsx */
// (The pragma keeps JSX on Hono when bun runs from a directory without this tsconfig.)
import type { Messages } from '../i18n'

export function LoginPage(props: { t: Messages; next: string; error?: string }) {
  const { t } = props
  return (
    <section class="login">
      <h1>{t.signIn}</h1>
      <p>{t.signInHelp}</p>
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <form method="post" action="/gallery/login">
        <input type="hidden" name="next" value={props.next} />
        <div class="field">
          <label for="key">{t.apiKey}</label>
          <input type="password" id="key" name="key" required autocomplete="off" autofocus />
        </div>
        <button type="submit">{t.signIn}</button>
      </form>
    </section>
  )
}
