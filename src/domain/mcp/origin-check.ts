/** DNS-rebinding protection: Host and Origin allow-lists, where `name:*` allows any port. */

function matches(value: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const v = value.toLowerCase();
  const p = pattern.toLowerCase();
  if (p.endsWith(':*')) {
    const base = p.slice(0, -2);
    return v === base || (v.startsWith(`${base}:`) && /^\d+$/.test(v.slice(base.length + 1)));
  }
  return v === p;
}

export function hostAllowed(host: string | null, allowed: readonly string[]): boolean {
  return host !== null && allowed.some((p) => matches(host, p));
}

/** An absent Origin (non-browser clients) is allowed; a present one must be listed. */
export function originAllowed(origin: string | null, allowed: readonly string[]): boolean {
  return origin === null || allowed.some((p) => matches(origin, p));
}
