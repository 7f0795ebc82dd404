/** Every console answer goes out through here, so every one carries the same strict security headers. */
import type { Html } from './html';

/**
 * Nothing but our own origin: no inline script or style, no other host (the console works offline), no
 * framing (clickjacking), forms post only to us.
 */
export const CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

/** A page: never cached (it shows keys and the CSRF token). */
export function page(body: Html, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(`<!doctype html>\n${body.value}`, {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** After a POST: 303 so the browser GETs the next page (a reload does not send the form again). */
export function redirect(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { ...SECURITY_HEADERS, location, 'cache-control': 'no-store', ...headers } });
}

export function assetResponse(body: string, type: string): Response {
  return new Response(body, { headers: { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'public, max-age=31536000, immutable' } });
}
