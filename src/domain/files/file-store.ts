/**
 * Stored files: rows in `files`, bytes in <data-dir>/files/<id>. Every read is owner-scoped; the path on
 * disk is derived from the row's id only (ids are checked to be plain base62 before any lookup).
 */
import type { Database } from 'bun:sqlite';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
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
  readonly dir: string;
  private readonly incoming: string;
  /** Quota held by uploads in progress, per owner. */
  private readonly reserved = new Map<string, number>();

  constructor(
    private readonly sqlite: Database,
    dataDir: string,
  ) {
    this.dir = join(dataDir, 'files');
    this.incoming = join(this.dir, '.incoming');
    mkdirSync(this.incoming, { recursive: true, mode: 0o700 });
  }

  /** Uploads that never completed (a crash mid-upload) leave temporary files behind: remove them. */
  cleanIncoming(): void {
    for (const name of readdirSync(this.incoming)) rmSync(join(this.incoming, name), { force: true });
  }

  tempPath(): string {
    return join(this.incoming, randomId('up-'));
  }

  pathOf(file: Pick<StoredFile, 'id'>): string {
    return join(this.dir, file.id);
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

  /** Moves a complete upload into place and records it; the file is visible only once both are done. */
  add(owner: Owner, tempPath: string, meta: Omit<StoredFile, 'id' | 'ownerUserId' | 'ownerTeamId'>): StoredFile {
    const file: StoredFile = { id: randomId('file-'), ownerUserId: owner.kind === 'user' ? owner.id : null, ownerTeamId: owner.kind === 'team' ? owner.id : null, ...meta };
    renameSync(tempPath, this.pathOf(file));
    try {
      this.sqlite.run(
        'INSERT INTO files (id, owner_user_id, owner_team_id, key_id, filename, purpose, bytes, created_at, expires_at, line_count, batch_endpoint, batch_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [file.id, file.ownerUserId, file.ownerTeamId, file.keyId, file.filename, file.purpose, file.bytes, file.createdAt, file.expiresAt, file.lineCount, file.batchEndpoint, file.batchModel],
      );
    } catch (err) {
      rmSync(this.pathOf(file), { force: true });
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

  delete(owner: Owner, id: string): boolean {
    const w = ownerWhere(owner);
    const gone = this.sqlite.run(`DELETE FROM files WHERE id = ? AND ${w.sql}`, [id, w.param]).changes > 0;
    if (gone) rmSync(this.pathOf({ id }), { force: true });
    return gone;
  }

  /** Deletes expired files (rows, then bytes); returns how many. */
  sweepExpired(now = Date.now()): number {
    const ids = this.sqlite.query<{ id: string }, [number]>('SELECT id FROM files WHERE expires_at IS NOT NULL AND expires_at <= ?').all(now);
    for (const { id } of ids) {
      this.sqlite.run('DELETE FROM files WHERE id = ?', [id]);
      rmSync(this.pathOf({ id }), { force: true });
    }
    return ids.length;
  }
}
