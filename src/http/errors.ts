/**
 * Maps everything that goes wrong to the OpenAI error shape with a fitting status: our own ApiErrors,
 * validation failures (400 naming `param`), unparsable bodies, unknown routes (404), wrong methods (405),
 * and anything unexpected (500, logged with its stack, never shown to the caller).
 */
import { Elysia } from 'elysia';
import type { Logger } from '../log';
import { Refusal } from '../domain/refusal';
import { ApiError } from './api-error';
import { asApiError } from './refusal-response';
import { DatabaseUnavailable } from '../db/sql';
import { REQUEST_ID } from './request-id';

/** The methods routed for a path, for 405 answers; provided by the app once every route is mounted. */
export type MethodLookup = (path: string) => string[];

export interface ValueErrorLike {
  path: string;
  message: string;
  summary?: string;
  /** The failing (sub)schema; only its `anyOf` branches are read. */
  schema?: unknown;
}

/** `/messages/0/role` → `messages[0].role`, the way OpenAI names parameters. */
export function paramName(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
}

const WHOLE: Record<string, string> = {
  body: 'The request body must be a JSON object.',
  query: 'The query string is not valid.',
  params: 'The URL is not valid.',
  headers: 'The request headers are not valid.',
};

/** What a union failure expected: integer parameters say so (and their range) rather than "not one of…". */
function unionDetail(e: ValueErrorLike): string {
  const branches = (e.schema as { anyOf?: { type?: string; minimum?: number; maximum?: number }[] } | undefined)?.anyOf;
  const integer = branches?.find((s) => s.type === 'integer');
  if (!integer) return 'not one of the accepted values or types';
  return integer.minimum !== undefined && integer.maximum !== undefined ? `expected an integer from ${integer.minimum} to ${integer.maximum}` : 'expected an integer';
}

/** A failed validation as the 400 OpenAI gives: naming the first offending parameter, of the body, query or path. */
export function validationError(error: { all?: ValueErrorLike[]; valueError?: ValueErrorLike; type?: string }): ApiError {
  const part = error.type ?? 'body'; // Elysia's ValidationError says which part of the request failed
  const first = error.valueError ?? error.all?.[0];
  const param = first ? paramName(first.path) : '';
  if (!first || param === '') return new ApiError(400, WHOLE[part] ?? WHOLE.body!, { code: part === 'body' ? 'invalid_request_body' : 'invalid_request' });
  const missing = (e: ValueErrorLike) => e.message === 'Expected required property' || (e.summary ?? '').endsWith('found: undefined');
  if (missing(first) || error.all?.some((e) => e.path === first.path && missing(e))) {
    return new ApiError(400, `Missing required parameter: '${param}'.`, { param, code: 'missing_required_parameter' });
  }
  const detail = first.message === 'Expected union value' ? unionDetail(first) : first.message.toLowerCase();
  return new ApiError(400, `Invalid value for '${param}': ${detail}.`, { param, code: 'invalid_value' });
}

export function toApiError(code: string | number, error: unknown, method: string, path: string, methodsFor: MethodLookup): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Refusal || error instanceof DatabaseUnavailable) return asApiError(error);
  if (code === 'PARSE') {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof ApiError ? cause : new ApiError(400, 'We could not parse the body of your request.', { code: 'invalid_body' });
  }
  if (code === 'VALIDATION') {
    const part = (error as { type?: string }).type;
    // An answer that does not match its own schema is our bug, not the caller's.
    if (part === 'response') return new ApiError(500, 'The server had an error while processing your request.');
    return validationError(error as Parameters<typeof validationError>[0]);
  }
  if (code === 'NOT_FOUND') {
    const allowed = methodsFor(path);
    if (allowed.length > 0) {
      return new ApiError(405, `Method ${method} is not allowed for ${path}. Allowed: ${allowed.join(', ')}.`, {
        code: 'method_not_allowed',
        headers: { allow: allowed.join(', ') },
      });
    }
    return new ApiError(404, `Invalid URL (${method} ${path})`, { code: 'unknown_url' });
  }
  const status = (error as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(status, (error as Error).message || 'Bad request');
  }
  return new ApiError(500, 'The server had an error while processing your request.');
}

export const errors = (log: Logger, methodsFor: MethodLookup) =>
  new Elysia().onError({ as: 'global' }, ({ code, error, set, request, path }) => {
    const apiError = toApiError(code, error, request.method, path, methodsFor);
    if (apiError.status === 500) {
      log.error('unhandled error', { request_id: set.headers[REQUEST_ID], path, error: error as Error });
    }
    set.status = apiError.status;
    for (const [k, v] of Object.entries(apiError.headers)) set.headers[k] = v;
    return apiError.toBody();
  });

/** Builds the 405 lookup from the mounted routes: `GET /v1/models/*` style patterns become regexes. */
export function methodLookup(routes: readonly { method: string; path: string }[]): MethodLookup {
  const patterns = new Map<string, { re: RegExp; methods: Set<string> }>();
  for (const r of routes) {
    if (r.method === 'ALL' || r.method === 'OPTIONS') continue;
    let entry = patterns.get(r.path);
    if (!entry) {
      const source = r.path
        .split('/')
        .map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      entry = { re: new RegExp(`^${source}$`), methods: new Set() };
      patterns.set(r.path, entry);
    }
    entry.methods.add(r.method);
  }
  return (path) => {
    const methods = new Set<string>();
    for (const { re, methods: m } of patterns.values()) if (re.test(path)) for (const x of m) methods.add(x);
    return [...methods].sort();
  };
}
