/**
 * Microsoft Entra ID (Azure AD) tokens by client credentials: POST {authority}/{tenant}/oauth2/v2.0/token
 * with the Cognitive Services scope. Tokens are cached per tenant and client and fetched again five
 * minutes before they expire. A refusal (bad secret, unknown client) is a TokenRefused; a token endpoint
 * that cannot be reached or fails with 5xx throws plainly (the router counts it as a connect failure).
 */
import type { AzureSettings } from '../../../config/cloud-params';
import { TokenCache, TokenRefused } from '../common/token-cache';

export const AZURE_SCOPE = 'https://cognitiveservices.azure.com/.default';
const cache = new TokenCache();

export function entraToken(creds: NonNullable<AzureSettings['clientCredentials']>, signal: AbortSignal): Promise<string> {
  const url = `${creds.authorityHost}/${encodeURIComponent(creds.tenantId)}/oauth2/v2.0/token`;
  return cache.get(`${url}\n${creds.clientId}`, async (fetchSignal) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret, scope: AZURE_SCOPE }),
      signal: fetchSignal,
    });
    const json = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    if (res.status >= 500) throw new Error(`Entra ID token endpoint failed (${res.status})`);
    if (!res.ok || typeof json.access_token !== 'string') {
      const why = typeof json.error_description === 'string' ? json.error_description.split('\n')[0] : typeof json.error === 'string' ? json.error : `status ${res.status}`;
      throw new TokenRefused(`Microsoft Entra ID refused the client credentials of this deployment: ${why}`, res.ok ? 502 : 401);
    }
    const seconds = Number(json.expires_in);
    return { value: json.access_token, expiresAt: Date.now() + (Number.isFinite(seconds) && seconds > 0 ? seconds : 3600) * 1000 };
  }, signal);
}
