/**
 * The MCP session store the settings ask for: in this process (one node, the default) or shared through
 * Redis/Valkey (AQUEDUCT_REDIS_URL), so any node continues any session. The Redis store has its own
 * connection (the rate limiter's hot path keeps its own); going away and coming back are logged once per
 * transition, errors Redis answers with at most once a minute.
 */
import type { Settings } from '../../config/settings';
import type { Logger } from '../../log';
import { RedisLink, RedisUnavailable } from '../../store/redis/redis-link';
import { redactUrl } from '../create-rate-limiter';
import { RedisMcpSessions } from './redis-sessions';
import type { McpSessionStore } from './session-store';
import { McpSessions } from './sessions';

type SessionSettings = Pick<Settings, 'redisUrl' | 'redisTimeout' | 'mcpSessionTimeout' | 'mcpSessionsPerKey'>;

export function createMcpSessionStore(settings: SessionSettings, log: Logger, o: { touchMs?: number } = {}): McpSessionStore {
  const url = settings.redisUrl;
  if (url === undefined) return new McpSessions(settings.mcpSessionTimeout, Date.now, settings.mcpSessionsPerKey);
  const where = redactUrl(url);
  const link = new RedisLink(url, {
    timeoutMs: settings.redisTimeout,
    onChange(up, reason) {
      if (up) log.info('redis reachable again: MCP sessions work on every node again', { redis: where });
      else log.error('redis unreachable: MCP messages are refused (503) until it is back', { redis: where, reason });
    },
  });
  let errorLoggedAt = 0;
  const onError = (err: unknown) => {
    if (err instanceof RedisUnavailable || Date.now() - errorLoggedAt < 60_000) return;
    errorLoggedAt = Date.now();
    log.error('redis refused an MCP session script: MCP messages are refused (503)', { redis: where, error: (err as Error).message ?? String(err) });
  };
  const store = new RedisMcpSessions(link, { idleMs: settings.mcpSessionTimeout, maxPerKey: settings.mcpSessionsPerKey, touchMs: o.touchMs, onError });
  log.info('MCP sessions are shared through redis', { redis: where });
  link.send('PING', []).catch(() => {});
  return {
    reserve: (keyId) => store.reserve(keyId),
    create: (server, keyId, upstreamId, slot) => store.create(server, keyId, upstreamId, slot),
    get: (id, server, keyId) => store.get(id, server, keyId),
    end: (session) => store.end(session),
    size: undefined,
    close: () => link.close(),
  };
}
