/**
 * Request bodies: JSON only (415 otherwise), at most `maxBytes` (413, refused from Content-Length before
 * reading; a chunked body is cut off as soon as it passes the limit), and a clear 400 for bad JSON.
 */
import { Elysia } from 'elysia';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../domain/json-depth';
import { ApiError, errorResponse } from './api-error';
import { REQUEST_ID } from './request-id';
import { pathOf } from './url-path';

export const tooLarge = (maxBytes: number) =>
  new ApiError(413, `Request body too large: the limit is ${maxBytes} bytes.`, { code: 'request_too_large' });

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** Whether requests of this method carry a body the gateway reads. */
export const carriesBody = (method: string) => METHODS_WITH_BODY.has(method);

/** Reads a body stream into text, failing as soon as it passes `maxBytes`. */
async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  // With a Content-Length the onRequest check has already refused oversized bodies.
  const text = request.headers.has('content-length') || !request.body ? await request.text() : await readCapped(request.body, maxBytes);
  if (text.trim() === '') {
    throw new ApiError(400, 'The request body is empty; expected a JSON object.', { code: 'invalid_json' });
  }
  // Refused before parsing: a body nested 100,000 levels would overflow the stack wherever it is walked.
  if (nestsDeeperThan(text)) {
    throw new ApiError(400, `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`, { code: 'json_too_deep', headers: { 'x-should-retry': 'false' } });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `We could not parse the JSON body of your request: ${(err as Error).message}`, { code: 'invalid_json' });
  }
}

export const isJson = (contentType: string) => {
  if (contentType === 'application/json') return true; // what nearly every client sends
  const mime = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mime === 'application/json' || mime.endsWith('+json');
};

/**
 * The body of a request that takes JSON: parsed JSON, `{}` for a request with no body at all (e.g. a
 * cancel), or 415 for anything else.
 */
export function jsonOrNothing(request: Request, contentType: string, maxBytes: number): Promise<unknown> | Record<string, never> {
  if (isJson(contentType)) return readJsonBody(request, maxBytes);
  if (!contentType && request.headers.get('content-length') === '0') return {};
  if (!contentType && !request.headers.has('content-length') && !request.headers.has('transfer-encoding')) return {};
  throw new ApiError(415, `Unsupported Content-Type: ${contentType || '(none)'}. Send application/json.`, {
    code: 'unsupported_media_type',
  });
}

/** File uploads (POST /files, bare or /v1) stream their multipart body themselves, up to the file limit. */
const UPLOAD_PATH = /^\/(v1\/)?files\/?$/;
const CONSOLE_PATH = /^\/ui\//;

export const jsonBodies = (maxBytes: number, maxUploadBytes: number) =>
  new Elysia()
    .onRequest(({ request, set }) => {
      if (!carriesBody(request.method)) return;
      const length = request.headers.get('content-length');
      if (length === null) return;
      // Multipart framing adds a little to the file itself.
      const limit = UPLOAD_PATH.test(pathOf(request.url)) ? maxUploadBytes + 1024 * 1024 : maxBytes;
      if (Number(length) > limit) return errorResponse(tooLarge(limit), { [REQUEST_ID]: String(set.headers[REQUEST_ID]) });
    })
    .onParse({ as: 'global' }, ({ request, contentType }) => {
      // The upload route reads the stream itself; nothing is parsed (or buffered) here.
      if (contentType.startsWith('multipart/form-data') && UPLOAD_PATH.test(pathOf(request.url))) return {};
      // The web console (src/console) reads its own small HTML forms.
      if (CONSOLE_PATH.test(pathOf(request.url))) return {};
      return jsonOrNothing(request, contentType, maxBytes);
    });
