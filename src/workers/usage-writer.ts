/**
 * Worker thread that writes usage records, so that inserting thousands of rows never stalls the event loop
 * that serves requests. It runs at a lower priority (./thread-priority.ts). Messages:
 * {open: path or postgres:// url}: the database (SQLite file, or PostgreSQL through src/db/pg/usage-store.ts);
 * {rows, recheck} to insert, as a JSON array (one transaction per message; a string crosses threads several
 * times cheaper than cloned objects), answered with {written: n} or {failed: rows}; `recheck` when some rows
 * come back from a failed attempt that may have committed (see UsageWrite in src/db/usage-store.ts);
 * {flush: id} / {close: id}, answered with {done: id} once everything before it is written.
 * {responses, id}: saved /v1/responses (as plain rows, cloned; src/db/response-rows.ts), written here to the same
 * database so that their commits (and the WAL checkpoints those commits run now and then) never stall the
 * event loop; answered {responsesDone: id} or {responsesFailed: id, error}.
 *
 * Messages are handled one after another, in order (PostgreSQL writes are asynchronous): a flush is answered
 * only after every write posted before it has finished.
 */
import { Database } from 'bun:sqlite';
import { pgUsageStore } from '../db/pg/usage-store';
import { sqliteUsageStore } from '../db/sqlite/usage-store';
import type { ResponseRow } from '../db/response-rows';
import { isPostgresUrl, type UsageStore } from '../db/usage-store';
import type { UsageRecord } from '../domain/usage-rows';
import { usageWrite } from '../domain/usage-rows';
import { lowerThreadPriority } from './thread-priority';

declare const self: Worker;

let db: Database | undefined;
let store: UsageStore | undefined;

interface Message { open?: string; rows?: string; recheck?: boolean; responses?: ResponseRow[]; id?: number; flush?: number; close?: number }

async function handle(m: Message): Promise<void> {
  if (m.open !== undefined) {
    self.postMessage({ lowered: lowerThreadPriority(10) });
    if (isPostgresUrl(m.open)) store = pgUsageStore(m.open, { max: 1 });
    else {
      db = new Database(m.open, { strict: true });
      db.run('PRAGMA busy_timeout = 5000');
      db.run('PRAGMA synchronous = NORMAL');
      store = sqliteUsageStore(db);
    }
  }
  if (m.rows !== undefined && store) {
    const rows = JSON.parse(m.rows) as UsageRecord[];
    try {
      await store.write(usageWrite(rows, m.recheck === true));
      self.postMessage({ written: rows.length });
    } catch (err) {
      self.postMessage({ failed: rows, error: String(err) });
    }
  }
  if (m.responses !== undefined) {
    try {
      if (!store) throw new Error('the writer has no database open');
      await store.writeResponses(m.responses);
      self.postMessage({ responsesDone: m.id });
    } catch (err) {
      self.postMessage({ responsesFailed: m.id, error: String(err) });
    }
  }
  if (m.flush !== undefined) self.postMessage({ done: m.flush });
  if (m.close !== undefined) {
    try {
      await store?.close();
      db?.close();
    } finally {
      // Answered even when closing failed, so the recorder's close never waits forever.
      db = undefined;
      store = undefined;
      self.postMessage({ done: m.close });
    }
  }
}

let queue = Promise.resolve();
self.onmessage = (event: MessageEvent<Message>) => {
  // A handler that throws must not stop the ones after it.
  queue = queue.then(() => handle(event.data)).catch((err) => self.postMessage({ error: String(err) }));
};
