/**
 * The rate limiter the settings ask for: in memory (one node, the default) or shared through Redis/Valkey
 * (AQUEDUCT_REDIS_URL), with the failure mode AQUEDUCT_REDIS_FAILURE. Logs Redis going away and coming
 * back once per transition, never per call.
 */
import type { Settings } from '../config/settings';
import type { Logger } from '../log';
import { RedisLink } from '../store/redis/redis-link';
import { InMemoryRateLimiter, type RateLimiter } from './rate-limiter';
import { RedisRateLimiter } from './redis-rate-limiter';

/** The URL without its password, for logs. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(invalid URL)';
  }
}

export function createRateLimiter(settings: Pick<Settings, 'redisUrl' | 'redisFailure' | 'redisTimeout'>, log: Logger): RateLimiter {
  const url = settings.redisUrl;
  if (url === undefined) return new InMemoryRateLimiter();
  const where = redactUrl(url);
  const link = new RedisLink(url, {
    timeoutMs: settings.redisTimeout,
    onChange(up, reason) {
      if (up) log.info('redis reachable again: rate limits are shared by all nodes again', { redis: where });
      else if (settings.redisFailure === 'open') log.warn('redis unreachable: rate limits are counted per node until it is back (AQUEDUCT_REDIS_FAILURE=open)', { redis: where, reason });
      else log.error('redis unreachable: calls of keys with rate limits are refused (503) until it is back (AQUEDUCT_REDIS_FAILURE=closed)', { redis: where, reason });
    },
  });
  // Redis answering with errors (OOM, a read-only replica) is logged at most once a minute.
  let errorLoggedAt = 0;
  const onError = (err: unknown) => {
    if (Date.now() - errorLoggedAt < 60_000) return;
    errorLoggedAt = Date.now();
    log.error(`redis refused a rate-limit script: treated as unreachable (AQUEDUCT_REDIS_FAILURE=${settings.redisFailure})`, { redis: where, error: (err as Error).message ?? String(err) });
  };
  const limiter = new RedisRateLimiter(link, { failure: settings.redisFailure, onError });
  log.info('rate limits are shared through redis', { redis: where, on_failure: settings.redisFailure });
  // Connect now, so a Redis that cannot be reached is reported at start rather than at the first limited call.
  link.send('PING', []).catch(() => {});
  return {
    admit: (keyId, limits, cost, pools) => limiter.admit(keyId, limits, cost, pools),
    addTokens: (keyId, input, output, pools) => limiter.addTokens(keyId, input, output, pools),
    close() {
      limiter.close();
      // Token charges still on their way get the link's deadline to land.
      void limiter.drain().finally(() => link.close());
    },
  };
}
