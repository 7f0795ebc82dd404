/**
 * Usage records: one per billable call, queued in memory and written in batches off the request path, so
 * no call ever waits on the database. The server writes from a worker thread (src/workers/usage-writer.ts);
 * tests on an in-memory database write inline. `close()` writes what is left (shutdown).
 */
import type { Database } from 'bun:sqlite';
import type { ResponseRow } from '../db/response-rows';
import type { Logger } from '../log';
import { workerUrl } from '../workers/worker-url';
import { insertUsageRows, type UsageRecord } from './usage-rows';

export type { UsageRecord };

export interface UsageSink {
  record(row: UsageRecord): void;
}

abstract class BatchingRecorder implements UsageSink {
  protected queue: UsageRecord[] = [];
  private readonly timer: Timer;

  constructor(
    protected readonly log: Logger,
    flushIntervalMs: number,
    private readonly maxBatch = 2000,
  ) {
    this.timer = setInterval(() => this.flush(), flushIntervalMs);
    this.timer.unref();
  }

  record(row: UsageRecord): void {
    this.queue.push(row);
    if (this.queue.length >= this.maxBatch) queueMicrotask(() => this.flush());
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Hands everything queued to the writer. */
  flush(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.write(batch);
  }

  protected abstract write(batch: UsageRecord[]): void;

  protected stopTimer(): void {
    clearInterval(this.timer);
  }
}

/** Writes on the calling thread: for tests and one-off tools. */
export class UsageRecorder extends BatchingRecorder {
  constructor(
    private readonly sqlite: Database,
    log: Logger,
    flushIntervalMs = 500,
  ) {
    super(log, flushIntervalMs);
  }

  protected write(batch: UsageRecord[]): void {
    try {
      insertUsageRows(this.sqlite, batch);
    } catch (err) {
      this.queue = batch.concat(this.queue);
      this.log.error('could not write usage records; will retry', { pending: this.queue.length, error: err as Error });
    }
  }

  close(): void {
    this.stopTimer();
    this.flush();
  }
}

export interface WorkerRecorderOptions {
  /** How often queued rows go to the writer, ms. */
  flushIntervalMs?: number;
  /** A writer with nothing to write for this long is stopped (a thread costs ~10 MB); the next row starts one. */
  idleMs?: number;
}

/**
 * Writes from a worker thread with its own connection to the database (the SQLite file, or PostgreSQL).
 * The worker starts with the first batch, so an idle gateway does not carry it.
 *
 * Batches go every 100 ms (or at 2000 rows): a transaction costs more than its rows, and with 20 ms batches
 * `make bench` relayed ~12% fewer calls/s where gateway and writer share a core. The writer thread runs at
 * a lower priority (workers/thread-priority.ts), so its transactions give way to calls.
 */
export class WorkerUsageRecorder extends BatchingRecorder {
  private worker?: Worker;
  /** Set while an idle writer is being shut down; rows recorded meanwhile wait for the next one. */
  private retiring?: Promise<void>;
  private lastWrite = 0;
  private readonly retireTimer: Timer;
  private nextId = 0;
  private readonly waiting = new Map<number, () => void>();
  /** Response batches handed to the thread, by message id: settled when the thread says. */
  private readonly responseBatches = new Map<number, { resolve(): void; reject(err: Error): void }>();
  /** Rows handed to the writer that it has not confirmed yet. */
  private unwritten = 0;
  /**
   * Set when rows come back from a failed write: the next batch carries them and asks the store to skip any
   * that are stored (a failure can hide a commit, e.g. a connection lost before COMMIT's answer).
   */
  private recheck = false;
  /** Whether the writer thread got its lower priority (undefined until it says). */
  lowered?: boolean;
  private readonly idleMs: number;

  /** `database`: the SQLite file, or a postgres:// url. */
  constructor(
    private readonly database: string,
    log: Logger,
    opts: WorkerRecorderOptions = {},
  ) {
    super(log, opts.flushIntervalMs ?? 100, 2000);
    this.idleMs = opts.idleMs ?? 5_000;
    this.retireTimer = setInterval(() => this.retireIfIdle(), Math.max(10, Math.min(this.idleMs, 1000)));
    this.retireTimer.unref();
  }

  /** Whether a writer thread is running (for tests and metrics). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Rows recorded but not yet on disk. */
  override get pending(): number {
    return this.queue.length + this.unwritten;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerUrl('usage-writer'));
    worker.onmessage = (event: MessageEvent<{ done?: number; written?: number; failed?: UsageRecord[]; error?: string; lowered?: boolean; responsesDone?: number; responsesFailed?: number }>) => {
      const m = event.data;
      const settled = m.responsesDone ?? m.responsesFailed;
      if (settled !== undefined) {
        const batch = this.responseBatches.get(settled);
        this.responseBatches.delete(settled);
        if (m.responsesDone !== undefined) batch?.resolve();
        else batch?.reject(new Error(m.error ?? 'could not write responses'));
      }
      if (m.lowered !== undefined) this.lowered = m.lowered;
      if (m.error !== undefined && m.failed === undefined && m.responsesFailed === undefined) this.log.error('usage writer failed', { error: m.error });
      if (m.written !== undefined) this.unwritten -= m.written;
      if (m.failed) {
        // Keep them for the next batch rather than lose them.
        this.unwritten -= m.failed.length;
        this.queue = m.failed.concat(this.queue);
        this.recheck = true;
        this.log.error('could not write usage records; will retry', { pending: this.queue.length, error: m.error });
      }
      if (m.done !== undefined) {
        this.waiting.get(m.done)?.();
        this.waiting.delete(m.done);
      }
    };
    worker.onerror = (e) => this.log.error('usage writer failed', { error: e.message });
    worker.postMessage({ open: this.database });
    this.worker = worker;
    return worker;
  }

  protected write(batch: UsageRecord[]): void {
    if (this.retiring) {
      this.queue = batch.concat(this.queue); // written by the next writer, on a later flush
      return;
    }
    this.lastWrite = Date.now();
    this.unwritten += batch.length;
    this.start().postMessage({ rows: JSON.stringify(batch), recheck: this.recheck });
    this.recheck = false;
  }

  /**
   * Writes saved /v1/responses on this thread too (its connection, its lower priority): see
   * domain/responses/response-store.ts. Resolves once they are written (SQLite or PostgreSQL, as usage).
   */
  async writeResponses(rows: ResponseRow[]): Promise<void> {
    await this.retiring;
    this.lastWrite = Date.now();
    const id = ++this.nextId;
    const written = new Promise<void>((resolve, reject) => this.responseBatches.set(id, { resolve, reject }));
    this.start().postMessage({ responses: rows, id });
    return written;
  }

  private retireIfIdle(): void {
    if (!this.worker || this.retiring || this.queue.length > 0 || this.unwritten > 0 || this.responseBatches.size > 0 || Date.now() - this.lastWrite < this.idleMs) return;
    const worker = this.worker;
    // Everything posted before the close message is written first; then the thread can go.
    this.retiring = this.ask('close').then(() => {
      worker.terminate();
      this.worker = undefined;
      this.retiring = undefined;
    });
  }

  private ask(kind: 'flush' | 'close'): Promise<void> {
    if (!this.worker) return Promise.resolve();
    const worker = this.worker;
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({ [kind]: id });
    });
  }

  /** Resolves once everything recorded so far is on disk. */
  async drain(): Promise<void> {
    await this.retiring;
    this.flush();
    await this.ask('flush');
  }

  async close(): Promise<void> {
    clearInterval(this.retireTimer);
    this.stopTimer();
    await this.retiring;
    this.flush();
    await this.ask('close');
    this.worker?.terminate();
  }
}
