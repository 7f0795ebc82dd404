/**
 * `bun bench/response-writes.ts [--rows 20000] [--batch 25]`: CPU per saved response of the writer thread's insert
 * (src/db/response-rows.ts) on a SQLite file as served (WAL, synchronous=NORMAL), the rows the bench's
 * /v1/responses call keeps. Variants side by side, each batch written by every variant in turn (so drift falls
 * on all alike): as served, without the expires_at index (one index fewer per insert), and with a smaller
 * row (the echoed request settings left out). CPU (process.cpuUsage) per response: the median batch, and the
 * mean (which includes the WAL checkpoints some commits run).
 */
import { Database } from 'bun:sqlite';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../src/db/migrate';
import { type ResponseRow, writeResponseRows } from '../src/db/response-rows';
import { sqliteSql } from '../src/db/sqlite/sql';
import { ItemIds } from '../src/response-ids';
import { chatToResponse } from '../src/upstream/responses/from-chat';

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : def);
const total = Number(opt('--rows', '20000'));
const batch = Number(opt('--batch', '25'));

const question = 'Summarise the plot of Hamlet in one line.';
function row(now: number): ResponseRow {
  const ids = new ItemIds(undefined);
  const request = { model: 'chat-bench', input: question, store: true };
  const answer = { id: 'chatcmpl-1', object: 'chat.completion', created: Math.floor(now / 1000), model: 'chat-bench', choices: [{ index: 0, message: { role: 'assistant', content: `echo: ${question}` }, finish_reason: 'stop' }], usage: { prompt_tokens: 11, completion_tokens: 9, total_tokens: 20 } };
  const response = chatToResponse(answer, request, ids)!;
  const input = [{ id: ids.next('msg_'), type: 'message', role: 'user', content: [{ type: 'input_text', text: question }], status: 'completed' }];
  return { id: ids.responseId, ownerUserId: 3, ownerTeamId: null, keyId: 3, mode: 'translated', model: 'chat-bench', deployment: 'chat-bench#0', response: JSON.stringify(response), inputItems: JSON.stringify(input), previousResponseId: null, createdAt: now, expiresAt: now + 30 * 86_400_000, items: [] };
}

function open(variant: (db: Database) => void): Database {
  const dir = mkdtempSync(join(tmpdir(), 'aq-resp-writes-'));
  const db = new Database(join(dir, 'aqueduct.db'), { create: true, strict: true });
  db.run('PRAGMA journal_mode = WAL');
  db.run('PRAGMA synchronous = NORMAL');
  migrate(db);
  variant(db);
  return db;
}

/** A smaller row: the response object without the request settings it echoes at their defaults (could be rebuilt on read). */
const ECHOED = ['background', 'error', 'incomplete_details', 'instructions', 'max_output_tokens', 'parallel_tool_calls', 'previous_response_id', 'reasoning', 'service_tier', 'store', 'temperature', 'text', 'tool_choice', 'tools', 'top_p', 'truncation', 'user', 'metadata'];
const stripped = (r: ResponseRow): ResponseRow => {
  const o = JSON.parse(r.response!) as Record<string, unknown>;
  for (const k of ECHOED) delete o[k];
  return { ...r, response: JSON.stringify(o) };
};
const as = (r: ResponseRow) => r;
const dropIndex = (db: Database) => db.run('DROP INDEX responses_expires_idx');

const variants = [
  { name: 'as served', db: open(() => {}), shape: as },
  { name: 'no expires_at index', db: open(dropIndex), shape: as },
  { name: 'smaller row', db: open(() => {}), shape: stripped },
  { name: 'smaller, no index', db: open(dropIndex), shape: stripped },
];

const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
let t = Date.now();
for (let done = 0; done < total; done += batch) {
  const rows = Array.from({ length: batch }, () => row(t++));
  for (const v of variants) {
    const shaped = rows.map(v.shape);
    const before = process.cpuUsage();
    await writeResponseRows(sqliteSql(v.db), shaped);
    const used = process.cpuUsage(before);
    times.get(v.name)!.push((used.user + used.system) / batch);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const [name, xs] of times) console.log(`${name.padEnd(24)} median ${median(xs).toFixed(1)}, mean ${mean(xs).toFixed(1)} µs CPU per response (batch ${batch}, ${total} rows)`);
