/**
 * The console's stylesheet and script, embedded in the binary (text imports) and served from /ui/assets
 * under a name that changes with their content, so they can be cached for good.
 */
import css from './console.css' with { type: 'text' };
import js from './console.js' with { type: 'text' };
import icon from './icon.svg' with { type: 'text' };

const version = (text: string) => Bun.hash(text).toString(36);

interface Asset {
  body: string;
  type: string;
}

const BY_NAME = new Map<string, Asset>([
  [`console-${version(css)}.css`, { body: css, type: 'text/css; charset=utf-8' }],
  [`console-${version(js)}.js`, { body: js, type: 'text/javascript; charset=utf-8' }],
  [`icon-${version(icon)}.svg`, { body: icon, type: 'image/svg+xml' }],
]);

const [CSS_NAME, JS_NAME, ICON_NAME] = [...BY_NAME.keys()] as [string, string, string];

/** The URLs the layout links to. */
export const ASSET_URLS = { css: `/ui/assets/${CSS_NAME}`, js: `/ui/assets/${JS_NAME}`, icon: `/ui/assets/${ICON_NAME}` };

export const asset = (name: string): Asset | undefined => BY_NAME.get(name);
