/**
 * A small, safe Markdown subset for the terms of service: headings (#…######), paragraphs, bulleted and
 * numbered lists, **strong**, *emphasis* / _emphasis_, `code` and [links](https://…) to http(s) URLs only.
 * Everything else is text: the source is never passed through as HTML — each piece lands in the page
 * through the escaping `html` template, so a `<script>` in the file shows as the characters "<script>".
 * A link to any other scheme (javascript:, data:, …) stays text.
 */
import { html, type Html } from './html';

interface InlineRule {
  re: RegExp;
  render: (m: RegExpExecArray) => Html;
}

const INLINE: InlineRule[] = [
  { re: /`([^`]+)`/, render: (m) => html`<code>${m[1]}</code>` },
  { re: /\[([^\]\n]+)\]\((https?:\/\/[^\s()<>"']+)\)/, render: (m) => html`<a href="${m[2]}" rel="noopener noreferrer nofollow">${inline(m[1]!)}</a>` },
  { re: /\*\*(?=\S)([^*]*?\S)\*\*/, render: (m) => html`<strong>${inline(m[1]!)}</strong>` },
  { re: /\*(?=\S)([^*]*?\S)\*/, render: (m) => html`<em>${inline(m[1]!)}</em>` },
  { re: /(?<![\w])_(?=\S)([^_]*?\S)_(?![\w])/, render: (m) => html`<em>${inline(m[1]!)}</em>` },
];

/** Inline markup of one block's text: the earliest match wins, the rest of the text is escaped. */
export function inline(text: string): Html {
  const out: (string | Html)[] = [];
  let rest = text;
  while (rest !== '') {
    let best: { m: RegExpExecArray; rule: InlineRule } | undefined;
    for (const rule of INLINE) {
      const m = rule.re.exec(rest);
      if (m && (best === undefined || m.index < best.m.index)) best = { m, rule };
    }
    if (best === undefined) {
      out.push(rest);
      break;
    }
    out.push(rest.slice(0, best.m.index), best.rule.render(best.m));
    rest = rest.slice(best.m.index + best.m[0].length);
  }
  return html`${out}`;
}

const HEADINGS = [
  (c: Html) => html`<h2>${c}</h2>`,
  (c: Html) => html`<h3>${c}</h3>`,
  (c: Html) => html`<h4>${c}</h4>`,
  (c: Html) => html`<h5>${c}</h5>`,
  (c: Html) => html`<h6>${c}</h6>`,
];
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^\s{0,3}\d{1,9}[.)]\s+(.*)$/;

/** The Markdown subset as HTML. Headings start at <h2> (the page has its own <h1>); ##### and ###### are both <h6>. */
export function markdown(source: string): Html {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Html[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | undefined;
  const flushParagraph = () => {
    if (paragraph.length) blocks.push(html`<p>${inline(paragraph.join(' '))}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list) {
      const items = list.items.map((i) => html`<li>${inline(i)}</li>`);
      blocks.push(list.ordered ? html`<ol>${items}</ol>` : html`<ul>${items}</ul>`);
    }
    list = undefined;
  };
  for (const line of lines) {
    if (line.trim() === '') {
      flushParagraph();
      flushList();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      blocks.push(HEADINGS[Math.min(HEADINGS.length, heading[1]!.length) - 1]!(inline(heading[2]!)));
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? undefined : NUMBERED.exec(line);
    const item = bullet ?? numbered;
    if (item) {
      flushParagraph();
      const ordered = numbered !== undefined && numbered !== null;
      if (list && list.ordered !== ordered) flushList();
      list ??= { ordered, items: [] };
      list.items.push(item[1]!);
      continue;
    }
    if (list && /^\s/.test(line)) {
      // An indented line continues the list item above it.
      list.items[list.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    flushList();
    paragraph.push(line.trim());
  }
  flushParagraph();
  flushList();
  return html`${blocks}`;
}
