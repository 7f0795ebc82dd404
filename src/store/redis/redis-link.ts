/**
 * One connection to Redis/Valkey for the shared rate limits, with the failure handling the hot path needs:
 * every command has a short deadline, a failure marks the link down, and while it is down commands fail at
 * once (no waiting, no queue) while a reconnection is tried in the background, at most one per `retryMs`
 * (calls made while down start it; none waits for it). The link comes back by itself when Redis does: no
 * restart, no permanently broken state. Up/down transitions are reported once each (`onChange`), never per
 * call. A connection attempt has the longer `connectTimeoutMs` (a process that has just started may keep its
 * event loop busy for a while); only the first one is waited for in full, one after a connection dropped
 * while up for no longer than a command.
 *
 * Transport only: scripts and keys are the caller's business (src/domain/redis-rate-limiter.ts). Bun's
 * built-in client is used with its own reconnection and offline queue turned off, because a queued command
 * would wait for a reconnection the caller cannot afford to wait for; a timed-out connection is dropped and
 * replaced (a stalled server may never answer on it again).
 */
import { RedisClient } from 'bun';

export interface RedisLinkOptions {
  /** Deadline of one command, ms. */
  timeoutMs: number;
  /** Deadline of one connection attempt, ms (default: the larger of timeoutMs and 2 s). */
  connectTimeoutMs?: number;
  /** While down, the least time between two reconnection attempts, ms. */
  retryMs?: number;
  /** Called on each transition: up = false with the reason when Redis became unreachable, true when it is back. */
  onChange?: (up: boolean, reason?: string) => void;
}

/** A Lua script and its SHA-1, for EVALSHA. */
export interface Script {
  text: string;
  sha: string;
}

export function script(text: string): Script {
  return { text, sha: new Bun.CryptoHasher('sha1').update(text).digest('hex') };
}

export class RedisUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailable';
  }
}

export class RedisLink {
  private client: RedisClient | undefined;
  private connecting: Promise<RedisClient> | undefined;
  /** Unix ms of the last connection attempt that failed (0: none). */
  private failedAt = 0;
  private state: 'unknown' | 'up' | 'down' = 'unknown';
  private lastError = '';
  private closed = false;
  private readonly retryMs: number;
  private readonly connectTimeoutMs: number;

  constructor(
    private readonly url: string,
    private readonly o: RedisLinkOptions,
  ) {
    this.retryMs = o.retryMs ?? 1000;
    this.connectTimeoutMs = o.connectTimeoutMs ?? Math.max(o.timeoutMs, 2000);
  }

  /** False once a command or connection failed, until one succeeds again. */
  get up(): boolean {
    return this.state !== 'down';
  }

  /** Runs a script (EVALSHA, loading it with EVAL when the server does not know it yet, e.g. after a restart). */
  async eval(s: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const rest = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.send('EVALSHA', [s.sha, ...rest]);
    } catch (err) {
      if (!(err instanceof Error) || !/NOSCRIPT/.test(err.message)) throw err;
      return this.send('EVAL', [s.text, ...rest]);
    }
  }

  /** One command within the deadline; RedisUnavailable when Redis cannot be reached (an error reply is thrown as is). */
  async send(command: string, args: string[]): Promise<unknown> {
    const client = await this.connection();
    let timer: Timer | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailable(`no answer within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
    });
    try {
      const reply = await Promise.race([client.send(command, args), deadline]);
      this.mark(true);
      return reply;
    } catch (err) {
      // An error reply (a bad script, NOSCRIPT) comes from a live server; anything else means the link is gone.
      if (isReply(err)) {
        this.mark(true);
        throw err;
      }
      this.drop(client);
      throw this.down(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The connected client; while down, a rejection at once (and a reconnection started in the background). */
  private connection(): Promise<RedisClient> {
    if (this.closed) return Promise.reject(new RedisUnavailable('closed'));
    if (this.client?.connected) return Promise.resolve(this.client);
    if (this.state === 'down') {
      if (!this.connecting && Date.now() - this.failedAt >= this.retryMs) this.startConnecting().catch(() => {});
      return Promise.reject(new RedisUnavailable(this.lastError || 'unreachable'));
    }
    const attempt = this.connecting ?? this.startConnecting();
    if (this.state === 'unknown') return attempt;
    // The connection dropped while up: wait for the new one no longer than for a command (the attempt goes on).
    let timer: Timer | undefined;
    return Promise.race([
      attempt,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RedisUnavailable(`no connection within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  private startConnecting(): Promise<RedisClient> {
    this.connecting = this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<RedisClient> {
    if (this.client) this.drop(this.client);
    const client = new RedisClient(this.url, {
      connectionTimeout: this.connectTimeoutMs,
      autoReconnect: false,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
    });
    client.onclose = () => {
      if (this.client === client) this.client = undefined;
    };
    let timer: Timer | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new RedisUnavailable(`could not connect within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
        }),
      ]);
    } catch (err) {
      client.close();
      this.failedAt = Date.now();
      throw this.down(err);
    } finally {
      clearTimeout(timer);
    }
    if (this.closed) {
      client.close();
      throw new RedisUnavailable('closed');
    }
    this.failedAt = 0;
    this.client = client;
    this.mark(true);
    return client;
  }

  private drop(client: RedisClient): void {
    if (this.client === client) this.client = undefined;
    this.failedAt = Date.now();
    try {
      client.close();
    } catch {
      // already closed
    }
  }

  private down(err: unknown): RedisUnavailable {
    const reason = err instanceof Error ? err.message : String(err);
    this.lastError = reason;
    this.mark(false, reason);
    return err instanceof RedisUnavailable ? err : new RedisUnavailable(reason);
  }

  private mark(up: boolean, reason?: string): void {
    const next = up ? 'up' : 'down';
    if (this.state === next) return;
    const wasKnown = this.state !== 'unknown';
    this.state = next;
    // The first success is not news; the first failure is.
    if (wasKnown || !up) this.o.onChange?.(up, reason);
  }

  close(): void {
    this.closed = true;
    if (this.client) this.client.close();
    this.client = undefined;
  }
}

/** An error the server sent ("ERR …", "NOSCRIPT …"), as opposed to a connection failure. */
function isReply(err: unknown): boolean {
  return err instanceof Error && (err as { code?: string }).code === 'ERR_REDIS_SERVER_ERROR';
}
