/**
 * Worker thread that writes usage records into SQLite, so that inserting thousands of rows never stalls
 * the event loop that serves requests. It runs at a lower priority (./thread-priority.ts). Messages:
 * {rows} to insert, as a JSON array (one transaction per message; a string crosses threads several times
 * cheaper than cloned objects), answered with {written: n} or {failed: rows}; {flush: id} / {close: id},
 * answered with {done: id} once everything before it is on disk. {responses, id, retention}: saved
 * /v1/responses (domain/responses/response-store.ts), written here so that their commits (and the WAL
 * checkpoints those commits run now and then) never stall the event loop; answered {responsesDone: id} or
 * {responsesFailed: id, error}.
 */
import { Database } from 'bun:sqlite';
import { writeResponses, type Pending } from '../domain/responses/response-store';
import { insertUsageRows, type UsageRecord } from '../domain/usage-rows';
import { lowerThreadPriority } from './thread-priority';

declare const self: Worker;

let db: Database | undefined;

self.onmessage = (event: MessageEvent<{ open?: string; rows?: string; responses?: string; id?: number; retention?: number; flush?: number; close?: number }>) => {
  const m = event.data;
  if (m.open !== undefined) {
    self.postMessage({ lowered: lowerThreadPriority(10) });
    db = new Database(m.open, { strict: true });
    db.run('PRAGMA busy_timeout = 5000');
    db.run('PRAGMA synchronous = NORMAL');
  }
  if (m.rows !== undefined && db) {
    const rows = JSON.parse(m.rows) as UsageRecord[];
    try {
      insertUsageRows(db, rows);
      self.postMessage({ written: rows.length });
    } catch (err) {
      self.postMessage({ failed: rows, error: String(err) });
    }
  }
  if (m.responses !== undefined && db) {
    try {
      writeResponses(db, JSON.parse(m.responses) as Pending[], m.retention!);
      self.postMessage({ responsesDone: m.id });
    } catch (err) {
      self.postMessage({ responsesFailed: m.id, error: String(err) });
    }
  }
  if (m.flush !== undefined) self.postMessage({ done: m.flush });
  if (m.close !== undefined) {
    db?.close();
    db = undefined;
    self.postMessage({ done: m.close });
  }
};
