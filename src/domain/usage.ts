/**
 * Usage records: one per billable call, queued in memory and written in batches by a timer, so no call
 * ever waits on the database. `close()` flushes what is left (shutdown).
 */
import type { Database } from 'bun:sqlite';
import type { Logger } from '../log';

export interface UsageRecord {
  createdAt: number;
  requestId: string;
  keyId: number;
  userId: number;
  orgId: number;
  teamId: number | null;
  model: string;
  deployment: string | null;
  endpoint: string;
  status: number;
  latencyMs: number;
  ttftMs: number | null;
  inputTokens: number;
  outputTokens: number;
  endUserId: string;
  stream: boolean;
  errorCode: string | null;
}

export interface UsageSink {
  record(row: UsageRecord): void;
}

const COLUMNS = [
  'created_at', 'request_id', 'key_id', 'user_id', 'org_id', 'team_id', 'model', 'deployment', 'endpoint', 'status',
  'latency_ms', 'ttft_ms', 'input_tokens', 'output_tokens', 'end_user_id', 'stream', 'error_code',
] as const;

export class UsageRecorder implements UsageSink {
  private queue: UsageRecord[] = [];
  private readonly timer: Timer;
  private readonly insert;

  constructor(
    private readonly sqlite: Database,
    private readonly log: Logger,
    flushIntervalMs = 500,
    private readonly maxBatch = 1000,
  ) {
    this.insert = sqlite.prepare(`INSERT INTO usage (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
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

  /** Writes everything queued, in one transaction. Failed batches stay queued for the next flush. */
  flush(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      this.sqlite.transaction(() => {
        for (const r of batch) {
          this.insert.run(
            r.createdAt, r.requestId, r.keyId, r.userId, r.orgId, r.teamId, r.model, r.deployment, r.endpoint, r.status,
            r.latencyMs, r.ttftMs, r.inputTokens, r.outputTokens, r.endUserId, r.stream ? 1 : 0, r.errorCode,
          );
        }
      })();
    } catch (err) {
      this.queue = batch.concat(this.queue);
      this.log.error('could not write usage records; will retry', { pending: this.queue.length, error: err as Error });
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
