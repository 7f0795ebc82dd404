/**
 * Stored files: rows in `files`, bytes in a byte store (src/store/: <data-dir>/files/<id> by default, a shared
 * directory or an S3 bucket) under the row's id. Every read is owner-scoped; the object's name comes from the
 * row's id only (ids are checked to be plain base62 before any lookup). Uploads are first received into a
 * local area (<data-dir>/files/.incoming) where they are checked, and only then handed to the byte store.
 */
import type { Database } from 'bun:sqlite';
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

const SELECT = `SELECT id, owner_user_id AS ownerUserId, owner_team_id AS ownerTeamId, key_id AS keyId, filename, purpose, bytes,
  created_at AS createdAt, expires_at AS expiresAt, line_count AS lineCount, batch_endpoint AS batchEndpoint, batch_model AS batchModel FROM files`;
const LIVE = '(expires_at IS NULL OR expires_at > ?)';

export interface ListQuery {
  purpose?: string;
  limit: number;
  order: 'asc' | 'desc';
  after?: string;
}

export class FileStore {
  /** The local area: <data-dir>/files (also where the bytes live when no other store is set). */
  readonly dir: string;
  /** Where uploads are received and checked before they are stored. */
  readonly incoming: string;
  readonly bytes: ByteStore;
  /** Quota held by uploads in progress, per owner. */
  private readonly reserved = new Map<string, number>();

  constructor(
    private readonly sqlite: Database,
    dataDir: string,
    bytes?: ByteStore,
    private readonly log?: Logger,
  ) {
    this.dir = join(dataDir, 'files');
    this.incoming = join(this.dir, '.incoming');
    mkdirSync(this.incoming, { recursive: true, mode: 0o700 });
    this.bytes = bytes ?? new DirectoryStore(this.dir);
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
   * false when stored files, the uploads in progress and these bytes would pass `quota`.
   */
  reserve(owner: Owner, bytes: number, quota: number): boolean {
    const key = `${owner.kind}:${owner.id}`;
    const held = this.reserved.get(key) ?? 0;
    if (this.usedBytes(owner) + held + bytes > quota) return false;
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

  usedBytes(owner: Owner): number {
    const w = ownerWhere(owner);
    return this.sqlite.query<{ n: number | null }, [number]>(`SELECT sum(bytes) AS n FROM files WHERE ${w.sql}`).get(w.param)?.n ?? 0;
  }

  /** Hands a complete, checked upload to the byte store and records it; the file is visible only once both are done. */
  async add(owner: Owner, tempPath: string, meta: Omit<StoredFile, 'id' | 'ownerUserId' | 'ownerTeamId'>): Promise<StoredFile> {
    const file: StoredFile = { id: randomId('file-'), ownerUserId: owner.kind === 'user' ? owner.id : null, ownerTeamId: owner.kind === 'team' ? owner.id : null, ...meta };
    try {
      await this.bytes.putFile(file.id, tempPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw err; // the disk is full: the caller says so (507)
      this.log?.warn('the file store refused a file', { store: this.bytes.location, error: (err as Error).message });
      throw new Refusal('unavailable', 'The file store could not be reached; nothing was stored. Try again later.', { code: 'file_store_unavailable' });
    }
    try {
      this.sqlite.run(
        'INSERT INTO files (id, owner_user_id, owner_team_id, key_id, filename, purpose, bytes, created_at, expires_at, line_count, batch_endpoint, batch_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [file.id, file.ownerUserId, file.ownerTeamId, file.keyId, file.filename, file.purpose, file.bytes, file.createdAt, file.expiresAt, file.lineCount, file.batchEndpoint, file.batchModel],
      );
    } catch (err) {
      await this.removeBytes(file.id);
      throw err;
    }
    return file;
  }

  /** Any file by id, whoever owns it: for the gateway's own use, never for answering a caller. */
  byId(id: string): StoredFile | undefined {
    return this.sqlite.query<StoredFile, [string]>(`${SELECT} WHERE id = ?`).get(id) ?? undefined;
  }

  get(owner: Owner, id: string, now = Date.now()): StoredFile | undefined {
    const w = ownerWhere(owner);
    return this.sqlite.query<StoredFile, [string, number, number]>(`${SELECT} WHERE id = ? AND ${w.sql} AND ${LIVE}`).get(id, w.param, now) ?? undefined;
  }

  /** A page of the owner's files, newest first by default; `after` is the id the previous page ended with. */
  list(owner: Owner, q: ListQuery, now = Date.now()): { data: StoredFile[]; hasMore: boolean } | undefined {
    const w = ownerWhere(owner);
    const conds = [w.sql, LIVE];
    const params: (string | number)[] = [w.param, now];
    if (q.purpose !== undefined) {
      conds.push('purpose = ?');
      params.push(q.purpose);
    }
    if (q.after !== undefined) {
      // Insertion order (rowid) is creation order, exact even for files created within one millisecond.
      const cursor = this.get(owner, q.after, now) && this.sqlite.query<{ r: number }, [string]>('SELECT rowid AS r FROM files WHERE id = ?').get(q.after);
      if (!cursor) return undefined;
      conds.push(q.order === 'desc' ? 'rowid < ?' : 'rowid > ?');
      params.push(cursor.r);
    }
    const dir = q.order === 'desc' ? 'DESC' : 'ASC';
    const rows = this.sqlite.query<StoredFile, (string | number)[]>(`${SELECT} WHERE ${conds.join(' AND ')} ORDER BY rowid ${dir} LIMIT ?`).all(...params, q.limit + 1);
    return { data: rows.slice(0, q.limit), hasMore: rows.length > q.limit };
  }

  /** Deletes the row, then the bytes (the file is gone for callers as soon as the row is). */
  async delete(owner: Owner, id: string): Promise<boolean> {
    const w = ownerWhere(owner);
    const gone = this.sqlite.run(`DELETE FROM files WHERE id = ? AND ${w.sql}`, [id, w.param]).changes > 0;
    if (gone) await this.removeBytes(id);
    return gone;
  }

  /** Deletes expired files (rows, then bytes); returns how many. */
  async sweepExpired(now = Date.now()): Promise<number> {
    const ids = this.sqlite.query<{ id: string }, [number]>('SELECT id FROM files WHERE expires_at IS NOT NULL AND expires_at <= ?').all(now);
    for (const { id } of ids) {
      this.sqlite.run('DELETE FROM files WHERE id = ?', [id]);
      await this.removeBytes(id);
    }
    return ids.length;
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
