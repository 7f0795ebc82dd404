/**
 * MCP sessions as the gateway hands them out: its own unguessable id, mapped to the upstream's, bound to
 * the key and server that opened it. Another key, another server, an unknown id or one idle past the
 * timeout all look the same: not found (the client then initialises again).
 */
import { randomId } from '../files/ids';
import type { McpSessionStore } from './session-store';

export interface McpSession {
  id: string;
  upstreamId: string;
  server: string;
  keyId: number;
  lastUsed: number;
}

/** A place for one new session of a key, held while its initialize is in flight. */
export interface SessionSlot {
  keyId: number;
  /** A session this slot replaced (the key's least recently used one), for the caller to end upstream. */
  evicted?: McpSession;
  release(): void;
}

/** A session unused this long may give its place to a new one of the same key when the key is at its cap. */
const EVICTABLE_AFTER_MS = 60_000;

/** In this process: one node's sessions (the default, without AQUEDUCT_REDIS_URL). */
export class McpSessions implements McpSessionStore {
  private readonly byId = new Map<string, McpSession>();
  /** Live sessions and slots in flight per key: the cap holds under concurrent initializes. */
  private readonly perKey = new Map<number, { sessions: Set<string>; reserved: number }>();
  private readonly sweeper: Timer;

  constructor(
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxPerKey = Number.POSITIVE_INFINITY,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, idleMs / 4)));
    this.sweeper.unref();
  }

  private countsOf(keyId: number) {
    let c = this.perKey.get(keyId);
    if (!c) this.perKey.set(keyId, (c = { sessions: new Set(), reserved: 0 }));
    return c;
  }

  /**
   * Reserves a place for a new session of this key, or undefined when the key is at its cap. At the cap,
   * the key's least recently used session gives its place if it has been idle for a minute.
   */
  reserve(keyId: number): SessionSlot | undefined {
    const c = this.countsOf(keyId);
    let evicted: McpSession | undefined;
    if (c.sessions.size + c.reserved >= this.maxPerKey) {
      for (const id of c.sessions) {
        const s = this.byId.get(id)!;
        if (evicted === undefined || s.lastUsed < evicted.lastUsed) evicted = s;
      }
      if (evicted === undefined || this.now() - evicted.lastUsed < EVICTABLE_AFTER_MS) return undefined;
      this.delete(evicted.id);
    }
    c.reserved++;
    let held = true;
    return {
      keyId,
      evicted,
      release: () => {
        if (!held) return;
        held = false;
        c.reserved--;
        this.forgetIfEmpty(keyId);
      },
    };
  }

  /** Records a session the upstream opened; with a slot from reserve(), the slot becomes the session. */
  create(server: string, keyId: number, upstreamId: string, slot?: SessionSlot): McpSession {
    slot?.release();
    const s = { id: randomId('mcp_', 32), upstreamId, server, keyId, lastUsed: this.now() };
    this.byId.set(s.id, s);
    this.countsOf(keyId).sessions.add(s.id);
    return s;
  }

  /** Sessions (and slots in flight) of a key. */
  countFor(keyId: number): number {
    const c = this.perKey.get(keyId);
    return c === undefined ? 0 : c.sessions.size + c.reserved;
  }

  private forgetIfEmpty(keyId: number): void {
    const c = this.perKey.get(keyId);
    if (c && c.sessions.size === 0 && c.reserved === 0) this.perKey.delete(keyId);
  }

  /** The session, if it exists, belongs to this key and server, and is not idle too long. */
  get(id: string, server: string, keyId: number): McpSession | undefined {
    const s = this.byId.get(id);
    if (!s || s.server !== server || s.keyId !== keyId) return undefined;
    if (this.now() - s.lastUsed > this.idleMs) {
      this.delete(id);
      return undefined;
    }
    s.lastUsed = this.now();
    return s;
  }

  delete(id: string): void {
    const s = this.byId.get(id);
    if (!s) return;
    this.byId.delete(id);
    this.perKey.get(s.keyId)?.sessions.delete(id);
    this.forgetIfEmpty(s.keyId);
  }

  end(session: McpSession): void {
    this.delete(session.id);
  }

  get size(): number {
    return this.byId.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, s] of this.byId) if (t - s.lastUsed > this.idleMs) this.delete(id);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
