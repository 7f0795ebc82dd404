/**
 * Batches and their lines in SQLite. Every state change of a line is one transaction, and a finished
 * line's usage row is written in the same transaction, so a crash at any moment loses nothing and a
 * restart re-runs only lines that had not finished (their usage is then counted once, when they do).
 */
import type { Database } from 'bun:sqlite';
import { insertUsageRows, type UsageRecord } from '../usage-rows';
import { forEachLine } from '../files/batch-file';
import { randomId } from '../files/ids';
import { ownerWhere, type Owner } from '../files/owner';

export const ACTIVE = ['validating', 'in_progress', 'finalizing', 'cancelling'] as const;
export const TERMINAL = ['completed', 'failed', 'expired', 'cancelled'] as const;
export type BatchStatus = (typeof ACTIVE)[number] | (typeof TERMINAL)[number];

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

const COLUMNS = `id, owner_user_id AS ownerUserId, owner_team_id AS ownerTeamId, key_id AS keyId, user_id AS userId, org_id AS orgId,
  input_file_id AS inputFileId, endpoint, model, completion_window AS completionWindow, status, metadata, errors,
  output_file_id AS outputFileId, error_file_id AS errorFileId, total, completed, failed, input_tokens AS inputTokens,
  output_tokens AS outputTokens, created_at AS createdAt, in_progress_at AS inProgressAt, expires_at AS expiresAt,
  finalizing_at AS finalizingAt, completed_at AS completedAt, failed_at AS failedAt, expired_at AS expiredAt,
  cancelling_at AS cancellingAt, cancelled_at AS cancelledAt`;
const SELECT = `SELECT ${COLUMNS} FROM batches`;

export class BatchStore {
  constructor(readonly sqlite: Database) {}

  /**
   * Creates the batch in status `validating`; its lines are imported by `importLines` (streamed from the
   * input file, never held in memory), after which it runs.
   */
  create(
    owner: Owner,
    who: { keyId: number; userId: number; orgId: number },
    input: { id: string; endpoint: string; model: string },
    metadata: Record<string, string> | null,
    windowMs: number,
    now = Date.now(),
  ): BatchRow {
    const id = randomId('batch_');
    this.sqlite.run(
      `INSERT INTO batches (id, owner_user_id, owner_team_id, key_id, user_id, org_id, input_file_id, endpoint, model, completion_window,
         status, metadata, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '24h', 'validating', ?, ?, ?)`,
      [id, owner.kind === 'user' ? owner.id : null, owner.kind === 'team' ? owner.id : null, who.keyId, who.userId, who.orgId, input.id, input.endpoint, input.model,
        metadata === null ? null : JSON.stringify(metadata), now, now + windowMs],
    );
    return this.byId(id)!;
  }

  /**
   * Reads the input file line by line into pending lines, a thousand per transaction, then starts the
   * batch. Safe to run again after a crash: lines already imported are kept (INSERT OR IGNORE).
   */
  async importLines(batchId: string, input: ReadableStream<Uint8Array>): Promise<void> {
    const insert = this.sqlite.prepare("INSERT OR IGNORE INTO batch_lines (batch_id, line_no, custom_id, body, state) VALUES (?, ?, ?, ?, 'pending')");
    let chunk: ClaimedLine[] = [];
    const flush = () => {
      const rows = chunk;
      chunk = [];
      this.sqlite.transaction(() => {
        for (const l of rows) insert.run(batchId, l.lineNo, l.customId, l.body);
      }).immediate();
    };
    await forEachLine(input, (text, n) => {
      if (text.trim() === '') return;
      const l = JSON.parse(text) as { custom_id: string | number; body: unknown };
      chunk.push({ lineNo: n, customId: String(l.custom_id), body: JSON.stringify(l.body) });
      if (chunk.length >= 1000) flush();
    });
    flush();
    const now = Date.now();
    // `total` counts every line, also when the batch was cancelled during the import; only a batch still
    // validating starts.
    this.sqlite.transaction(() => {
      this.sqlite.run('UPDATE batches SET total = (SELECT count(*) FROM batch_lines WHERE batch_id = ?) WHERE id = ?', [batchId, batchId]);
      this.sqlite.run("UPDATE batches SET status = 'in_progress', in_progress_at = ? WHERE id = ? AND status = 'validating'", [now, batchId]);
    }).immediate();
  }

  /** A batch that cannot start (its input file is gone, its model no longer usable). */
  fail(batchId: string, error: { code: string; message: string; param?: string | null }): void {
    this.sqlite.run("UPDATE batches SET status = 'failed', failed_at = ?, errors = ? WHERE id = ?", [
      Date.now(),
      JSON.stringify([{ code: error.code, message: error.message, param: error.param ?? null, line: null }]),
      batchId,
    ]);
  }

  byId(id: string): BatchRow | undefined {
    return this.sqlite.query<BatchRow, [string]>(`${SELECT} WHERE id = ?`).get(id) ?? undefined;
  }

  get(owner: Owner, id: string): BatchRow | undefined {
    const w = ownerWhere(owner);
    return this.sqlite.query<BatchRow, [string, number]>(`${SELECT} WHERE id = ? AND ${w.sql}`).get(id, w.param) ?? undefined;
  }

  list(owner: Owner, limit: number, after?: string): { data: BatchRow[]; hasMore: boolean } | undefined {
    const w = ownerWhere(owner);
    const params: (string | number)[] = [w.param];
    let cond = w.sql;
    if (after !== undefined) {
      // Insertion order (rowid) is creation order, exact even within one millisecond.
      const cursor = this.get(owner, after) && this.sqlite.query<{ r: number }, [string]>('SELECT rowid AS r FROM batches WHERE id = ?').get(after);
      if (!cursor) return undefined;
      cond += ' AND rowid < ?';
      params.push(cursor.r);
    }
    const rows = this.sqlite.query<BatchRow, (string | number)[]>(`${SELECT} WHERE ${cond} ORDER BY rowid DESC LIMIT ?`).all(...params, limit + 1);
    return { data: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  activeCount(owner: Owner): number {
    const w = ownerWhere(owner);
    return this.sqlite.query<{ n: number }, [number]>(`SELECT count(*) AS n FROM batches WHERE ${w.sql} AND status IN ('validating', 'in_progress', 'finalizing', 'cancelling')`).get(w.param)!.n;
  }

  /** Batches the runner has work for. */
  active(): BatchRow[] {
    return this.sqlite.query<BatchRow, []>(`${SELECT} WHERE status IN ('validating', 'in_progress', 'finalizing', 'cancelling') ORDER BY created_at`).all();
  }

  setStatus(id: string, status: BatchStatus, at: string, now = Date.now()): void {
    this.sqlite.run(`UPDATE batches SET status = ?, ${at} = ? WHERE id = ?`, [status, now, id]);
  }

  /** Marks up to `n` pending lines running and returns them. */
  claim(batchId: string, n: number): ClaimedLine[] {
    if (n <= 0) return [];
    return this.sqlite.transaction(() => {
      const rows = this.sqlite
        .query<ClaimedLine, [string, number]>("SELECT line_no AS lineNo, custom_id AS customId, body FROM batch_lines WHERE batch_id = ? AND state = 'pending' ORDER BY line_no LIMIT ?")
        .all(batchId, n);
      if (rows.length > 0) this.sqlite.run(`UPDATE batch_lines SET state = 'running' WHERE batch_id = ? AND line_no IN (${rows.map((r) => r.lineNo).join(',')})`, [batchId]);
      return rows;
    }).immediate();
  }

  /** Records a line's outcome, its usage and the batch's counters in one transaction; only a running line finishes. */
  finish(batchId: string, lineNo: number, o: LineOutcome): boolean {
    return this.sqlite.transaction(() => {
      const changed = this.sqlite.run("UPDATE batch_lines SET state = ?, status_code = ?, request_id = ?, result = ? WHERE batch_id = ? AND line_no = ? AND state = 'running'", [
        o.state, o.statusCode, o.requestId, o.result, batchId, lineNo,
      ]).changes;
      if (changed === 0) return false;
      this.sqlite.run(
        `UPDATE batches SET ${o.state === 'done' ? 'completed = completed + 1' : 'failed = failed + 1'}, input_tokens = input_tokens + ?, output_tokens = output_tokens + ? WHERE id = ?`,
        [o.inputTokens, o.outputTokens, batchId],
      );
      if (o.usage) insertUsageRows(this.sqlite, [{ ...o.usage, batchId }]);
      return true;
    }).immediate();
  }

  /** Fails every pending line with the same error (expiry). */
  failPending(batchId: string, error: { code: string; message: string }): number {
    return this.sqlite.transaction(() => {
      const n = this.sqlite.run("UPDATE batch_lines SET state = 'failed', result = ? WHERE batch_id = ? AND state = 'pending'", [JSON.stringify(error), batchId]).changes;
      this.sqlite.run('UPDATE batches SET failed = failed + ? WHERE id = ?', [n, batchId]);
      return n;
    }).immediate();
  }

  counts(batchId: string): { pending: number; running: number } {
    const rows = this.sqlite.query<{ state: string; n: number }, [string]>("SELECT state, count(*) AS n FROM batch_lines WHERE batch_id = ? AND state IN ('pending', 'running') GROUP BY state").all(batchId);
    return { pending: rows.find((r) => r.state === 'pending')?.n ?? 0, running: rows.find((r) => r.state === 'running')?.n ?? 0 };
  }

  /** After a crash or restart, lines that were running have no one working on them: run them again. */
  requeueRunning(): number {
    return this.sqlite.run("UPDATE batch_lines SET state = 'pending' WHERE state = 'running'").changes;
  }

  /** Finished lines in input order, for the output and error files. */
  finishedLines(batchId: string, state: 'done' | 'failed'): { customId: string; statusCode: number | null; requestId: string | null; result: string | null }[] {
    return this.sqlite
      .query<{ customId: string; statusCode: number | null; requestId: string | null; result: string | null }, [string, string]>(
        'SELECT custom_id AS customId, status_code AS statusCode, request_id AS requestId, result FROM batch_lines WHERE batch_id = ? AND state = ? ORDER BY line_no',
      )
      .all(batchId, state);
  }

  setFiles(id: string, outputFileId: string | null, errorFileId: string | null): void {
    this.sqlite.run('UPDATE batches SET output_file_id = ?, error_file_id = ? WHERE id = ?', [outputFileId, errorFileId, id]);
  }
}
