/**
 * The MCP session store the settings ask for: in this process (one node, the default) or shared through
 * Redis/Valkey (AQUEDUCT_REDIS_URL), so any node continues any session. The Redis store has its own
 * connection (the rate limiter's hot path keeps its own); going away and coming back are logged once per
 * transition, errors Redis answers with at most once a minute.
 */
import type { Settings } from '../../config/settings';
import type { Logger } from '../../log';
import { openRedisConnection } from '../redis-connection';
import { RedisMcpSessions } from './redis-sessions';
import type { McpSessionStore } from './session-store';
import { McpSessions } from './sessions';

type SessionSettings = Pick<Settings, 'redisUrl' | 'redisTimeout' | 'mcpSessionTimeout' | 'mcpSessionsPerKey'>;

export function createMcpSessionStore(settings: SessionSettings, log: Logger, o: { touchMs?: number } = {}): McpSessionStore {
  const url = settings.redisUrl;
  if (url === undefined) return new McpSessions(settings.mcpSessionTimeout, Date.now, settings.mcpSessionsPerKey);
  const { link, where, onError } = openRedisConnection(url, settings.redisTimeout, log, {
    up: 'redis reachable again: MCP sessions work on every node again',
    down: (fields) => log.error('redis unreachable: MCP messages are refused (503) until it is back', fields),
    refused: 'redis refused an MCP session script: MCP messages are refused (503)',
  });
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
