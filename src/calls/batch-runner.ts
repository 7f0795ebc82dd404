/**
 * The batch runner (main thread): hands pending lines to a pool of worker threads within a global and a
 * per-batch concurrency cap (live traffic keeps headroom, batches share capacity), records each outcome
 * durably, and moves batches through in_progress → finalizing → completed (or cancelling → cancelled,
 * or expired), writing the output and error files.
 *
 * Several nodes (processes sharing one database) run the same batches: each runner polls every active
 * batch (every tick), leases the lines it runs (BatchStore.claim), renews its leases every third of the lease
 * while they run, and gives them back when it stops. A node that dies leaves its lines leased: once the lease
 * runs out (AQUEDUCT_BATCH_LEASE) any node runs them again — a restarted node too. Finalizing, cancel and
 * expiry are decided on the database's state, so whichever node holds a batch's lines they work the same.
 *
 * Lines run with the creator's current rights, checked at every tick (200 ms): once the batch's key is
 * revoked or expired, or its model is excluded for the key, no further line starts, running ones are
 * aborted, and the batch ends `failed` with the reason, every un-run custom_id in the error file. Lines
 * do not count against the key's live rate limits, but are metered and recorded like live calls.
 */
import { open, rm } from 'node:fs/promises';
import type { RouterConfig } from '../config/router-config';
import { chainFor, visibleModel } from '../domain/admission';
import type { BatchEnd, BatchRow, BatchStore, LineError, LineOutcome } from '../domain/batches/batch-store';
import type { FileStore } from '../domain/files/file-store';
import { randomId } from '../domain/files/ids';
import type { Owner } from '../domain/files/owner';
import { writeAll } from '../store/write-all';
import type { Principal } from '../domain/key-cache';
import type { Logger } from '../log';
import { workerUrl } from '../workers/worker-url';
import { ENDPOINT_OF_URL, type BatchJob, type JobResult } from './batch-jobs';
import { usageRecord } from './usage-record';

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
  /** How long a claimed line stays this node's without a renewal (default 30 s; renewed every third of it). */
  leaseMs?: number;
  /** This node's id in the leases (default: random, one per runner). */
  nodeId?: string;
}

export const DEFAULT_LEASE_MS = 30_000;

interface InFlight {
  batchId: string;
  lineNo: number;
  customId: string;
  worker: Worker;
}

const IMPORT_RETRIES = 4;

/** Line numbers per batch. */
function byBatch(lines: Iterable<{ batchId: string; lineNo: number }>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const l of lines) {
    const list = out.get(l.batchId);
    if (list) list.push(l.lineNo);
    else out.set(l.batchId, [l.lineNo]);
  }
  return out;
}

/** A batch whose lines are not all in yet (total is set when an import ends). */
const unimported = (b: BatchRow) => b.status === 'validating' || (b.status === 'cancelling' && b.total === 0);

const ownerOfBatch = (b: BatchRow): Owner => (b.ownerTeamId !== null ? { kind: 'team', id: b.ownerTeamId } : { kind: 'user', id: b.ownerUserId! });

export class BatchRunner {
  private workers: Worker[] = [];
  private next = 0;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly perBatch = new Map<string, number>();
  /** Batches whose lines are being imported right now. */
  private readonly importing = new Set<string>();
  /** Batches whose interrupted import this node took up (once each). */
  private readonly resumed = new Set<string>();
  private timer?: Timer;
  private ticking = false;
  private stopped = false;
  /** Results that arrived since the last drain: recorded together, in one transaction. */
  private results: JobResult[] = [];
  private draining = false;
  /** This node's id in line leases: unique per process, so a restarted node is a new node. */
  readonly nodeId: string;
  private readonly leaseMs: number;
  private renewer?: Timer;
  /** Batches this node moved to finalizing (or took over): it finalizes them, retrying on later ticks. */
  private readonly finalizing = new Set<string>();
  /** The aqueduct_batch_lines gauge, refreshed by the ticks (a scrape cannot wait for the database). */
  private lineStates: [{ state: string }, number][] = [];
  private lineStatesAt = 0;

  constructor(
    private readonly store: BatchStore,
    private readonly files: FileStore,
    private readonly opts: RunnerOptions,
    private readonly log: Logger,
    private readonly rights: BatchRights,
  ) {
    this.nodeId = opts.nodeId ?? randomId('node-', 16);
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  }

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
    // Batches whose import was interrupted (also those cancelled meanwhile) finish importing first. Another node
    // may be importing one of them right now: importing is idempotent, so the lines go in once either way.
    void this.store
      .active()
      .then((active) => {
        for (const b of active) if (unimported(b)) this.resume(b);
      })
      .catch((err: unknown) => this.log.error('could not resume batch imports', { error: err as Error }));
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 200);
    this.timer.unref();
    this.renewer = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.renewer.unref();
    void this.tick();
  }

  private resume(batch: BatchRow): void {
    this.resumed.add(batch.id);
    void this.begin(batch);
  }

  /** Extends the leases of the lines this node is running (a line another node took over is not extended). */
  private async renew(): Promise<void> {
    const until = Date.now() + this.leaseMs;
    try {
      for (const [batchId, lineNos] of byBatch(this.inFlight.values())) await this.store.renew(batchId, lineNos, this.nodeId, until);
    } catch (err) {
      this.log.warn('could not renew batch line leases; will try again', { error: err as Error });
    }
  }

  /** Lines of unfinished batches by state, as of the last tick (for the metrics gauge). */
  lineGauge(): [{ state: string }, number][] {
    return this.lineStates;
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
    const input = await this.files.byId(batch.inputFileId);
    if (!input) {
      this.importing.delete(batch.id);
      await this.store.fail(batch.id, { code: 'input_file_missing', message: `The input file ${batch.inputFileId} no longer exists.`, param: 'input_file_id' });
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
      await this.store.fail(batch.id, { code: 'input_file_unreadable', message: 'The input file could not be read.', param: 'input_file_id' });
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
      if (now - this.lineStatesAt >= 1000) {
        this.lineStatesAt = now;
        this.lineStates = (await this.store.lineStates()).map((r) => [{ state: r.state === 'pending' ? 'queued' : r.state }, r.n]);
      }
      for (const batch of await this.store.active()) {
        // One batch's trouble (its files not stored yet) does not hold up the others.
        await this.step(batch, now).catch((err: unknown) => this.log.error('batch runner step failed; will try again', { batch: batch.id, error: err as Error }));
      }
    } catch (err) {
      this.log.error('batch runner tick failed', { error: err as Error });
    } finally {
      this.ticking = false;
    }
  }

  /** Whether no line of the batch is left to run or running, on any node. */
  private async drained(batchId: string): Promise<boolean> {
    const c = await this.store.counts(batchId);
    return c.pending === 0 && c.running === 0;
  }

  /** One batch's turn in a tick: expire, cancel, finalize, or lease and start more of its lines. */
  private async step(batch: BatchRow, now: number): Promise<void> {
    const running = this.perBatch.get(batch.id) ?? 0;
    if (batch.status === 'in_progress' && now >= batch.expiresAt) {
      await this.store.failUnrun(batch.id, { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' }, now);
      this.abortBatch(batch.id);
    }
    if (this.importing.has(batch.id)) return;
    // An import still not done long after the batch was created: its node probably died (a restarted node takes
    // it up at once, see start). Taking it up while it still runs elsewhere costs a second read, nothing more.
    if (unimported(batch) && !this.resumed.has(batch.id) && now - batch.createdAt > 2 * this.leaseMs) return this.resume(batch);
    if (batch.status === 'cancelling') {
      // Until the import ends (on whichever node imports) the lines are not all in.
      if (unimported(batch)) return;
      this.abortBatch(batch.id); // this node's lines, whichever node took the cancel
      await this.store.failUnrun(batch.id, { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' }, now);
      if ((await this.drained(batch.id)) && (await this.ownsEnding(batch, now))) await this.finalize(batch, 'cancelled');
      return;
    }
    if (batch.status === 'finalizing') {
      // Ours, or one whose finalizer stopped (no end for a whole lease): then one node takes it over.
      const ours = this.finalizing.has(batch.id) || (batch.finalizingAt !== null && now - batch.finalizingAt > this.leaseMs && (await this.store.takeOverFinalizing(batch.id, batch.finalizingAt, now)));
      if (ours) {
        this.finalizing.add(batch.id);
        await this.finalize({ ...batch, status: 'finalizing' }, batch.expiresAt <= now ? 'expired' : 'completed');
      }
      return;
    }
    if (batch.status !== 'in_progress') return;
    const rights = this.rightsOf(batch);
    if ('denied' in rights) {
      await this.store.failUnrun(batch.id, rights.denied, now);
      this.abortBatch(batch.id);
      if ((await this.drained(batch.id)) && (await this.ownsEnding(batch, now))) await this.finalize(batch, 'failed', rights.denied);
      return;
    }
    const room = Math.min(this.opts.perBatchConcurrency - running, this.opts.concurrency - this.inFlight.size);
    const lines = await this.store.claim(batch.id, room, this.nodeId, now, now + this.leaseMs);
    if (lines.length === 0 && running === 0 && (await this.drained(batch.id))) {
      // Several nodes may see the last line finish: the one that moves the batch to finalizing finalizes it.
      if (await this.store.transition(batch.id, ['in_progress'], 'finalizing', 'finalizing_at', now)) {
        this.finalizing.add(batch.id);
        await this.finalize({ ...batch, status: 'finalizing' }, now >= batch.expiresAt ? 'expired' : 'completed');
      }
      return;
    }
    if (lines.length === 0) return;
    const workers = this.pool();
    const router = this.rights.router();
    const model = router.models.get(batch.model);
    const chain = model ? chainFor(router, rights.principal, model).map((m) => m.name) : [batch.model];
    for (const line of lines) {
      // A line of ours whose lease ran out while it ran (the event loop stalled) comes back to us: it is running already.
      if (this.inFlight.has(`${batch.id}:${line.lineNo}`)) continue;
      const worker = workers[this.next++ % workers.length]!;
      const job: BatchJob = { id: `${batch.id}:${line.lineNo}`, endpoint: ENDPOINT_OF_URL[batch.endpoint as keyof typeof ENDPOINT_OF_URL], model: batch.model, chain, body: line.body };
      this.inFlight.set(job.id, { batchId: batch.id, lineNo: line.lineNo, customId: line.customId, worker });
      this.perBatch.set(batch.id, (this.perBatch.get(batch.id) ?? 0) + 1);
      worker.postMessage({ job });
    }
  }

  private onResult(r: JobResult): void {
    this.results.push(r);
    if (this.draining) return;
    this.draining = true;
    // Results arrive in bursts: record every one that arrived in this turn of the event loop at once (one
    // transaction), then refill the freed slots with one tick.
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      while (this.results.length > 0) {
        const results = this.results;
        this.results = [];
        try {
          await this.record(results);
        } catch (err) {
          // Nothing of it committed: the lines stay leased to this node, unrenewed, and run again once the lease ends.
          this.log.error('could not record batch line results; the lines will run again', { error: err as Error });
        }
      }
    } finally {
      this.draining = false;
    }
    void this.tick();
  }

  private async record(results: JobResult[]): Promise<void> {
    const batches = new Map<string, BatchRow | undefined>();
    const done: { batchId: string; lineNo: number; outcome: LineOutcome }[] = [];
    for (const r of results) {
      const f = this.inFlight.get(r.id);
      if (!f) continue;
      this.inFlight.delete(r.id);
      this.perBatch.set(f.batchId, Math.max(0, (this.perBatch.get(f.batchId) ?? 1) - 1));
      if (!batches.has(f.batchId)) batches.set(f.batchId, await this.store.byId(f.batchId));
      const batch = batches.get(f.batchId);
      if (!batch) continue;
      done.push({ batchId: f.batchId, lineNo: f.lineNo, outcome: this.outcome(batch, r) });
    }
    if (done.length > 0) await this.store.finish(this.nodeId, done);
  }

  private outcome(batch: BatchRow, r: JobResult): LineOutcome {
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
    return {
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
          batchId: batch.id,
        },
      ),
    };
  }

  private abortBatch(batchId: string): void {
    for (const [id, f] of this.inFlight) if (f.batchId === batchId) f.worker.postMessage({ abort: id });
  }

  /** Cancelling: no new lines start, in-flight ones are aborted, and the batch finishes as cancelled. */
  cancel(batchId: string): void {
    this.abortBatch(batchId);
    void this.tick();
  }

  /**
   * Whether this node ends a batch that ends without passing through finalizing (cancelled, failed): the one whose
   * claim holds (see BatchStore.claimEnding), so two nodes seeing the last line go do not both write files.
   */
  private async ownsEnding(batch: BatchRow, now: number): Promise<boolean> {
    if (this.finalizing.has(batch.id)) return true;
    if (!(await this.store.claimEnding(batch.id, batch.status, now, now - this.leaseMs))) return false;
    this.finalizing.add(batch.id);
    return true;
  }

  /**
   * Writes the output and error files (every custom_id exactly once across both) and ends the batch, from the
   * status it was seen in. Should another node have ended it meanwhile, the files written here are removed.
   * A failure (the file store out of reach) leaves the batch as it was, to be finalized on a later tick.
   */
  private async finalize(batch: BatchRow, end: BatchEnd, why?: LineError): Promise<void> {
    const owner = ownerOfBatch(batch);
    const done = await this.store.finishedLines(batch.id, 'done');
    const output = await this.writeFile(batch, owner, 'output', done.map((l) =>
      `{"id":${JSON.stringify(`batch_${l.requestId ?? ''}`)},"custom_id":${JSON.stringify(l.customId)},"response":{"status_code":${l.statusCode ?? 200},"request_id":${JSON.stringify(l.requestId)},"body":${l.result ?? 'null'}},"error":null}`,
    ));
    const failed = await this.store.finishedLines(batch.id, 'failed');
    // The output file already written goes if the error file fails, or the next try would leave a second one.
    const errors = await this.writeFile(batch, owner, 'error', failed.map((l) => {
      const id = JSON.stringify(`batch_${l.requestId ?? randomId('req_')}`);
      // A line that got an HTTP answer carries it; one that never ran (expired, cancelled) carries an error.
      return l.statusCode !== null
        ? `{"id":${id},"custom_id":${JSON.stringify(l.customId)},"response":{"status_code":${l.statusCode},"request_id":${JSON.stringify(l.requestId)},"body":${l.result ?? 'null'}},"error":null}`
        : `{"id":${id},"custom_id":${JSON.stringify(l.customId)},"response":null,"error":${l.result ?? '{"code":"unknown","message":"unknown"}'}}`;
    })).catch(async (err: unknown) => {
      if (output !== null) await this.files.delete(owner, output);
      throw err;
    });
    const ended = await this.store.end(batch.id, batch.status, end, { output, error: errors }, end === 'failed' ? (why ?? { code: 'batch_failed', message: 'The batch failed.' }) : undefined);
    this.finalizing.delete(batch.id);
    this.perBatch.delete(batch.id);
    if (!ended) {
      for (const id of [output, errors]) if (id !== null) await this.files.delete(owner, id);
      return;
    }
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

  /** Stops the workers and gives their lines back (pending again), so another node need not wait for the leases to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.renewer) clearInterval(this.renewer);
    for (const w of this.workers) w.terminate();
    this.workers = [];
    const lines = byBatch(this.inFlight.values());
    this.inFlight.clear();
    try {
      for (const [batchId, lineNos] of lines) await this.store.release(batchId, lineNos, this.nodeId);
    } catch (err) {
      this.log.warn('could not give back running batch lines; they run again when their leases end', { error: err as Error });
    }
  }
}
