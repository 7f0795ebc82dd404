/**
 * Batches and their lines, through the Sql port (src/db/sql.ts): the same SQL on SQLite and PostgreSQL,
 * where several nodes (processes) run one database's batches together.
 *
 * Every state change of a line is one transaction, and a finished line's usage row is written in the same
 * transaction, so a crash at any moment loses nothing and a line's usage is counted once, when it finishes.
 *
 * Leases, so that nodes share lines without a coordinator: a node claims lines by setting their
 * `lease_owner` (its node id) and `lease_until`, renews the lease while they run (`renew`), and finishes a
 * line only while it still holds it. A line whose lease ran out (its node died or stalled) is claimable
 * again by any node; should its first node still answer, that answer is ignored (finish changes nothing),
 * so every custom_id ends in the output or error file once and its usage is counted once.
 *
 * A batch ends once (`end`): the final status is set only from the status the finalizing node saw, so of
 * two nodes finalizing together one wins and the other discards the files it wrote.
 */
import type { Sql, SqlValue } from '../../db/sql';
import { writeUsageThrough } from '../../db/usage-write';
import { usageWrite, type UsageRecord } from '../usage-rows';
import { forEachLine } from '../files/batch-file';
import { randomId } from '../files/ids';
import { ownerWhere, type Owner } from '../files/owner';

export const ACTIVE = ['validating', 'in_progress', 'finalizing', 'cancelling'] as const;
export const TERMINAL = ['completed', 'failed', 'expired', 'cancelled'] as const;
export type BatchStatus = (typeof ACTIVE)[number] | (typeof TERMINAL)[number];
const ACTIVE_SQL = `status IN (${ACTIVE.map((s) => `'${s}'`).join(', ')})`;

export interface BatchRow {
  id: string;
  ownerUserId: number | null;
  ownerTeamId: number | null;
  keyId: number;
  userId: number;
  orgId: number;
  inputFileId: string;
  endpoint: string;
  model: string;
  completionWindow: string;
  status: BatchStatus;
  metadata: string | null;
  errors: string | null;
  outputFileId: string | null;
  errorFileId: string | null;
  total: number;
  completed: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  createdAt: number;
  inProgressAt: number | null;
  expiresAt: number;
  finalizingAt: number | null;
  completedAt: number | null;
  failedAt: number | null;
  expiredAt: number | null;
  cancellingAt: number | null;
  cancelledAt: number | null;
}

export interface ClaimedLine {
  lineNo: number;
  customId: string;
  body: string;
}

export interface LineOutcome {
  state: 'done' | 'failed';
  statusCode: number | null;
  requestId: string;
  /** JSON text: the answer for done lines, the error ({code, message} or an upstream error body) otherwise. */
  result: string;
  usage?: Omit<UsageRecord, 'batchId'>;
  inputTokens: number;
  outputTokens: number;
}

export interface LineError {
  code: string;
  message: string;
  param?: string | null;
}

/** The columns as a BatchRow; aliases quoted (PostgreSQL folds unquoted ones to lower case), bigints as numbers. */
function selectFrom(sql: Sql): string {
  const plain = { id: 'id', ownerUserId: 'owner_user_id', ownerTeamId: 'owner_team_id', keyId: 'key_id', userId: 'user_id', orgId: 'org_id',
    inputFileId: 'input_file_id', endpoint: 'endpoint', model: 'model', completionWindow: 'completion_window', status: 'status', metadata: 'metadata',
    errors: 'errors', outputFileId: 'output_file_id', errorFileId: 'error_file_id', total: 'total', completed: 'completed', failed: 'failed' };
  const big = { inputTokens: 'input_tokens', outputTokens: 'output_tokens', createdAt: 'created_at', inProgressAt: 'in_progress_at', expiresAt: 'expires_at',
    finalizingAt: 'finalizing_at', completedAt: 'completed_at', failedAt: 'failed_at', expiredAt: 'expired_at', cancellingAt: 'cancelling_at', cancelledAt: 'cancelled_at' };
  const cols = [...Object.entries(plain).map(([a, c]) => `${c} AS "${a}"`), ...Object.entries(big).map(([a, c]) => `${sql.num(c)} AS "${a}"`)];
  return `SELECT ${cols.join(', ')} FROM batches`;
}

/** When each final status is reached (its timestamp column). */
const END_AT = { completed: 'completed_at', expired: 'expired_at', cancelled: 'cancelled_at', failed: 'failed_at' } as const;
export type BatchEnd = keyof typeof END_AT;

/**
 * Lines no node is running, as of `?` (now): pending, or running under a lease that ran out — or under none,
 * as lines left running by a version before leases (the upgrade needs no step of its own).
 */
const UNRUN = "(state = 'pending' OR (state = 'running' AND (lease_until IS NULL OR lease_until < ?)))";

/** Rows per multi-row statement (import), line numbers per IN list (renew, release). */
const IMPORT_ROWS = 500;
const errorsJson = (e: LineError) => JSON.stringify([{ code: e.code, message: e.message, param: e.param ?? null, line: null }]);

export class BatchStore {
  private readonly select: string;

  constructor(private readonly sql: Sql) {
    this.select = selectFrom(sql);
  }

  /**
   * Creates the batch in status `validating`; its lines are imported by `importLines` (streamed from the
   * input file, never held in memory), after which it runs.
   */
  async create(
    owner: Owner,
    who: { keyId: number; userId: number; orgId: number },
    input: { id: string; endpoint: string; model: string },
    metadata: Record<string, string> | null,
    windowMs: number,
    now = Date.now(),
  ): Promise<BatchRow> {
    const id = randomId('batch_');
    await this.sql.run(
      `INSERT INTO batches (id, owner_user_id, owner_team_id, key_id, user_id, org_id, input_file_id, endpoint, model, completion_window,
         status, metadata, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '24h', 'validating', ?, ?, ?)`,
      [id, owner.kind === 'user' ? owner.id : null, owner.kind === 'team' ? owner.id : null, who.keyId, who.userId, who.orgId, input.id, input.endpoint, input.model,
        metadata === null ? null : JSON.stringify(metadata), now, now + windowMs],
    );
    return (await this.byId(id))!;
  }

  /**
   * Reads the input file line by line into pending lines, a thousand per transaction, then starts the
   * batch. Safe to run again after a crash, or by two nodes at once: lines already in are kept.
   */
  async importLines(batchId: string, input: ReadableStream<Uint8Array>): Promise<void> {
    let chunk: ClaimedLine[] = [];
    const flush = async () => {
      const rows = chunk;
      chunk = [];
      if (rows.length === 0) return;
      await this.sql.transaction(async (tx) => {
        for (let i = 0; i < rows.length; i += IMPORT_ROWS) {
          const part = rows.slice(i, i + IMPORT_ROWS);
          await tx.run(
            `INSERT INTO batch_lines (batch_id, line_no, custom_id, body, state) VALUES ${part.map(() => "(?, ?, ?, ?, 'pending')").join(', ')} ON CONFLICT DO NOTHING`,
            part.flatMap((l) => [batchId, l.lineNo, l.customId, l.body]),
          );
        }
      });
    };
    await forEachLine(input, async (text, n) => {
      if (text.trim() === '') return;
      const l = JSON.parse(text) as { custom_id: string | number; body: unknown };
      chunk.push({ lineNo: n, customId: String(l.custom_id), body: JSON.stringify(l.body) });
      if (chunk.length >= 1000) await flush();
    });
    await flush();
    const now = Date.now();
    // `total` counts every line, also when the batch was cancelled during the import (a total above 0 is how
    // any node knows the import is done); only a batch still validating starts.
    await this.sql.transaction(async (tx) => {
      await tx.run('UPDATE batches SET total = (SELECT count(*) FROM batch_lines WHERE batch_id = ?) WHERE id = ?', [batchId, batchId]);
      await tx.run("UPDATE batches SET status = 'in_progress', in_progress_at = ? WHERE id = ? AND status = 'validating'", [now, batchId]);
    });
  }

  /** A batch that cannot start (its input file is gone or unreadable); a batch already ended stays as it is. */
  async fail(batchId: string, error: LineError, now = Date.now()): Promise<boolean> {
    return (await this.sql.run(`UPDATE batches SET status = 'failed', failed_at = ?, errors = ? WHERE id = ? AND ${ACTIVE_SQL}`, [now, errorsJson(error), batchId])) > 0;
  }

  byId(id: string): Promise<BatchRow | undefined> {
    return this.sql.get<BatchRow>(`${this.select} WHERE id = ?`, [id]);
  }

  get(owner: Owner, id: string): Promise<BatchRow | undefined> {
    const w = ownerWhere(owner);
    return this.sql.get<BatchRow>(`${this.select} WHERE id = ? AND ${w.sql}`, [id, w.param]);
  }

  /** Newest first: (created_at, id) on both dialects; batches created within one millisecond in id order. */
  async list(owner: Owner, limit: number, after?: string): Promise<{ data: BatchRow[]; hasMore: boolean } | undefined> {
    const w = ownerWhere(owner);
    const params: SqlValue[] = [w.param];
    let cond = w.sql;
    if (after !== undefined) {
      const cursor = await this.get(owner, after);
      if (!cursor) return undefined;
      cond += ' AND (created_at < ? OR (created_at = ? AND id < ?))';
      params.push(cursor.createdAt, cursor.createdAt, cursor.id);
    }
    const rows = await this.sql.rows<BatchRow>(`${this.select} WHERE ${cond} ORDER BY created_at DESC, id DESC LIMIT ?`, [...params, limit + 1]);
    return { data: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  async activeCount(owner: Owner): Promise<number> {
    const w = ownerWhere(owner);
    return (await this.sql.get<{ n: number }>(`SELECT ${this.sql.num('count(*)')} AS n FROM batches WHERE ${w.sql} AND ${ACTIVE_SQL}`, [w.param]))!.n;
  }

  /** Batches the runners have work for, whichever node created them. */
  active(): Promise<BatchRow[]> {
    return this.sql.rows<BatchRow>(`${this.select} WHERE ${ACTIVE_SQL} ORDER BY created_at, id`);
  }

  /**
   * Moves a batch from one of `from` to `to`, stamping `at`; false when it was in none of them (another node,
   * or a cancel, moved it first). Only the caller that gets true acts on the move.
   */
  async transition(id: string, from: readonly BatchStatus[], to: BatchStatus, at: string, now = Date.now()): Promise<boolean> {
    return (await this.sql.run(`UPDATE batches SET status = ?, ${at} = ? WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})`, [to, now, id, ...from])) > 0;
  }

  /**
   * Takes over the finalizing of a batch whose finalizer has not ended it since `seenAt` (it stopped): true for
   * the one node that moves finalizing_at from `seenAt` to `now`.
   */
  async takeOverFinalizing(id: string, seenAt: number, now = Date.now()): Promise<boolean> {
    return (await this.sql.run("UPDATE batches SET finalizing_at = ? WHERE id = ? AND status = 'finalizing' AND finalizing_at = ?", [now, id, seenAt])) > 0;
  }

  /**
   * Ends a batch with its result files: only from `from`, the status the finalizing node saw, so a batch ends
   * once however many nodes finalize it. False when another got there first (the caller discards its files).
   */
  async end(id: string, from: BatchStatus, end: BatchEnd, files: { output: string | null; error: string | null }, why?: LineError, now = Date.now()): Promise<boolean> {
    // An end that did not pass through finalizing (cancelled, failed) held its claim in finalizing_at: cleared.
    const clearClaim = from === 'finalizing' ? 0 : 1;
    return (
      (await this.sql.run(`UPDATE batches SET status = ?, ${END_AT[end]} = ?, output_file_id = ?, error_file_id = ?, errors = COALESCE(?, errors), finalizing_at = CASE WHEN ? = 1 THEN NULL ELSE finalizing_at END WHERE id = ? AND status = ?`, [
        end, now, files.output, files.error, why === undefined ? null : errorsJson(why), clearClaim, id, from,
      ])) > 0
    );
  }

  /**
   * Claims the ending of a batch that ends from `from` without passing through finalizing (cancelled, or failed
   * for lost rights), so that one node writes its files: true for that node. The claim is kept in finalizing_at
   * (end() clears it) and lapses at `staleBefore`, should its node stop before ending the batch.
   */
  async claimEnding(id: string, from: BatchStatus, now: number, staleBefore: number): Promise<boolean> {
    return (await this.sql.run('UPDATE batches SET finalizing_at = ? WHERE id = ? AND status = ? AND (finalizing_at IS NULL OR finalizing_at < ?)', [now, id, from, staleBefore])) > 0;
  }

  /**
   * Leases up to `n` lines of the batch to `node` until `until` and returns them: pending lines, and running
   * ones whose lease ran out before `now`, in input order. On PostgreSQL, lines another node is claiming at
   * this moment are skipped (SKIP LOCKED) rather than waited for; SQLite's write transaction is exclusive.
   */
  async claim(batchId: string, n: number, node: string, now: number, until: number): Promise<ClaimedLine[]> {
    if (n <= 0) return [];
    const lock = this.sql.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const rows = await this.sql.rows<ClaimedLine>(
      `UPDATE batch_lines SET state = 'running', lease_owner = ?, lease_until = ?
        WHERE batch_id = ? AND line_no IN (
          SELECT line_no FROM batch_lines WHERE batch_id = ? AND ${UNRUN}
           ORDER BY line_no LIMIT ?${lock})
        RETURNING line_no AS "lineNo", custom_id AS "customId", body`,
      [node, until, batchId, batchId, now, n],
    );
    return rows.sort((a, b) => a.lineNo - b.lineNo);
  }

  /** Extends `node`'s leases on these running lines of a batch to `until`; how many it still held. */
  renew(batchId: string, lineNos: readonly number[], node: string, until: number): Promise<number> {
    return this.held(batchId, lineNos, node, 'lease_until = ?', [until]);
  }

  /** Gives `node`'s running lines back (it stops): pending again, for any node to claim at once. */
  release(batchId: string, lineNos: readonly number[], node: string): Promise<number> {
    return this.held(batchId, lineNos, node, "state = 'pending', lease_owner = NULL, lease_until = NULL", []);
  }

  /** Sets `set` on those of the lines that `node` still holds; how many. */
  private async held(batchId: string, lineNos: readonly number[], node: string, set: string, params: SqlValue[]): Promise<number> {
    let n = 0;
    // In slices: a statement's parameters are limited (SQLite 32,766; PostgreSQL 65,535).
    for (let i = 0; i < lineNos.length; i += IMPORT_ROWS) {
      const part = lineNos.slice(i, i + IMPORT_ROWS);
      n += await this.sql.run(
        `UPDATE batch_lines SET ${set} WHERE batch_id = ? AND lease_owner = ? AND state = 'running' AND line_no IN (${part.map(() => '?').join(', ')})`,
        [...params, batchId, node, ...part],
      );
    }
    return n;
  }

  /**
   * Records lines' outcomes, their usage and the batches' counters in one transaction. A line counts only if
   * `node` still holds it (running, under its lease): one another node took over is left to that node.
   * Returns, per outcome, whether it counted.
   */
  finish(node: string, outcomes: readonly { batchId: string; lineNo: number; outcome: LineOutcome }[]): Promise<boolean[]> {
    return this.sql.transaction(async (tx) => {
      const counted: boolean[] = [];
      const usage: UsageRecord[] = [];
      for (const { batchId, lineNo, outcome: o } of outcomes) {
        const changed = await tx.run(
          "UPDATE batch_lines SET state = ?, status_code = ?, request_id = ?, result = ? WHERE batch_id = ? AND line_no = ? AND state = 'running' AND lease_owner = ?",
          [o.state, o.statusCode, o.requestId, o.result, batchId, lineNo, node],
        );
        counted.push(changed > 0);
        if (changed === 0) continue;
        await tx.run(
          `UPDATE batches SET ${o.state === 'done' ? 'completed = completed + 1' : 'failed = failed + 1'}, input_tokens = input_tokens + ?, output_tokens = output_tokens + ? WHERE id = ?`,
          [o.inputTokens, o.outputTokens, batchId],
        );
        if (o.usage) usage.push({ ...o.usage, batchId });
      }
      // The counted lines' usage in one write (its rollups summed once), in the same transaction.
      if (usage.length > 0) await writeUsageThrough(tx, usageWrite(usage));
      return counted;
    });
  }

  /**
   * Fails, with the same error, every line no node is running: pending ones, and running ones whose lease ran
   * out (their node is gone). For cancel, expiry and lost rights, whichever nodes held the lines.
   */
  failUnrun(batchId: string, error: LineError, now = Date.now()): Promise<number> {
    return this.sql.transaction(async (tx) => {
      const n = await tx.run(`UPDATE batch_lines SET state = 'failed', result = ? WHERE batch_id = ? AND ${UNRUN}`, [
        JSON.stringify({ code: error.code, message: error.message }),
        batchId,
        now,
      ]);
      if (n > 0) await tx.run('UPDATE batches SET failed = failed + ? WHERE id = ?', [n, batchId]);
      return n;
    });
  }

  /** Lines not finished yet: pending, and running (on any node, leases live or not). */
  async counts(batchId: string): Promise<{ pending: number; running: number }> {
    const rows = await this.sql.rows<{ state: string; n: number }>(
      `SELECT state, ${this.sql.num('count(*)')} AS n FROM batch_lines WHERE batch_id = ? AND state IN ('pending', 'running') GROUP BY state`,
      [batchId],
    );
    return { pending: rows.find((r) => r.state === 'pending')?.n ?? 0, running: rows.find((r) => r.state === 'running')?.n ?? 0 };
  }

  /** Lines of unfinished batches by state (the aqueduct_batch_lines gauge). */
  lineStates(): Promise<{ state: string; n: number }[]> {
    return this.sql.rows<{ state: string; n: number }>(
      `SELECT l.state, ${this.sql.num('count(*)')} AS n FROM batch_lines l JOIN batches b ON b.id = l.batch_id WHERE b.${ACTIVE_SQL} GROUP BY l.state`,
    );
  }

  /** Finished lines in input order, for the output and error files. */
  finishedLines(batchId: string, state: 'done' | 'failed'): Promise<{ customId: string; statusCode: number | null; requestId: string | null; result: string | null }[]> {
    return this.sql.rows(
      'SELECT custom_id AS "customId", status_code AS "statusCode", request_id AS "requestId", result FROM batch_lines WHERE batch_id = ? AND state = ? ORDER BY line_no',
      [batchId, state],
    );
  }
}
