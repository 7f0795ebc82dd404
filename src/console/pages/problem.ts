/** A page that says what went wrong, in words (the API's JSON errors are for programs). */
import { html } from '../html';
import { layout } from '../layout';
import type { SignedIn } from '../session';

export const problemPage = (title: string, message: string, who?: SignedIn) =>
  layout({
    title,
    who,
    body: html`<h1>${title}</h1>
<p role="alert">${message}</p>
<p><a href="/ui/">Back to the console</a></p>`,
  });
