/**
 * The batch runner (main thread): hands pending lines to a pool of worker threads within a global and a
 * per-batch concurrency cap (live traffic keeps headroom, batches share capacity), records each outcome
 * durably, and moves batches through in_progress → finalizing → completed (or cancelling → cancelled,
 * or expired), writing the output and error files. On start it re-queues lines a crash left running.
 *
 * Lines run with the creator's current rights, checked at every tick (200 ms): once the batch's key is
 * revoked or expired, or its model is excluded for the key, no further line starts, running ones are
 * aborted, and the batch ends `failed` with the reason, every un-run custom_id in the error file. Lines
 * do not count against the key's live rate limits, but are metered and recorded like live calls.
 */
import { open, rm } from 'node:fs/promises';
import type { RouterConfig } from '../config/router-config';
import { chainFor, visibleModel } from '../domain/admission';
import type { BatchRow, BatchStore } from '../domain/batches/batch-store';
import type { FileStore } from '../domain/files/file-store';
import { randomId } from '../domain/files/ids';
import type { Owner } from '../domain/files/owner';
import { writeAll } from '../store/write-all';
import type { Principal } from '../domain/key-cache';
import type { Logger } from '../log';
import { workerUrl } from '../workers/worker-url';
import { ENDPOINT_OF_URL, type BatchJob, type JobResult } from './batch-jobs';
import { usageRecord } from './usage-record';

/** Why the lines of a batch that did not run failed. */
interface LineError {
  code: string;
  message: string;
}

/** The caller's current rights: the live principal of a key (undefined once revoked or expired), and the models. */
export interface BatchRights {
  principalOf(keyId: number): Principal | undefined;
  router(): RouterConfig;
}

export interface RunnerOptions {
  workers: number;
  concurrency: number;
  perBatchConcurrency: number;
  routerYaml: string;
  env: Record<string, string | undefined>;
  tickMs?: number;
  /** Output and error files are kept this long. */
  outputExpiryMs: number;
  backoffBaseMs?: number;
  /** The first wait before an input file that could not be read is tried again (then 4×, 16×, 64×). */
  importRetryMs?: number;
}

interface InFlight {
  batchId: string;
  lineNo: number;
  customId: string;
  worker: Worker;
}

const IMPORT_RETRIES = 4;

const ownerOfBatch = (b: BatchRow): Owner => (b.ownerTeamId !== null ? { kind: 'team', id: b.ownerTeamId } : { kind: 'user', id: b.ownerUserId! });

export class BatchRunner {
  private workers: Worker[] = [];
  private next = 0;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly perBatch = new Map<string, number>();
  /** Batches whose lines are being imported right now. */
  private readonly importing = new Set<string>();
  private timer?: Timer;
  private ticking = false;
  private stopped = false;
  /** Results that arrived since the last drain: recorded together, in one transaction. */
  private results: JobResult[] = [];
  private draining = false;

  constructor(
    private readonly store: BatchStore,
    private readonly files: FileStore,
    private readonly opts: RunnerOptions,
    private readonly log: Logger,
    private readonly rights: BatchRights,
  ) {}

  /** The creator's current rights over a batch: the key's live principal, or why the batch may not go on. */
  private rightsOf(batch: BatchRow): { principal: Principal } | { denied: LineError } {
    const principal = this.rights.principalOf(batch.keyId);
    if (principal === undefined) return { denied: { code: 'key_revoked', message: 'The key that created this batch was revoked or has expired; the request was not executed.' } };
    if (!visibleModel(this.rights.router(), principal, batch.model)) {
      return { denied: { code: 'model_not_found', message: `The model \`${batch.model}\` does not exist or the batch's key no longer has access to it; the request was not executed.` } };
    }
    return { principal };
  }

  start(): void {
    const requeued = this.store.requeueRunning();
    if (requeued > 0) this.log.info('resuming batches after a restart', { requeued_lines: requeued });
    // Batches whose import a restart interrupted (also those cancelled meanwhile) finish importing first.
    for (const b of this.store.active()) if (b.status === 'validating' || (b.status === 'cancelling' && b.inProgressAt === null)) void this.begin(b);
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 200);
    this.timer.unref();
    void this.tick();
  }

  private pool(): Worker[] {
    if (this.workers.length === 0) {
      for (let i = 0; i < this.opts.workers; i++) {
        const w = new Worker(workerUrl('batch-worker'));
        w.onmessage = (e: MessageEvent<JobResult>) => this.onResult(e.data);
        w.onerror = (e) => this.log.error('batch worker failed', { error: e.message });
        w.postMessage({ init: { routerYaml: this.opts.routerYaml, env: this.opts.env, backoffBaseMs: this.opts.backoffBaseMs } });
        this.workers.push(w);
      }
    }
    return this.workers;
  }

  /** New router config text (SIGHUP): every worker rebuilds its router; lines in flight finish on the old one. */
  reconfigure(routerYaml: string): void {
    this.opts.routerYaml = routerYaml;
    for (const w of this.workers) w.postMessage({ init: { routerYaml, env: this.opts.env, backoffBaseMs: this.opts.backoffBaseMs } });
  }

  /** Imports a new (or interrupted) batch's lines, then lets the runner pick it up. */
  async begin(batch: BatchRow, attempt = 0): Promise<void> {
    const input = this.files.byId(batch.inputFileId);
    if (!input) {
      this.importing.delete(batch.id);
      this.store.fail(batch.id, { code: 'input_file_missing', message: `The input file ${batch.inputFileId} no longer exists.`, param: 'input_file_id' });
      return;
    }
    // A batch cancelled while its lines are being imported is finalized only once every line is in:
    // otherwise lines imported after the cancel would stay pending for ever.
    this.importing.add(batch.id);
    let retrying = false;
    try {
      await this.store.importLines(batch.id, this.files.read(input));
    } catch (err) {
      // The input comes from the file store, which may be briefly out of reach (a bucket): the import is tried
      // again a few times, further apart (5 s, 20 s, 80 s, 5 min by default; lines already in are kept), and the
      // batch stays importing meanwhile, so a cancel waits for it as it would during an import.
      if (attempt < IMPORT_RETRIES && !this.stopped) {
        const delayMs = (this.opts.importRetryMs ?? 5_000) * 4 ** attempt;
        this.log.warn('could not read a batch input file; will try again', { batch: batch.id, attempt: attempt + 1, retry_in_ms: delayMs, error: (err as Error).message });
        setTimeout(() => void (this.stopped ? undefined : this.begin(batch, attempt + 1)), delayMs).unref();
        retrying = true;
        return;
      }
      this.log.error('could not import batch lines', { batch: batch.id, error: err as Error });
      this.store.fail(batch.id, { code: 'input_file_unreadable', message: 'The input file could not be read.', param: 'input_file_id' });
    } finally {
      if (!retrying) this.importing.delete(batch.id);
    }
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const now = Date.now();
      for (const batch of this.store.active()) {
        const running = this.perBatch.get(batch.id) ?? 0;
        if (batch.status === 'in_progress' && now >= batch.expiresAt) {
          this.store.failPending(batch.id, { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' });
          this.abortBatch(batch.id);
        }
        if (this.importing.has(batch.id)) continue;
        if (batch.status === 'cancelling') {
          this.store.failPending(batch.id, { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' });
          if (running === 0) await this.finalize(batch, 'cancelled');
          continue;
        }
        if (batch.status === 'finalizing') {
          await this.finalize(batch, batch.expiresAt <= now ? 'expired' : 'completed');
          continue;
        }
        if (batch.status !== 'in_progress') continue;
        const rights = this.rightsOf(batch);
        if ('denied' in rights) {
          this.store.failPending(batch.id, rights.denied);
          this.abortBatch(batch.id);
          if (running === 0) await this.finalize(batch, 'failed', rights.denied);
          continue;
        }
        const room = Math.min(this.opts.perBatchConcurrency - running, this.opts.concurrency - this.inFlight.size);
        const lines = this.store.claim(batch.id, room);
        if (lines.length === 0 && running === 0 && this.store.counts(batch.id).pending === 0) {
          this.store.setStatus(batch.id, 'finalizing', 'finalizing_at');
          await this.finalize({ ...batch, status: 'finalizing' }, now >= batch.expiresAt ? 'expired' : 'completed');
          continue;
        }
        const workers = this.pool();
        const router = this.rights.router();
        const model = router.models.get(batch.model);
        const chain = model ? chainFor(router, rights.principal, model).map((m) => m.name) : [batch.model];
        for (const line of lines) {
          const worker = workers[this.next++ % workers.length]!;
          const job: BatchJob = { id: `${batch.id}:${line.lineNo}`, endpoint: ENDPOINT_OF_URL[batch.endpoint as keyof typeof ENDPOINT_OF_URL], model: batch.model, chain, body: line.body };
          this.inFlight.set(job.id, { batchId: batch.id, lineNo: line.lineNo, customId: line.customId, worker });
          this.perBatch.set(batch.id, (this.perBatch.get(batch.id) ?? 0) + 1);
          worker.postMessage({ job });
        }
      }
    } catch (err) {
      this.log.error('batch runner tick failed', { error: err as Error });
    } finally {
      this.ticking = false;
    }
  }

  private onResult(r: JobResult): void {
    this.results.push(r);
    if (this.draining) return;
    this.draining = true;
    // Results arrive in bursts: record every one that arrived in this turn of the event loop at once,
    // then refill the freed slots with one tick.
    setImmediate(() => {
      this.draining = false;
      const batch = this.results;
      this.results = [];
      this.store.sqlite.transaction(() => {
        for (const x of batch) this.record(x);
      }).immediate();
      void this.tick();
    });
  }

  private record(r: JobResult): void {
    const f = this.inFlight.get(r.id);
    if (!f) return;
    this.inFlight.delete(r.id);
    this.perBatch.set(f.batchId, Math.max(0, (this.perBatch.get(f.batchId) ?? 1) - 1));
    const batch = this.store.byId(f.batchId);
    if (!batch) return;
    const requestId = randomId('req_');
    // A line aborted by us (cancel, expiry, lost rights) never got an answer: it carries the batch's reason instead.
    const stoppedByUs = !r.ok && r.status === 499;
    const rights = batch.status === 'in_progress' ? this.rightsOf(batch) : undefined;
    const reason =
      batch.status === 'cancelling'
        ? { code: 'batch_cancelled', message: 'This request was not completed because the batch was cancelled.' }
        : rights !== undefined && 'denied' in rights
          ? rights.denied
          : { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' };
    this.store.finish(f.batchId, f.lineNo, {
      state: r.ok ? 'done' : 'failed',
      statusCode: stoppedByUs ? null : r.status,
      requestId,
      result: stoppedByUs ? JSON.stringify(reason) : r.text,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      usage: usageRecord(
        { keyId: batch.keyId, userId: batch.userId, orgId: batch.orgId, teamId: batch.ownerTeamId },
        {
          requestId,
          endpoint: ENDPOINT_OF_URL[batch.endpoint as keyof typeof ENDPOINT_OF_URL],
          model: r.model,
          deployment: r.deployment,
          status: r.status,
          latencyMs: r.latencyMs,
          inputTokens: r.inputTokens,
          outputTokens: r.outputTokens,
          endUserId: r.endUserId,
          errorCode: r.ok ? null : (r.errorCode ?? null),
          batchId: f.batchId,
        },
      ),
    });
  }

  private abortBatch(batchId: string): void {
    for (const [id, f] of this.inFlight) if (f.batchId === batchId) f.worker.postMessage({ abort: id });
  }

  /** Cancelling: no new lines start, in-flight ones are aborted, and the batch finishes as cancelled. */
  cancel(batchId: string): void {
    this.abortBatch(batchId);
    void this.tick();
  }

  /** Writes the output and error files (every custom_id exactly once across both) and ends the batch. */
  private async finalize(batch: BatchRow, end: 'completed' | 'expired' | 'cancelled' | 'failed', why?: LineError): Promise<void> {
    if (batch.outputFileId === null && batch.errorFileId === null) {
      const owner = ownerOfBatch(batch);
      const output = await this.writeFile(batch, owner, 'output', this.store.finishedLines(batch.id, 'done').map((l) =>
        `{"id":${JSON.stringify(`batch_${l.requestId ?? ''}`)},"custom_id":${JSON.stringify(l.customId)},"response":{"status_code":${l.statusCode ?? 200},"request_id":${JSON.stringify(l.requestId)},"body":${l.result ?? 'null'}},"error":null}`,
      ));
      // A failure here (the file store unreachable) leaves the batch finalizing, to be tried again: the output
      // file already written goes, or the next try would leave a second one in the owner's files.
      const errors = await this.writeFile(batch, owner, 'error', this.store.finishedLines(batch.id, 'failed').map((l) => {
        const id = JSON.stringify(`batch_${l.requestId ?? randomId('req_')}`);
        // A line that got an HTTP answer carries it; one that never ran (expired, cancelled) carries an error.
        return l.statusCode !== null
          ? `{"id":${id},"custom_id":${JSON.stringify(l.customId)},"response":{"status_code":${l.statusCode},"request_id":${JSON.stringify(l.requestId)},"body":${l.result ?? 'null'}},"error":null}`
          : `{"id":${id},"custom_id":${JSON.stringify(l.customId)},"response":null,"error":${l.result ?? '{"code":"unknown","message":"unknown"}'}}`;
      })).catch(async (err: unknown) => {
        if (output !== null) await this.files.delete(owner, output);
        throw err;
      });
      this.store.setFiles(batch.id, output, errors);
    }
    if (end === 'failed') this.store.fail(batch.id, why ?? { code: 'batch_failed', message: 'The batch failed.' });
    else this.store.setStatus(batch.id, end, { completed: 'completed_at', expired: 'expired_at', cancelled: 'cancelled_at' }[end]);
    this.perBatch.delete(batch.id);
    this.log.info('batch finished', { batch: batch.id, status: end });
  }

  private async writeFile(batch: BatchRow, owner: Owner, kind: 'output' | 'error', lines: string[]): Promise<string | null> {
    if (lines.length === 0) return null;
    const temp = this.files.tempPath();
    const handle = await open(temp, 'wx', 0o600);
    try {
      let bytes = 0;
      for (let i = 0; i < lines.length; i += 500) {
        const chunk = Buffer.from(`${lines.slice(i, i + 500).join('\n')}\n`);
        bytes += chunk.length;
        await writeAll(handle, chunk);
      }
      await handle.sync();
      await handle.close();
      const now = Date.now();
      return (await this.files.add(owner, temp, {
        keyId: batch.keyId,
        filename: `${batch.id}_${kind}.jsonl`,
        purpose: 'batch_output',
        bytes,
        createdAt: now,
        expiresAt: now + this.opts.outputExpiryMs,
        lineCount: lines.length,
        batchEndpoint: null,
        batchModel: null,
      })).id;
    } catch (err) {
      await handle.close().catch(() => {});
      await rm(temp, { force: true });
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }
}
