/**
 * What a /v1/responses call needs beyond a chat call, around the same pipeline (src/calls/model-calls.ts):
 * - before it goes upstream: `mcp` tools are checked (only mcp.json servers the caller may use; a
 *   server_url that is this gateway's own /mcp-servers/{name}/mcp becomes that server's URL and headers; any
 *   other URL only with AQUEDUCT_RESPONSES_ALLOW_EXTERNAL_MCP), and a `previous_response_id` is checked to be
 *   the caller's own; one the gateway made (translated) has its conversation put in front of the input;
 * - after it: the response id is recorded for its owner (native), or the response and its input items are
 *   kept (translated), unless `store: false`;
 * - retrieve, delete and input_items, owner-scoped: the upstream's for native responses, the gateway's own
 *   for translated ones. Another owner's id is the same 404 as a missing one.
 */
import type { McpConfig } from '../config/mcp-config';
import type { Deployment } from '../config/router-config';
import { ownerOf } from '../domain/files/owner';
import type { Principal } from '../domain/key-cache';
import { Refusal } from '../domain/refusal';
import { responseNotFound, type ResponseStore, type StoredResponse } from '../domain/responses/response-store';
import { toNativeResponses } from '../upstream/responses/native';
import { attachHistory, attachItemIds, inputItems } from '../upstream/responses/translated';
import { ItemIds } from '../response-ids';
import { isObject } from '../json';

type Json = Record<string, unknown>;

/** What the edge knows that a Responses call needs. */
export interface ResponsesContext {
  store: ResponseStore;
  mcp: McpConfig;
  allowExternalMcp: boolean;
  /** Origins this gateway is reached at (AQUEDUCT_PUBLIC_URL, the request's own origin). */
  gatewayOrigins: string[];
}

/** This call's own input, as the items input_items lists later. */
export interface PreparedResponse {
  input: Json[];
  previousResponseId: string | null;
  /** Ids of input items that were item_references to items the gateway keeps (findable already). */
  referenced: Set<string>;
}

const ITEM_PREFIX: Record<string, string> = { message: 'msg_', function_call: 'fc_', function_call_output: 'fco_', reasoning: 'rs_' };

/** Checks and rewrites the body in place; throws Refusals. */
export async function prepareResponse(body: Json, principal: Principal, ctx: ResponsesContext): Promise<PreparedResponse> {
  if (Array.isArray(body.tools)) body.tools = body.tools.map((tool, i) => (isObject(tool) && tool.type === 'mcp' ? mcpTool(tool, i, principal, ctx) : tool));
  const previous = typeof body.previous_response_id === 'string' ? body.previous_response_id : null;
  if (previous !== null) {
    const owner = ownerOf(principal);
    const stored = await ctx.store.find(previous, owner);
    if (stored === undefined) throw responseNotFound(previous, 'previous_response_id');
    if (stored.mode === 'translated') attachHistory(body, await ctx.store.conversation(previous, owner));
  }
  // Earlier items by reference (the AI SDK sends them): the gateway's own are put in place; others are the upstream's.
  const referenced = new Set<string>();
  if (Array.isArray(body.input)) {
    const owner = ownerOf(principal);
    const resolved: unknown[] = [];
    for (const item of body.input as unknown[]) {
      const found = !isObject(item) || item.type !== 'item_reference' || typeof item.id !== 'string' ? undefined : await ctx.store.item(item.id, owner);
      if (found !== undefined) referenced.add((item as Json).id as string);
      resolved.push(found ?? item);
    }
    body.input = resolved;
  }
  // The response's ids are chosen now, so that its input items are numbered as its own (see response-ids.ts).
  const ids = new ItemIds();
  attachItemIds(body, ids);
  const input = inputItems(body.input).map((item) => {
    const type = String(item.type ?? 'message');
    return { id: ids.next(ITEM_PREFIX[type] ?? 'item_'), ...(item.type === undefined ? { type: 'message' } : {}), ...item, ...(type === 'message' && item.status === undefined ? { status: 'completed' } : {}) };
  });
  return { input, previousResponseId: previous, referenced };
}

/** An `mcp` tool as the upstream should get it, or the refusal that says why not. */
function mcpTool(tool: Json, i: number, principal: Principal, ctx: ResponsesContext): Json {
  const param = `tools[${i}].server_url`;
  const notFound = (name: string) => new Refusal('not_found', `MCP server not found - ${name}`, { param, code: 'mcp_server_not_found' });
  if (typeof tool.server_url !== 'string') {
    if (typeof tool.connector_id === 'string' && ctx.allowExternalMcp) return tool;
    throw new Refusal('invalid', `tools[${i}]: an mcp tool needs a server_url: this gateway's /mcp-servers/{name}/mcp URL of a server you may use.`, { param, code: 'invalid_mcp_server' });
  }
  let url: URL;
  try {
    url = new URL(tool.server_url);
  } catch {
    throw new Refusal('invalid', `tools[${i}].server_url is not a URL.`, { param, code: 'invalid_mcp_server' });
  }
  const own = /^\/mcp-servers\/([^/]+)\/mcp$/.exec(url.pathname);
  if (own !== null && ctx.gatewayOrigins.includes(url.origin)) {
    const name = decodeURIComponent(own[1]!);
    const server = ctx.mcp.servers.get(name);
    // Excluded servers look exactly like unknown ones; the check is on the server the URL names.
    if (server === undefined || principal.excludedMcpServers.has(name)) throw notFound(name);
    const headers = { ...(isObject(tool.headers) ? tool.headers : {}), ...server.headers };
    return { ...tool, server_url: server.url, ...(Object.keys(headers).length > 0 ? { headers } : {}) };
  }
  if (ctx.allowExternalMcp) return tool;
  throw new Refusal('invalid', `tools[${i}].server_url ${url.origin}${url.pathname} is not an MCP server of this gateway; use /mcp-servers/{name}/mcp (see GET /v1/mcp-servers).`, {
    param,
    code: 'external_mcp_not_allowed',
  });
}

/** Records the response for its owner once the call has produced it (not for `store: false`). */
export function keepResponse(body: Json, principal: Principal, ctx: ResponsesContext, prepared: PreparedResponse, deployment: Deployment, model: string, response: Json): void {
  if (body.store === false || typeof response.id !== 'string') return;
  const common = { id: response.id, owner: ownerOf(principal), keyId: principal.keyId, model, deployment: deployment.id, previousResponseId: prepared.previousResponseId };
  if (deployment.responsesApi === 'native') ctx.store.save({ ...common, mode: 'native' });
  else ctx.store.save({ ...common, mode: 'translated', response, inputItems: prepared.input, referenced: prepared.referenced });
}

/** Where native retrieve/delete go, and how long they may take. */
export interface NativeTarget {
  deployment(id: string): Deployment | undefined;
  timeoutMs(deployment: Deployment): number;
}

/** An answer for the edge: JSON bytes or object, with a status. */
export interface StoredAnswer {
  status: number;
  body: Json | string;
}

export class ResponseCalls {
  constructor(
    private readonly store: ResponseStore,
    private readonly target: () => NativeTarget,
  ) {}

  private async own(principal: Principal, id: string): Promise<StoredResponse> {
    const stored = await this.store.find(id, ownerOf(principal));
    if (stored === undefined) throw responseNotFound(id);
    return stored;
  }

  async retrieve(principal: Principal, id: string, signal: AbortSignal): Promise<StoredAnswer> {
    const stored = await this.own(principal, id);
    if (stored.mode === 'translated') return { status: 200, body: stored.response! };
    return this.native(stored, 'GET', `/${encodeURIComponent(id)}`, signal);
  }

  async remove(principal: Principal, id: string, signal: AbortSignal): Promise<StoredAnswer> {
    const stored = await this.own(principal, id);
    let answer: StoredAnswer = { status: 200, body: { id, object: 'response', deleted: true } };
    if (stored.mode === 'native') {
      try {
        const upstream = await this.native(stored, 'DELETE', `/${encodeURIComponent(id)}`, signal);
        if (typeof upstream.body === 'string' && upstream.body.trim() !== '') answer = upstream;
      } catch (err) {
        // Already gone upstream: forget it here too.
        if (!(err instanceof Refusal && err.kind === 'not_found')) throw err;
      }
    }
    await this.store.remove(id, ownerOf(principal));
    return answer;
  }

  async inputItems(principal: Principal, id: string, query: { limit?: number; order?: 'asc' | 'desc'; after?: string }, signal: AbortSignal): Promise<StoredAnswer> {
    const stored = await this.own(principal, id);
    if (stored.mode === 'native') {
      const q = new URLSearchParams();
      if (query.limit !== undefined) q.set('limit', String(query.limit));
      if (query.order !== undefined) q.set('order', query.order);
      if (query.after !== undefined) q.set('after', query.after);
      const qs = q.size > 0 ? `?${q}` : '';
      return this.native(stored, 'GET', `/${encodeURIComponent(id)}/input_items${qs}`, signal);
    }
    let items = [...(stored.inputItems ?? [])];
    if ((query.order ?? 'desc') === 'desc') items.reverse();
    if (query.after !== undefined) {
      const at = items.findIndex((i) => i.id === query.after);
      items = at < 0 ? [] : items.slice(at + 1);
    }
    const limit = query.limit ?? 20;
    const page = items.slice(0, limit);
    return { status: 200, body: { object: 'list', data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: items.length > limit } };
  }

  /** One request to the deployment that keeps the response; its 404 is ours, other failures are mapped. */
  private async native(stored: StoredResponse, method: 'GET' | 'DELETE', path: string, signal: AbortSignal): Promise<StoredAnswer> {
    const target = this.target();
    const deployment = target.deployment(stored.deployment);
    if (deployment === undefined) throw responseNotFound(stored.id); // its deployment left the configuration
    let response: Response;
    try {
      response = await toNativeResponses(deployment, method, path, target.timeoutMs(deployment), signal);
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new Refusal('upstream_timeout', `The upstream for model ${stored.model} did not answer in time.`, { code: 'upstream_timeout' });
      throw new Refusal('upstream_unreachable', `Could not reach the deployment of model ${stored.model} that keeps response ${stored.id}.`, { code: 'upstream_unreachable' });
    }
    const text = await response.text();
    if (response.status === 404) throw responseNotFound(stored.id);
    if (response.status >= 500) throw new Refusal('upstream_failed', `The upstream for model ${stored.model} failed (${response.status}).`, { type: 'upstream_error', code: 'upstream_error' });
    if (!response.ok) throw new Refusal('upstream_refused', `The upstream for model ${stored.model} refused (${response.status}).`, { upstreamStatus: response.status, code: 'upstream_error' });
    return { status: response.status, body: text };
  }
}
