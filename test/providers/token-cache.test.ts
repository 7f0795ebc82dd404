/** The OAuth token cache shared by Azure (Entra ID) and Vertex AI. */
import { expect, test } from 'bun:test';
import { TokenCache } from '../../src/upstream/providers/common/token-cache';

test('concurrent calls share one fetch; one caller giving up does not fail the others', async () => {
  const cache = new TokenCache();
  let fetches = 0;
  let release!: () => void;
  const fetchToken = () => {
    fetches++;
    return new Promise<{ value: string; expiresAt: number }>((resolve) => (release = () => resolve({ value: `t${fetches}`, expiresAt: Date.now() + 3_600_000 })));
  };
  const gone = new AbortController();
  const a = cache.get('k', fetchToken, gone.signal);
  const b = cache.get('k', fetchToken, new AbortController().signal);
  gone.abort(new Error('client left'));
  await expect(a).rejects.toThrow('client left');
  release();
  expect(await b).toBe('t1');
  expect(await cache.get('k', fetchToken, new AbortController().signal)).toBe('t1');
  expect(fetches).toBe(1);
});

test('a token is fetched again five minutes before it expires, a failed fetch is not cached', async () => {
  let now = 0;
  const cache = new TokenCache(() => now);
  let n = 0;
  const signal = new AbortController().signal;
  const fetchToken = async () => ({ value: `t${++n}`, expiresAt: now + 3_600_000 });
  expect(await cache.get('k', fetchToken, signal)).toBe('t1');
  now = 3_600_000 - 5 * 60_000 - 1;
  expect(await cache.get('k', fetchToken, signal)).toBe('t1');
  now += 2;
  expect(await cache.get('k', fetchToken, signal)).toBe('t2');
  await expect(cache.get('other', async () => Promise.reject(new Error('down')), signal)).rejects.toThrow('down');
  expect(await cache.get('other', fetchToken, signal)).toBe('t3');
});
