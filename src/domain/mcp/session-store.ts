/**
 * Where the gateway keeps its MCP sessions (src/domain/mcp/sessions.ts has the semantics): in this
 * process (McpSessions, one node) or in Redis/Valkey shared by every node (RedisMcpSessions, with
 * AQUEDUCT_REDIS_URL), so a session opened through one node continues through any other. Either may
 * answer synchronously; callers await. A store that cannot be reached throws mcpSessionsUnavailable().
 */
import { Refusal } from '../refusal';
import type { McpSession, SessionSlot } from './sessions';

type Awaitable<T> = T | Promise<T>;

export interface McpSessionStore {
  /** A place for one new session of this key, or undefined when the key is at its cap (see McpSessions.reserve). */
  reserve(keyId: number): Awaitable<SessionSlot | undefined>;
  /** Records a session the upstream opened; with a slot from reserve(), the slot becomes the session. */
  create(server: string, keyId: number, upstreamId: string, slot?: SessionSlot): Awaitable<McpSession>;
  /** The session, if it exists, belongs to this key and server, and is not idle too long; marks it used. */
  get(id: string, server: string, keyId: number): Awaitable<McpSession | undefined>;
  /** Forgets a session (ended with DELETE). */
  end(session: McpSession): Awaitable<void>;
  /** Sessions held by this process, for the gauge; undefined when they are shared (Redis). */
  readonly size: number | undefined;
  close(): void;
}

export function mcpSessionsUnavailable(): Refusal {
  return new Refusal('unavailable', 'MCP sessions cannot be checked right now: the shared session store is unreachable. Try again shortly.', {
    code: 'mcp_sessions_unavailable',
    retryAfterMs: 1000,
  });
}
