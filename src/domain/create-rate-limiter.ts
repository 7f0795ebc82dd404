/**
 * The rate limiter the settings ask for: in memory (one node, the default) or shared through Redis/Valkey
 * (AQUEDUCT_REDIS_URL), with the failure mode AQUEDUCT_REDIS_FAILURE. Logs Redis going away and coming
 * back once per transition, never per call.
 */
import type { Settings } from '../config/settings';
import type { Logger } from '../log';
import { InMemoryRateLimiter, type RateLimiter } from './rate-limiter';
import { openRedisConnection } from './redis-connection';
import { RedisRateLimiter } from './redis-rate-limiter';

export function createRateLimiter(settings: Pick<Settings, 'redisUrl' | 'redisFailure' | 'redisTimeout'>, log: Logger): RateLimiter {
  const url = settings.redisUrl;
  if (url === undefined) return new InMemoryRateLimiter();
  const { link, where, onError } = openRedisConnection(url, settings.redisTimeout, log, {
    up: 'redis reachable again: rate limits are shared by all nodes again',
    down: (fields) =>
      settings.redisFailure === 'open'
        ? log.warn('redis unreachable: rate limits are counted per node until it is back (AQUEDUCT_REDIS_FAILURE=open)', fields)
        : log.error('redis unreachable: calls of keys with rate limits are refused (503) until it is back (AQUEDUCT_REDIS_FAILURE=closed)', fields),
    refused: `redis refused a rate-limit script: treated as unreachable (AQUEDUCT_REDIS_FAILURE=${settings.redisFailure})`,
  });
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
