/** The sign-in page: an API key, posted once; the browser keeps only the session cookie. */
import { html } from '../html';
import { layout, notice, type Notice } from '../layout';

export const signInPage = (n?: Notice) =>
  layout({
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
${notice(n)}
<form method="post" action="/ui/sign-in" class="card">
  <label for="key">Your API key</label>
  <input id="key" name="key" type="password" required autocomplete="off" spellcheck="false" placeholder="sk-…" aria-describedby="key-help">
  <p id="key-help" class="muted">The key is checked once and is not kept in your browser. Single sign-on comes later.</p>
  <button type="submit">Sign in</button>
</form>`,
  });
