/**
 * OAuth access tokens (Entra ID client credentials, Google service accounts): fetched once, shared by
 * concurrent calls, and fetched again shortly before they expire (or at half their lifetime when short).
 */
export interface Token {
  value: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** A token request that the token endpoint refused (bad credentials): not worth retrying elsewhere. */
export class TokenRefused extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const REFRESH_MARGIN_MS = 5 * 60_000;
const FETCH_TIMEOUT_MS = 30_000;

function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class TokenCache {
  private readonly tokens = new Map<string, Token & { refreshAt: number }>();
  private readonly pending = new Map<string, Promise<Token>>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The cached token, or a fresh one. The fetch is shared by every call waiting for it, so it runs under
   * its own timeout, not the first caller's signal; `signal` only stops this caller's wait.
   */
  async get(key: string, fetchToken: (signal: AbortSignal) => Promise<Token>, signal: AbortSignal): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached !== undefined && this.now() < cached.refreshAt) return cached.value;
    let p = this.pending.get(key);
    if (p === undefined) {
      p = fetchToken(AbortSignal.timeout(FETCH_TIMEOUT_MS)).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    const token = await abortable(p, signal);
    const now = this.now();
    const margin = Math.min(REFRESH_MARGIN_MS, Math.max(0, (token.expiresAt - now) / 2));
    this.tokens.set(key, { ...token, refreshAt: token.expiresAt - margin });
    return token.value;
  }
}

