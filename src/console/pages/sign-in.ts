/**
 * The sign-in page: an API key, posted once (the browser keeps only the session cookie), and, when single
 * sign-on is configured, a link that starts it (a link, not a form: the provider is another origin and
 * the console's forms may post only to itself). And the page every failed single sign-on ends on.
 */
import { html } from '../html';
import { layout, notice, type Notice } from '../layout';

export const signInPage = (n?: Notice, sso?: { providerName: string }) =>
  layout({
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
${notice(n)}
${
  sso === undefined
    ? html``
    : html`<div class="card">
  <p><a class="button" href="/ui/auth/login">Sign in with ${sso.providerName}</a></p>
  <p class="muted">Single sign-on with your organisation's account.</p>
</div>
<p class="muted">Or sign in with an API key:</p>`
}
<form method="post" action="/ui/sign-in" class="card">
  <label for="key">Your API key</label>
  <input id="key" name="key" type="password" required autocomplete="off" spellcheck="false" placeholder="sk-…" aria-describedby="key-help">
  <p id="key-help" class="muted">The key is checked once and is not kept in your browser.</p>
  <button type="submit"${sso === undefined ? html`` : html` class="secondary"`}>Sign in</button>
</form>`,
  });

/** A single sign-on that did not work: what happened, in words, and the way back. */
export const signInProblemPage = (title: string, message: string) =>
  layout({
    title,
    body: html`<h1>${title}</h1>
<p role="alert">${message}</p>
<p><a href="/ui/sign-in">Back to sign in</a></p>`,
  });

/**
 * Signed out here; on to the provider's logout. A page rather than a redirect: the sign-out form may post
 * only to us (CSP form-action 'self', which browsers also apply to a redirect after the post).
 */
export const signedOutPage = (providerName: string, logoutUrl: string) =>
  layout({
    title: 'Signed out',
    head: html`<meta http-equiv="refresh" content="0;url=${logoutUrl}">`,
    body: html`<h1>Signed out</h1>
<p role="status">You are signed out of the console. Signing you out of ${providerName} too…</p>
<p><a href="${logoutUrl}">Continue to ${providerName}</a> · <a href="/ui/sign-in">Back to sign in</a></p>`,
  });
