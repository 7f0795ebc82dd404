/**
 * Validation of a batch input file (JSONL), line by line, without holding the file in memory: JSON on every
 * line, a non-empty custom_id unique in the file, method POST, a supported url (one per file), and a
 * body.model that exists, is allowed for the caller and serves that url (one model per file, as OpenAI's).
 */
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth';
import { Refusal } from '../refusal';

export const BATCH_ENDPOINTS = ['/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/responses'] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

export interface BatchFileFacts {
  lineCount: number;
  endpoint: BatchEndpoint;
  /** The model_name every line resolves to. */
  model: string;
}

export interface BatchModelLookup {
  /** The model a caller may use under this name, and whether it serves the endpoint. */
  (name: string, endpoint: BatchEndpoint): { name: string; serves: boolean } | undefined;
}

const invalid = (line: number, reason: string) =>
  new Refusal('invalid', `Invalid batch file, line ${line}: ${reason}`, { param: 'file', code: 'invalid_batch_file', final: true });

/** "/chat/completions" and "/v1/chat/completions" are the same endpoint. */
export function normaliseEndpoint(url: unknown): BatchEndpoint | undefined {
  if (typeof url !== 'string') return undefined;
  const u = url.startsWith('/v1/') ? url : `/v1${url}`;
  return (BATCH_ENDPOINTS as readonly string[]).includes(u) ? (u as BatchEndpoint) : undefined;
}

/** Calls `fn` with each line (1-based number) of a UTF-8 text stream; a promise `fn` returns is awaited before the next line. */
export async function forEachLine(stream: ReadableStream<Uint8Array>, fn: (line: string, n: number) => void | Promise<void>): Promise<void> {
  const decoder = new TextDecoder();
  let rest = '';
  let n = 0;
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const done = fn(rest.slice(0, nl).replace(/\r$/, ''), ++n);
      if (done) await done; // only when fn is async: a plain call stays free of a microtask per line
      rest = rest.slice(nl + 1);
    }
  }
  rest += decoder.decode();
  if (rest !== '') await fn(rest.replace(/\r$/, ''), ++n);
}

export async function validateBatchFile(stream: ReadableStream<Uint8Array>, maxLines: number, lookup: BatchModelLookup): Promise<BatchFileFacts> {
  const ids = new Set<string>();
  let endpoint: BatchEndpoint | undefined;
  let model: string | undefined;
  await forEachLine(stream, (text, n) => {
    if (text.trim() === '') return;
    let line: unknown;
    if (nestsDeeperThan(text)) throw invalid(n, `the JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
    try {
      line = JSON.parse(text);
    } catch {
      throw invalid(n, 'not valid JSON');
    }
    if (typeof line !== 'object' || line === null || Array.isArray(line)) throw invalid(n, 'expected a JSON object');
    const l = line as Record<string, unknown>;
    const id = typeof l.custom_id === 'number' ? String(l.custom_id) : l.custom_id;
    if (typeof id !== 'string' || id === '') throw invalid(n, 'custom_id is missing or empty');
    if (ids.has(id)) throw invalid(n, `duplicate custom_id "${id.slice(0, 100)}"`);
    ids.add(id);
    if (ids.size > maxLines) throw invalid(n, `more than ${maxLines} requests in one file`);
    if (l.method !== 'POST') throw invalid(n, 'method must be "POST"');
    const url = normaliseEndpoint(l.url);
    if (!url) throw invalid(n, `url must be one of ${BATCH_ENDPOINTS.join(', ')}`);
    if (endpoint !== undefined && url !== endpoint) throw invalid(n, `every line must use the same url (${endpoint})`);
    endpoint = url;
    const body = l.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid(n, 'body must be a JSON object');
    const b = body as Record<string, unknown>;
    if (b.stream === true) throw invalid(n, 'streaming is not available in batches');
    if (url === '/v1/responses') {
      // A batch line runs without its caller's responses or MCP servers at hand: these need a live call.
      if (b.previous_response_id !== undefined && b.previous_response_id !== null) throw invalid(n, 'previous_response_id is not available in batches');
      if (Array.isArray(b.tools) && b.tools.some((t) => typeof t === 'object' && t !== null && (t as { type?: unknown }).type === 'mcp')) throw invalid(n, 'mcp tools are not available in batches');
    }
    if (typeof b.model !== 'string' || b.model === '') throw invalid(n, 'body.model is missing');
    const found = lookup(b.model, url);
    if (!found) throw invalid(n, `the model \`${b.model}\` does not exist or you do not have access to it`);
    if (!found.serves) throw invalid(n, `the model ${found.name} does not serve ${url}`);
    if (model !== undefined && found.name !== model) throw invalid(n, `every line must use the same model (${model})`);
    model = found.name;
  });
  if (!endpoint || !model) throw invalid(1, 'the file has no requests');
  return { lineCount: ids.size, endpoint, model };
}
