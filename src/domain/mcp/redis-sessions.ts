/**
 * MCP sessions shared by every node through Redis/Valkey (AQUEDUCT_REDIS_URL): a session opened through
 * one node continues through any other, ends through any other (DELETE), and counts under its key's cap
 * on all of them. Same semantics as McpSessions (src/domain/mcp/sessions.ts): another key, another server,
 * an unknown id or one idle past the timeout are all "not found".
 *
 * - Idle timeout: each session hash lives `idleMs + touchMs` after it was last marked used. Marking used
 *   is a write, so it happens at most once per `touchMs` (default 5 s) per session, whatever the message
 *   rate: a session ends between idleMs and idleMs + touchMs after its last message (never earlier).
 * - Cap: reserve() runs one script that counts the key's live sessions and the reservations in flight (from
 *   any node), evicts the least recently used session if it has been idle a minute, and holds a place; so
 *   the cap is exact under concurrent initializes from several nodes. A reservation whose node died before
 *   the initialize ended lapses after `holdMs` (default 60 s).
 * - Redis unreachable (or answering with errors): every operation that needs a session throws
 *   mcpSessionsUnavailable() (503, code mcp_sessions_unavailable, Retry-After 1 s); there is no per-node
 *   fallback, since a session known to one node only would be "not found" on the others. The link
 *   reconnects by itself (src/store/redis/redis-link.ts): sessions that were in Redis work again if Redis
 *   kept them, and new ones can be opened, without a restart.
 */
import { randomId } from '../files/ids';
import type { Script } from '../../store/redis/redis-link';
import { CREATE, END, GET, RELEASE, RESERVE } from './session-scripts';
import { mcpSessionsUnavailable, type McpSessionStore } from './session-store';
import type { McpSession, SessionSlot } from './sessions';

/** What the store needs of a Redis connection (src/store/redis/redis-link.ts). */
export interface ScriptRunner {
  eval(s: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

export interface RedisMcpSessionsOptions {
  idleMs: number;
  maxPerKey?: number;
  /** Least time between two writes marking one session used, ms (default 5000). */
  touchMs?: number;
  /** How long a reservation holds its place at most, ms (default 60 000). */
  holdMs?: number;
  /** Prefix of every Redis key (default "aq:mcp:"). */
  prefix?: string;
  /** A clock passed to the scripts instead of Redis's TIME. Tests only. */
  clock?: () => number;
  /** Told of failures (Redis unreachable or answering with an error), before the refusal is thrown. */
  onError?: (err: unknown) => void;
}

/** As in McpSessions: a session unused this long may give its place to a new one of a key at its cap. */
const EVICTABLE_AFTER_MS = 60_000;
/** The shape of the ids this store hands out: anything else is not found without asking Redis. */
const ID = /^mcp_[A-Za-z0-9]{32}$/;

/** A reservation, named in Redis by its token. */
interface HeldSlot extends SessionSlot {
  token: string;
}

export class RedisMcpSessions implements McpSessionStore {
  readonly size = undefined;
  private readonly touchMs: number;
  private readonly holdMs: number;
  private readonly prefix: string;

  constructor(
    private readonly redis: ScriptRunner,
    private readonly o: RedisMcpSessionsOptions,
  ) {
    this.touchMs = o.touchMs ?? 5000;
    this.holdMs = o.holdMs ?? 60_000;
    this.prefix = o.prefix ?? 'aq:mcp:';
  }

  private tag(keyId: number): string {
    return `${this.prefix}{k:${keyId}}`;
  }
  private hashOf(keyId: number, id: string): string {
    return `${this.tag(keyId)}:s:${id}`;
  }
  private get ttl(): number {
    return this.o.idleMs + this.touchMs;
  }
  private clock(): string {
    return this.o.clock ? String(Math.floor(this.o.clock())) : '';
  }

  private async run(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.eval(s, keys, args);
    } catch (err) {
      this.o.onError?.(err);
      throw mcpSessionsUnavailable();
    }
  }

  async reserve(keyId: number): Promise<HeldSlot | undefined> {
    const cap = this.o.maxPerKey ?? Number.POSITIVE_INFINITY;
    const token = randomId('r_', 16);
    const tag = this.tag(keyId);
    const reply = (await this.run(RESERVE, [`${tag}:live`, `${tag}:held`], [this.clock(), Number.isFinite(cap) ? cap : -1, this.ttl, EVICTABLE_AFTER_MS, this.holdMs, token, `${tag}:s:`])) as unknown[];
    if (Number(reply[0]) !== 1) return undefined;
    const [, evictedId, upstreamId, server] = reply.map(String);
    // An evicted entry whose hash had already lapsed has nothing left to end upstream.
    const evicted = evictedId && upstreamId ? { id: evictedId, upstreamId, server: server!, keyId, lastUsed: 0 } : undefined;
    let held = true;
    return {
      keyId,
      evicted,
      token,
      release: () => {
        if (!held) return;
        held = false;
        // Best effort: a place not given back lapses after holdMs.
        this.redis.eval(RELEASE, [`${tag}:held`], [token]).catch(() => {});
      },
    };
  }

  async create(server: string, keyId: number, upstreamId: string, slot?: SessionSlot): Promise<McpSession> {
    const id = randomId('mcp_', 32);
    const tag = this.tag(keyId);
    const token = slot !== undefined && 'token' in slot ? String(slot.token) : '';
    const now = await this.run(CREATE, [this.hashOf(keyId, id), `${tag}:live`, `${tag}:held`], [this.clock(), id, upstreamId, server, this.ttl, token]);
    return { id, upstreamId, server, keyId, lastUsed: Number(now) };
  }

  async get(id: string, server: string, keyId: number): Promise<McpSession | undefined> {
    if (!ID.test(id)) return undefined;
    const reply = await this.run(GET, [this.hashOf(keyId, id), `${this.tag(keyId)}:live`], [this.clock(), id, server, this.ttl, this.touchMs]);
    if (!Array.isArray(reply)) return undefined;
    return { id, upstreamId: String(reply[0]), server, keyId, lastUsed: Number(reply[1]) };
  }

  async end(session: McpSession): Promise<void> {
    await this.run(END, [this.hashOf(session.keyId, session.id), `${this.tag(session.keyId)}:live`], [session.id]);
  }

  close(): void {}
}
