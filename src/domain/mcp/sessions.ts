/**
 * MCP sessions as the gateway hands them out: its own unguessable id, mapped to the upstream's, bound to
 * the key and server that opened it. Another key, another server, an unknown id or one idle past the
 * timeout all look the same: not found (the client then initialises again).
 */
import { randomId } from '../files/ids';

export interface McpSession {
  id: string;
  upstreamId: string;
  server: string;
  keyId: number;
  lastUsed: number;
}

export class McpSessions {
  private readonly byId = new Map<string, McpSession>();
  private readonly sweeper: Timer;

  constructor(
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, idleMs / 4)));
    this.sweeper.unref();
  }

  create(server: string, keyId: number, upstreamId: string): McpSession {
    const s = { id: randomId('mcp_', 32), upstreamId, server, keyId, lastUsed: this.now() };
    this.byId.set(s.id, s);
    return s;
  }

  /** The session, if it exists, belongs to this key and server, and is not idle too long. */
  get(id: string, server: string, keyId: number): McpSession | undefined {
    const s = this.byId.get(id);
    if (!s || s.server !== server || s.keyId !== keyId) return undefined;
    if (this.now() - s.lastUsed > this.idleMs) {
      this.byId.delete(id);
      return undefined;
    }
    s.lastUsed = this.now();
    return s;
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, s] of this.byId) if (t - s.lastUsed > this.idleMs) this.byId.delete(id);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
