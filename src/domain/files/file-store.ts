/**
 * Stored files: rows in `files`, bytes in a byte store (src/store/: <data-dir>/files/<id> by default, a shared
 * directory or an S3 bucket) under the row's id. Every read is owner-scoped; the object's name comes from the
 * row's id only (ids are checked to be plain base62 before any lookup). Uploads are first received into a
 * local area (<data-dir>/files/.incoming) where they are checked, and only then handed to the byte store.
 *
 * The rows go through the Sql port (src/db/sql.ts): the same SQL on SQLite and PostgreSQL, where several
 * nodes share the rows (and, with a shared directory or a bucket, the bytes).
 */
import type { Sql } from '../../db/sql';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../log';
import { ObjectMissing, type ByteStore } from '../../store/byte-store';
import { DirectoryStore } from '../../store/directory-store';
import { Refusal } from '../refusal';
import { randomId } from './ids';
import { ownerWhere, type Owner } from './owner';

export interface StoredFile {
  id: string;
  ownerUserId: number | null;
  ownerTeamId: number | null;
  keyId: number;
  filename: string;
  purpose: string;
  bytes: number;
  createdAt: number;
  expiresAt: number | null;
  lineCount: number | null;
  batchEndpoint: string | null;
  batchModel: string | null;
}

/** The columns as a StoredFile, the bigint ones read back as numbers (`num`). */
const selectFrom = (sql: Sql) => `SELECT id, owner_user_id AS "ownerUserId", owner_team_id AS "ownerTeamId", key_id AS "keyId", filename, purpose,
  ${sql.num('bytes')} AS bytes, ${sql.num('created_at')} AS "createdAt", ${sql.num('expires_at')} AS "expiresAt", line_count AS "lineCount",
  batch_endpoint AS "batchEndpoint", batch_model AS "batchModel" FROM files`;
const LIVE = '(expires_at IS NULL OR expires_at > ?)';

export interface ListQuery {
  purpose?: string;
  limit: number;
  order: 'asc' | 'desc';
  after?: string;
}

/**
 * An upload the owner's quota has no room for, found when it is recorded (by then another node, or another
 * upload on this one, may have taken the room). `used`: what the owner's stored files take.
 */
export class OverQuota extends Error {
  constructor(readonly used: number) {
    super('storage quota exceeded');
  }
}

export class FileStore {
  /** The local area: <data-dir>/files (also where the bytes live when no other store is set). */
  readonly dir: string;
  /** Where uploads are received and checked before they are stored. */
  readonly incoming: string;
  readonly bytes: ByteStore;
  /** Quota held by uploads in progress, per owner. */
  private readonly reserved = new Map<string, number>();
  private readonly select: string;

  constructor(
    private readonly sql: Sql,
    dataDir: string,
    bytes?: ByteStore,
    private readonly log?: Logger,
  ) {
    this.dir = join(dataDir, 'files');
    this.incoming = join(this.dir, '.incoming');
    mkdirSync(this.incoming, { recursive: true, mode: 0o700 });
    this.bytes = bytes ?? new DirectoryStore(this.dir);
    this.select = selectFrom(sql);
  }

  /** Uploads that never completed (a crash mid-upload) leave temporary files behind: remove them. */
  cleanIncoming(): void {
    for (const name of readdirSync(this.incoming)) rmSync(join(this.incoming, name), { force: true });
  }

  tempPath(): string {
    return join(this.incoming, randomId('up-'));
  }

  /**
   * The file's bytes as a download body (streamed; never read whole into memory). A store that cannot be reached
   * is a 503 refusal; bytes missing under a live row (removed behind the gateway's back) are an internal error.
   */
  async content(file: Pick<StoredFile, 'id'>): Promise<Blob | ReadableStream<Uint8Array>> {
    try {
      return await this.bytes.download(file.id);
    } catch (err) {
      if (err instanceof ObjectMissing) {
        this.log?.error('a stored file\'s bytes are missing from the file store', { file: file.id, store: this.bytes.location });
        throw err;
      }
      this.log?.warn('the file store could not be read', { store: this.bytes.location, error: (err as Error).message });
      throw new Refusal('unavailable', 'The file store could not be reached. Try again later.', { code: 'file_store_unavailable' });
    }
  }

  /** The file's bytes, streamed. */
  read(file: Pick<StoredFile, 'id'>): ReadableStream<Uint8Array> {
    return this.bytes.read(file.id);
  }

  /**
   * Holds `bytes` more of the owner's quota for an upload in progress, so that concurrent uploads share it:
   * false when stored files, the uploads in progress and these bytes would pass `quota`. This node's uploads
   * only: what decides is the check when the file is recorded (add), which holds across nodes.
   */
  async reserve(owner: Owner, bytes: number, quota: number): Promise<boolean> {
    const key = `${owner.kind}:${owner.id}`;
    const used = await this.usedBytes(owner);
    const held = this.reserved.get(key) ?? 0;
    if (used + held + bytes > quota) return false;
    this.reserved.set(key, held + bytes);
    return true;
  }

  /** Gives back what reserve() held (the upload is stored, so its bytes count as a file now, or it failed). */
  release(owner: Owner, bytes: number): void {
    const key = `${owner.kind}:${owner.id}`;
    const left = (this.reserved.get(key) ?? 0) - bytes;
    if (left > 0) this.reserved.set(key, left);
    else this.reserved.delete(key);
  }

  async usedBytes(owner: Owner, sql: Sql = this.sql): Promise<number> {
    const w = ownerWhere(owner);
    return (await sql.get<{ n: number }>(`SELECT ${sql.num('coalesce(sum(bytes), 0)')} AS n FROM files WHERE ${w.sql}`, [w.param]))!.n;
  }

  /**
   * Hands a complete, checked upload to the byte store and records it; the file is visible only once both are done.
   * With a `quota`, the row goes in only if the owner's files stay within it (else OverQuota, and the bytes go).
   */
  async add(owner: Owner, tempPath: string, meta: Omit<StoredFile, 'id' | 'ownerUserId' | 'ownerTeamId'>, quota = Infinity): Promise<StoredFile> {
    const file: StoredFile = { id: randomId('file-'), ownerUserId: owner.kind === 'user' ? owner.id : null, ownerTeamId: owner.kind === 'team' ? owner.id : null, ...meta };
    try {
      await this.bytes.putFile(file.id, tempPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw err; // the disk is full: the caller says so (507)
      this.log?.warn('the file store refused a file', { store: this.bytes.location, error: (err as Error).message });
      throw new Refusal('unavailable', 'The file store could not be reached; nothing was stored. Try again later.', { code: 'file_store_unavailable' });
    }
    try {
      await this.sql.transaction(async (tx) => {
        if (quota !== Infinity) {
          // The sum and the insert are one step for the owner: SQLite's write transaction is exclusive already;
          // on PostgreSQL two nodes' uploads would each see the other's room, so they queue on a lock per owner.
          if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(hashtext(?), CAST(? AS integer))', [`aqueduct.files.quota.${owner.kind}`, owner.id]);
          const used = await this.usedBytes(owner, tx);
          if (used + file.bytes > quota) throw new OverQuota(used);
        }
        await tx.run(
          'INSERT INTO files (id, owner_user_id, owner_team_id, key_id, filename, purpose, bytes, created_at, expires_at, line_count, batch_endpoint, batch_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [file.id, file.ownerUserId, file.ownerTeamId, file.keyId, file.filename, file.purpose, file.bytes, file.createdAt, file.expiresAt, file.lineCount, file.batchEndpoint, file.batchModel],
        );
      });
    } catch (err) {
      await this.removeBytes(file.id);
      throw err;
    }
    return file;
  }

  /** Any file by id, whoever owns it: for the gateway's own use, never for answering a caller. */
  byId(id: string): Promise<StoredFile | undefined> {
    return this.sql.get<StoredFile>(`${this.select} WHERE id = ?`, [id]);
  }

  get(owner: Owner, id: string, now = Date.now()): Promise<StoredFile | undefined> {
    const w = ownerWhere(owner);
    return this.sql.get<StoredFile>(`${this.select} WHERE id = ? AND ${w.sql} AND ${LIVE}`, [id, w.param, now]);
  }

  /**
   * A page of the owner's files, newest first by default; `after` is the id the previous page ended with.
   * Creation order is (created_at, id): the same on both dialects (SQLite's rowid has no PostgreSQL twin);
   * files created within one millisecond come in id order, always the same one, so pages never skip or repeat.
   */
  async list(owner: Owner, q: ListQuery, now = Date.now()): Promise<{ data: StoredFile[]; hasMore: boolean } | undefined> {
    const w = ownerWhere(owner);
    const conds = [w.sql, LIVE];
    const params: (string | number)[] = [w.param, now];
    if (q.purpose !== undefined) {
      conds.push('purpose = ?');
      params.push(q.purpose);
    }
    if (q.after !== undefined) {
      const cursor = await this.get(owner, q.after, now);
      if (!cursor) return undefined;
      const op = q.order === 'desc' ? '<' : '>';
      conds.push(`(created_at ${op} ? OR (created_at = ? AND id ${op} ?))`);
      params.push(cursor.createdAt, cursor.createdAt, cursor.id);
    }
    const dir = q.order === 'desc' ? 'DESC' : 'ASC';
    const rows = await this.sql.rows<StoredFile>(`${this.select} WHERE ${conds.join(' AND ')} ORDER BY created_at ${dir}, id ${dir} LIMIT ?`, [...params, q.limit + 1]);
    return { data: rows.slice(0, q.limit), hasMore: rows.length > q.limit };
  }

  /** Deletes the row, then the bytes (the file is gone for callers as soon as the row is). */
  async delete(owner: Owner, id: string): Promise<boolean> {
    const w = ownerWhere(owner);
    const gone = (await this.sql.run(`DELETE FROM files WHERE id = ? AND ${w.sql}`, [id, w.param])) > 0;
    if (gone) await this.removeBytes(id);
    return gone;
  }

  /** Deletes expired files (rows, then bytes); returns how many. */
  async sweepExpired(now = Date.now()): Promise<number> {
    const ids = await this.sql.rows<{ id: string }>('SELECT id FROM files WHERE expires_at IS NOT NULL AND expires_at <= ?', [now]);
    let n = 0;
    for (const { id } of ids) {
      // Another node sweeping at the same time deletes some of them first: each file's bytes go once.
      if ((await this.sql.run('DELETE FROM files WHERE id = ?', [id])) === 0) continue;
      await this.removeBytes(id);
      n++;
    }
    return n;
  }

  /**
   * The row is already gone, so a store that refuses the delete (a bucket briefly unreachable) must not turn the
   * caller's delete into an error: the object is left behind, unreachable through the API, and logged.
   */
  private async removeBytes(id: string): Promise<void> {
    try {
      await this.bytes.delete(id);
    } catch (err) {
      this.log?.warn('could not delete a stored file\'s bytes; the object is left behind', { file: id, store: this.bytes.location, error: (err as Error).message });
    }
  }
}
