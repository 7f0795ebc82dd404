/**
 * The responses the gateway handed out (/v1/responses), owner-scoped like files: a user's, or a team's for
 * service-account keys; anyone else finds nothing (the same as a missing id). A native response is kept by
 * its upstream: the row records its owner and the deployment that holds it. A translated response was made
 * by the gateway: the row keeps the response object and its input items, which retrieve, input_items and
 * `previous_response_id` chains read. Rows are gone after `expires_at` (AQUEDUCT_RESPONSES_RETENTION).
 *
 * Everything runs through the async Sql port (src/db/sql.ts), the same SQL on SQLite and PostgreSQL; the
 * writes (src/db/response-rows.ts) go to the server's usage writer thread, or inline when no writer is given.
 */
import { writeResponseRows, type ResponseRow } from '../../db/response-rows';
import type { Sql } from '../../db/sql';
import { ownerWhere, type Owner } from '../files/owner';
import { Refusal } from '../refusal';
import { responseIdTime, responseOfItem } from '../../response-ids';

export type ResponseMode = 'native' | 'translated';
type Json = Record<string, unknown>;

export interface StoredResponse {
  id: string;
  mode: ResponseMode;
  model: string;
  deployment: string;
  /** Translated only. */
  response: Json | null;
  inputItems: Json[] | null;
  previousResponseId: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface NewResponse {
  id: string;
  owner: Owner;
  keyId: number;
  mode: ResponseMode;
  model: string;
  deployment: string;
  response?: Json;
  inputItems?: Json[];
  previousResponseId?: string | null;
  /** Ids of input items that were references to items kept already (they need no index row). */
  referenced?: ReadonlySet<string>;
}

interface Row {
  id: string;
  mode: ResponseMode;
  model: string;
  deployment: string;
  response: string | null;
  input_items: string | null;
  previous_response_id: string | null;
  created_at: number;
  expires_at: number;
}

/** Snake-case names: PostgreSQL folds an unquoted alias to lower case. */
const select = (sql: Sql) => `SELECT id, mode, model, deployment, response, input_items, previous_response_id,
  ${sql.num('created_at')} AS created_at, ${sql.num('expires_at')} AS expires_at FROM responses`;

/** How many earlier responses a `previous_response_id` chain may reach back. */
export const MAX_CHAIN = 200;

export const responseNotFound = (id: string, param: string | null = null) =>
  new Refusal('not_found', `Response with id '${id}' not found.`, { code: 'response_not_found', param });

const sameOwner = (a: Owner, b: Owner) => a.kind === b.kind && a.id === b.id;

/** A response saved but not yet written: readable at once, written with others a moment later. */
export interface Pending {
  r: NewResponse;
  createdAt: number;
  /** The items that need a row in response_items to be found by id (see indexedItems). */
  indexed: Json[];
}

export type { ResponseRow };

export function responseRow({ r, createdAt, indexed }: Pending, retentionMs: number): ResponseRow {
  return {
    id: r.id,
    ownerUserId: r.owner.kind === 'user' ? r.owner.id : null,
    ownerTeamId: r.owner.kind === 'team' ? r.owner.id : null,
    keyId: r.keyId,
    mode: r.mode,
    model: r.model,
    deployment: r.deployment,
    response: r.response === undefined ? null : JSON.stringify(r.response),
    inputItems: r.inputItems === undefined ? null : JSON.stringify(r.inputItems),
    previousResponseId: r.previousResponseId ?? null,
    createdAt,
    expiresAt: createdAt + retentionMs,
    items: indexed.map((item) => [item.id as string, JSON.stringify(item)]),
  };
}

/** Writes saved responses to the database; the server's writes on the usage writer thread. */
export type ResponseWriter = (rows: ResponseRow[]) => Promise<void> | void;

/**
 * Writes are behind the call, not in it: save() keeps the response in memory (reads see it at once) and
 * a timer hands everything saved in the last `flushMs` to the writer in one batch, so a call never waits
 * for the database's commit. The server's writer is the usage writer thread: a commit on the event loop's own
 * connection would now and then run SQLite's WAL checkpoint there (measured: 13–15 ms stalls every few
 * hundred flushes; 36–40 ms p99 at 1 connection in `make bench`). A response stays readable from memory
 * until its batch is on disk. close() (shutdown) writes what is left.
 */
export class ResponseStore {
  private pending = new Map<string, Pending>();
  /** Handed to the writer, not confirmed on disk yet (still read from here). */
  private writing = new Map<string, Pending>();
  /** Item id → response id, for responses not on disk yet. */
  private pendingItems = new Map<string, string>();
  private inFlight = new Set<Promise<void>>();
  private timer: Timer | undefined;

  private readonly sql: Sql;
  private readonly writer: ResponseWriter;
  /** How long a miss on PostgreSQL waits before it looks again (see mayBeOnItsWay); 0: never. */
  missRetryMs: number;

  /** `db.sql` reads and deletes; the writer writes (by default inline, through `db.sql`). */
  constructor(
    db: { sql: Sql },
    /** How long a response is kept, ms. */
    public retentionMs = 30 * 86_400_000,
    private readonly now: () => number = Date.now,
    private readonly flushMs = 50,
    writer?: ResponseWriter,
    private readonly onWriteError: (err: unknown) => void = () => {},
  ) {
    const sql = db.sql;
    this.sql = sql;
    // Two flush windows and the write itself; bounded, as a test's store may flush rarely.
    this.missRetryMs = Math.min(flushMs * 2 + 150, 1_000);
    this.writer = writer ?? ((rows) => writeResponseRows(sql, rows));
  }

  save(r: NewResponse): void {
    const indexed = indexedItems(r);
    this.pending.set(r.id, { r, createdAt: this.now(), indexed });
    for (const item of indexed) if (!this.pendingItems.has(item.id as string)) this.pendingItems.set(item.id as string, r.id);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref?.();
    }
  }

  /** Hands the saved responses to the writer now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    for (const p of batch) this.writing.set(p.r.id, p);
    this.pending.clear();
    const done = () => {
      for (const p of batch) {
        if (this.writing.get(p.r.id) === p) this.writing.delete(p.r.id);
        for (const item of p.indexed) if (this.pendingItems.get(item.id as string) === p.r.id && !this.pending.has(p.r.id)) this.pendingItems.delete(item.id as string);
      }
    };
    let written: Promise<void>;
    try {
      written = Promise.resolve(this.writer(batch.map((p) => responseRow(p, this.retentionMs)))).then(done);
    } catch (err) {
      written = Promise.reject(err);
    }
    const tracked: Promise<void> = written.catch((err) => {
      // Keep them for the next batch rather than lose them (unless saved again meanwhile).
      for (const p of batch) {
        if (this.writing.get(p.r.id) === p) this.writing.delete(p.r.id);
        if (!this.pending.has(p.r.id)) this.pending.set(p.r.id, p);
      }
      this.onWriteError(err);
      if (this.timer === undefined) {
        this.timer = setTimeout(() => this.flush(), 1_000);
        this.timer.unref?.();
      }
    }).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Resolves once everything saved so far is on disk (or failed and queued again). */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  async close(): Promise<void> {
    await this.drain();
  }

  /** An item (input or output) of one of the owner's live translated responses, by its id. */
  async item(itemId: string, owner: Owner): Promise<Json | undefined> {
    // Most items name their response in their id (response-ids.ts); the rest have a row of their own.
    const holder = responseOfItem(itemId);
    if (holder !== undefined) {
      const r = await this.find(holder, owner);
      const hit = r === undefined ? undefined : [...(r.inputItems ?? []), ...outputOf(r.response)].find((i) => i.id === itemId);
      if (hit !== undefined) return hit;
    }
    const pendingId = this.pendingItems.get(itemId);
    const p = pendingId === undefined ? undefined : this.unwritten(pendingId);
    if (p !== undefined && sameOwner(p.r.owner, owner)) return p.indexed.find((i) => i.id === itemId);
    const w = ownerWhere(owner);
    const row = await this.sql.get<{ item: string }>(
      `SELECT item FROM response_items WHERE item_id = ? AND response_id IN (SELECT id FROM responses WHERE ${w.sql} AND expires_at > ?)`,
      [itemId, w.param, this.now()],
    );
    return row === undefined ? undefined : (JSON.parse(row.item) as Json);
  }

  /** The owner's live response with this id, or undefined. */
  async find(id: string, owner: Owner): Promise<StoredResponse | undefined> {
    const p = this.unwritten(id);
    if (p !== undefined) {
      if (!sameOwner(p.r.owner, owner)) return undefined;
      const { r } = p;
      return { id: r.id, mode: r.mode, model: r.model, deployment: r.deployment, response: r.response ?? null, inputItems: r.inputItems ?? null, previousResponseId: r.previousResponseId ?? null, createdAt: p.createdAt, expiresAt: p.createdAt + this.retentionMs };
    }
    const w = ownerWhere(owner);
    const read = () => this.sql.get<Row>(`${select(this.sql)} WHERE id = ? AND ${w.sql} AND expires_at > ?`, [id, w.param, this.now()]);
    let row = await read();
    if (row === undefined && this.missRetryMs > 0 && this.mayBeOnItsWay(id)) {
      await Bun.sleep(this.missRetryMs);
      row = await read();
    }
    if (row === undefined) return undefined;
    return {
      id: row.id,
      mode: row.mode,
      model: row.model,
      deployment: row.deployment,
      response: row.response === null ? null : (JSON.parse(row.response) as Json),
      inputItems: row.input_items === null ? null : (JSON.parse(row.input_items) as Json[]),
      previousResponseId: row.previous_response_id,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  /**
   * Several nodes (PostgreSQL): a response another node answered a moment ago is in the database only after that
   * node's next flush (`flushMs`, then the write). A chained request that the load balancer sends elsewhere at
   * once would miss it, so a miss looks once more after the write window — unless the id is the gateway's own
   * and plainly older than that (a miss then is a real 404, answered at once).
   */
  private mayBeOnItsWay(id: string): boolean {
    if (this.sql.dialect !== 'postgres') return false;
    const madeAt = responseIdTime(id);
    return madeAt === undefined || madeAt > this.now() - 3_000;
  }

  /** A saved response not on disk yet (and not expired: retention as for written ones). */
  private unwritten(id: string): Pending | undefined {
    const p = this.pending.get(id) ?? this.writing.get(id);
    return p !== undefined && p.createdAt + this.retentionMs > this.now() ? p : undefined;
  }

  /** Forgets the owner's response; false when there was none. */
  async remove(id: string, owner: Owner): Promise<boolean> {
    if ((await this.find(id, owner)) === undefined) return false;
    await this.drain(); // on disk first, so that the delete cannot be overtaken by its insert
    const w = ownerWhere(owner);
    return (await this.sql.run(`DELETE FROM responses WHERE id = ? AND ${w.sql}`, [id, w.param])) > 0;
  }

  /**
   * The conversation a translated response ends: the input items and output items of every response of its
   * chain, oldest first. Throws not_found when a link is missing, expired or someone else's.
   */
  async conversation(id: string, owner: Owner): Promise<Json[]> {
    const parts: Json[][] = [];
    let next: string | null = id;
    for (let depth = 0; next !== null; depth++) {
      if (depth >= MAX_CHAIN) throw new Refusal('invalid', `The previous_response_id chain is longer than ${MAX_CHAIN} responses.`, { param: 'previous_response_id', code: 'chain_too_long' });
      const r = await this.find(next, owner);
      if (r === undefined || r.mode !== 'translated' || r.response === null) throw responseNotFound(next, 'previous_response_id');
      parts.unshift([...(r.inputItems ?? []), ...outputOf(r.response)]);
      next = r.previousResponseId;
    }
    return parts.flat();
  }

  /** Deletes expired rows; returns how many. */
  prune(): Promise<number> {
    return this.sql.run('DELETE FROM responses WHERE expires_at <= ?', [this.now()]);
  }
}

const outputOf = (response: Json | null | undefined): Json[] => (Array.isArray(response?.output) ? (response.output as Json[]) : []);

/**
 * The items of a translated response that need a response_items row to be found by id: its own (input
 * and output items numbered with its id) are found through their id, and items that were references
 * are found where they came from; what is left are ids the caller chose.
 */
function indexedItems(r: NewResponse): Json[] {
  if (r.mode !== 'translated') return [];
  return [...(r.inputItems ?? []), ...outputOf(r.response)].filter((i) => typeof i.id === 'string' && responseOfItem(i.id) !== r.id && r.referenced?.has(i.id) !== true);
}
