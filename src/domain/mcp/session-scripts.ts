/**
 * Lua scripts of the shared MCP session store (src/domain/mcp/redis-sessions.ts). Each runs atomically on
 * the Redis/Valkey server, so the per-key cap is exact under concurrent initializes from several nodes.
 * Time is Redis's own (TIME), unless a clock is passed (tests): nodes' clocks never meet.
 *
 * Keys of one gateway key share one hash tag ({k:<key id>}): the session hashes (<p>{k:N}:s:<id>), the
 * live set (<p>{k:N}:live, a sorted set of session ids scored by last use) and the reservations
 * (<p>{k:N}:held, tokens scored by when they lapse). RESERVE reaches a session hash it did not declare
 * (the least recently used one, to evict it): same slot, so it works on one server and in practice on a
 * cluster too.
 */
import { script } from '../../store/redis/redis-link';

const NOW = `
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else local t = redis.call('TIME'); now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end
`;

/**
 * KEYS: live, held. ARGV: clock, cap (-1: none), ttl ms, evictable-after ms, hold ms, token, session-hash prefix.
 * Reply: {0} at the cap; {1, evicted id, evicted upstream id, evicted server} ('' when nothing was evicted).
 */
export const RESERVE = script(`${NOW}
local cap, ttl, evictable, hold = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local evicted, up, server = '', '', ''
if cap >= 0 and redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) >= cap then
  local lru = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #lru == 0 or now - tonumber(lru[2]) < evictable then return {0} end
  evicted = lru[1]
  local h = redis.call('HMGET', ARGV[7] .. evicted, 'up', 'server')
  up, server = h[1] or '', h[2] or ''
  redis.call('DEL', ARGV[7] .. evicted)
  redis.call('ZREM', KEYS[1], evicted)
end
redis.call('ZADD', KEYS[2], now + hold, ARGV[6])
redis.call('PEXPIRE', KEYS[2], hold)
return {1, evicted, up, server}
`);

/** KEYS: session hash, live, held. ARGV: clock, id, upstream id, server, ttl ms, token (''). Reply: now. */
export const CREATE = script(`${NOW}
local ttl = tonumber(ARGV[5])
redis.call('HSET', KEYS[1], 'up', ARGV[3], 'server', ARGV[4], 'used', now)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now, ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
if ARGV[6] ~= '' then redis.call('ZREM', KEYS[3], ARGV[6]) end
return now
`);

/**
 * KEYS: session hash, live. ARGV: clock, id, server, ttl ms, touch ms.
 * Reply: false when absent or another server's; else {upstream id, last used}. A session last marked used
 * touch ms ago or more is marked used now (its TTL and its place in the live set renewed): at most one
 * write per session per touch interval, however many messages.
 */
export const GET = script(`${NOW}
local h = redis.call('HMGET', KEYS[1], 'up', 'server', 'used')
if not h[1] or h[2] ~= ARGV[3] then return false end
local used = tonumber(h[3])
if now - used >= tonumber(ARGV[5]) then
  used = now
  redis.call('HSET', KEYS[1], 'used', now)
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('ZADD', KEYS[2], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return {h[1], used}
`);

/** KEYS: session hash, live. ARGV: id. */
export const END = script(`
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`);

/** KEYS: held. ARGV: token. Gives back a place that did not become a session. */
export const RELEASE = script(`
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
`);
