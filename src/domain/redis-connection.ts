/**
 * A Redis connection for one of the gateway's shared stores (rate limits, MCP sessions), with the logging
 * both want: going away and coming back once per transition (the link reports them), error replies (OOM, a
 * read-only replica) at most once a minute, never per call. Each store keeps its own connection: the rate
 * limiter's is on every limited call's path.
 */
import type { Logger } from '../log';
import { RedisLink, RedisUnavailable } from '../store/redis/redis-link';

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

export interface RedisConnection {
  link: RedisLink;
  /** The URL as logs show it. */
  where: string;
  /** For the store's error replies: logged (with `refused`) at most once a minute; unreachability is the link's. */
  onError: (err: unknown) => void;
}

export function openRedisConnection(
  url: string,
  timeoutMs: number,
  log: Logger,
  messages: { down: (fields: { redis: string; reason?: string }) => void; up: string; refused: string },
): RedisConnection {
  const where = redactUrl(url);
  const link = new RedisLink(url, {
    timeoutMs,
    onChange(up, reason) {
      if (up) log.info(messages.up, { redis: where });
      else messages.down({ redis: where, reason });
    },
  });
  let errorLoggedAt = 0;
  const onError = (err: unknown) => {
    if (err instanceof RedisUnavailable || Date.now() - errorLoggedAt < 60_000) return;
    errorLoggedAt = Date.now();
    log.error(messages.refused, { redis: where, error: (err as Error).message ?? String(err) });
  };
  return { link, where, onError };
}
