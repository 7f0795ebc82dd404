/**
 * Google OAuth access tokens for a service account (Vertex AI): a JWT (RS256, signed with the key's
 * private key through WebCrypto) exchanged at the key's `token_uri` by the JWT bearer grant, cached and
 * fetched again five minutes before it expires.
 */
import type { ServiceAccount } from '../../../config/cloud-params';
import { TokenCache, TokenRefused } from '../common/token-cache';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const cache = new TokenCache();
const keys = new Map<string, Promise<CryptoKey>>();
const ids = new WeakMap<ServiceAccount, string>();

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

function signingKey(pem: string): Promise<CryptoKey> {
  let key = keys.get(pem);
  if (key === undefined) {
    const der = Buffer.from(pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, ''), 'base64');
    key = crypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    keys.set(pem, key);
    key.catch(() => keys.delete(pem));
  }
  return key;
}

export async function signedJwt(sa: ServiceAccount, nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = b64url(JSON.stringify({ iss: sa.clientEmail, sub: sa.clientEmail, scope: CLOUD_PLATFORM_SCOPE, aud: sa.tokenUri, iat: nowSeconds, exp: nowSeconds + 3600 }));
  const input = `${header}.${claims}`;
  let key: CryptoKey;
  try {
    key = await signingKey(sa.privateKeyPem);
  } catch {
    throw new TokenRefused('The private_key of the Vertex AI service-account key cannot be read (expected a PKCS#8 PEM RSA key).', 401);
  }
  const signature = new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, new TextEncoder().encode(input)));
  return `${input}.${b64url(signature)}`;
}

export function serviceAccountToken(sa: ServiceAccount, signal: AbortSignal): Promise<string> {
  // Keyed by the key itself too: two keys of one account (one revoked, say) are not the same credentials.
  let id = ids.get(sa);
  if (id === undefined) ids.set(sa, (id = `${sa.tokenUri}\n${sa.clientEmail}\n${new Bun.CryptoHasher('sha256').update(sa.privateKeyPem).digest('hex')}`));
  return cache.get(id, async (fetchSignal) => {
    const res = await fetch(sa.tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: await signedJwt(sa) }),
      signal: fetchSignal,
    });
    const json = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    if (res.status >= 500) throw new Error(`Google token endpoint failed (${res.status})`);
    if (!res.ok || typeof json.access_token !== 'string') {
      const why = typeof json.error_description === 'string' ? json.error_description : typeof json.error === 'string' ? json.error : `status ${res.status}`;
      throw new TokenRefused(`Google refused the service-account key of this deployment: ${why}`, res.ok ? 502 : 401);
    }
    const seconds = Number(json.expires_in);
    return { value: json.access_token, expiresAt: Date.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds : 3600) * 1000 };
  }, signal);
}
