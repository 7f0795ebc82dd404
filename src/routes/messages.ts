/**
 * Anthropic's API in front: POST /v1/messages and /v1/messages/count_tokens (also bare), for Claude Code
 * (ANTHROPIC_BASE_URL) and the Anthropic SDKs. The gateway key comes as `x-api-key` or
 * `Authorization: Bearer`; any chat model may be named. Errors are in Anthropic's shape
 * ({type:'error', error:{type, message}}) with the status and headers an OpenAI route would give.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Elysia, type TSchema } from 'elysia';
import type { AppDeps } from '../app';
import { MessagesCalls } from '../calls/anthropic-front/messages-calls';
import { anthropicError } from '../calls/anthropic-front/from-openai';
import type { Principal } from '../domain/key-cache';
import { loggedElsewhere, principalOf } from '../http/access-log';
import { rateHeaders, asApiError } from '../http/refusal-response';
import { principalFor } from '../http/auth';
import { validationError } from '../http/errors';
import { REQUEST_ID } from '../http/request-id';
import { pathOf } from '../http/url-path';
import { AnthropicErrorResponse, AnthropicMessage, CountTokensRequest, MessagesRequest, TokenCount } from '../schemas/messages';
import { termsGate } from './terms-gate';

const errorDocs = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: "Error (Anthropic's shape)", content: { 'application/json': { schema: AnthropicErrorResponse } } }]));

/** The caller of a /messages request: the gateway key as `x-api-key` (Anthropic's way) or a bearer token. */
async function messagesPrincipal(deps: AppDeps, request: Request): Promise<Principal> {
  const apiKey = request.headers.get('x-api-key');
  const principal = await principalFor(deps.keys, apiKey !== null ? `Bearer ${apiKey}` : request.headers.get('authorization'));
  principalOf.set(request, principal);
  return principal;
}

/** A refusal in Anthropic's error shape, with the status and headers an OpenAI route would give. */
function anthropicFailure(deps: AppDeps, err: unknown, requestId: string): Response {
  const e = asApiError(err);
  if (e.status === 500) deps.log.error('unhandled error', { request_id: requestId, error: err as Error });
  return new Response(JSON.stringify(anthropicError(e.status, e.message)), { status: e.status, headers: { ...e.headers, 'content-type': 'application/json', [REQUEST_ID]: requestId } });
}

const MESSAGES_PATH = /^\/(?:v1\/)?messages(?:\/count_tokens)?\/?$/;

/**
 * Mounted before body parsing (like http/auth.ts requireKey for the OpenAI routes): a /messages request
 * without a valid key is refused before a byte of its body is read, in Anthropic's error shape.
 */
export const messagesKeyFirst = (deps: AppDeps) =>
  new Elysia().onRequest(async ({ request, set }) => {
    if (request.method !== 'POST' || !MESSAGES_PATH.test(pathOf(request.url))) return;
    try {
      await messagesPrincipal(deps, request);
    } catch (err) {
      return anthropicFailure(deps, err, String(set.headers[REQUEST_ID]));
    }
  });

export const messagesRoutes = (deps: AppDeps) => {
  const front = new MessagesCalls(() => deps.calls);
  const gate = termsGate(deps);
  const checks = { create: TypeCompiler.Compile(MessagesRequest), count: TypeCompiler.Compile(CountTokensRequest) };

  const principalOfRequest = (request: Request) => messagesPrincipal(deps, request);

  /** The body, parsed by the JSON body plugin (size limit, 415, bad JSON), checked against the schema. */
  const body = (json: unknown, check: { Check(v: unknown): boolean; Errors(v: unknown): Iterable<unknown> }) => {
    if (!check.Check(json)) {
      const all = [...check.Errors(json)];
      throw validationError({ valueError: all[0], all } as Parameters<typeof validationError>[0]);
    }
    return json as Record<string, unknown>;
  };

  const fail = (err: unknown, requestId: string) => anthropicFailure(deps, err, requestId);

  type Ctx = { request: Request; body: unknown; server: { timeout(r: Request, s: number): void } | null; set: { headers: Record<string, unknown> } };

  const create = async ({ request, body: raw, server, set }: Ctx) => {
    const requestId = String(set.headers[REQUEST_ID]);
    try {
      const principal = await principalOfRequest(request);
      gate(principal, request);
      const json = body(raw, checks.create);
      server?.timeout(request, 0); // long first tokens and long streams
      loggedElsewhere.add(request); // the model-call pipeline writes the access line from here
      const answer = await front.create(principal, json, requestId, request.signal);
      const headers: Record<string, string> = { [REQUEST_ID]: requestId, ...answer.passed };
      rateHeaders(answer.rate, headers);
      if (answer.stream) {
        headers['cache-control'] = 'no-cache';
        headers['x-accel-buffering'] = 'no';
      }
      return new Response(answer.body, { status: 200, headers });
    } catch (err) {
      return fail(err, requestId);
    }
  };

  const count = async ({ request, body: raw, set }: Ctx) => {
    const requestId = String(set.headers[REQUEST_ID]);
    try {
      const principal = await principalOfRequest(request);
      gate(principal, request);
      const json = body(raw, checks.count);
      const answer = await front.countTokens(principal, json, request.signal);
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json', [REQUEST_ID]: requestId } });
    } catch (err) {
      return fail(err, requestId);
    }
  };

  const doc = (operationId: string, summary: string, schema: TSchema, ok: Record<string, { schema: TSchema }>) => ({
    detail: {
      operationId,
      summary,
      description: 'Anthropic Messages API format, for any configured chat model. The gateway key goes in `x-api-key` or `Authorization: Bearer`.',
      tags: ['Anthropic'],
      security: [{ bearerAuth: [] as string[] }, { anthropicApiKey: [] as string[] }] as Record<string, string[]>[],
      requestBody: { required: true, content: { 'application/json': { schema } } },
      responses: { 200: { description: 'The answer in Anthropic format', content: ok }, ...errorDocs(400, 401, 403, 404, 413, 415, 429, 500, 502, 503, 504) },
    },
  });
  const createDoc = doc('createMessage', 'Create a message (Anthropic format; JSON or SSE stream)', MessagesRequest, { 'application/json': { schema: AnthropicMessage }, 'text/event-stream': { schema: { type: 'string' } as unknown as TSchema } });
  const countDoc = doc('countMessageTokens', 'Count the input tokens of a message (Anthropic format)', CountTokensRequest, { 'application/json': { schema: TokenCount } });

  return new Elysia()
    .post('/messages', (c) => create(c as unknown as Ctx), createDoc)
    .post('/messages/count_tokens', (c) => count(c as unknown as Ctx), countDoc);
};
