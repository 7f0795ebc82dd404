/**
 * /mcp-servers: the MCP servers a key may use, and a transparent Streamable-HTTP proxy to each at
 * /mcp-servers/{name}/mcp (POST, GET, DELETE). Answers are relayed as the upstream gives them (JSON or an
 * SSE stream, chunk by chunk); statuses and MCP headers are kept; hop-by-hop headers and the caller's
 * credentials never go upstream. Sessions get the gateway's own ids, bound to the key and server.
 */
import { Elysia, t } from 'elysia';
import type { AppDeps } from '../app';
import type { McpServer } from '../config/mcp-config';
import type { Principal } from '../domain/key-cache';
import { hostAllowed, originAllowed } from '../domain/mcp/origin-check';
import type { McpSession } from '../domain/mcp/sessions';
import { ApiError } from '../http/api-error';
import { authenticate } from '../http/auth';
import { REQUEST_ID } from '../http/request-id';
import { meteredMcpAnswer } from '../calls/mcp-usage';
import { clientGone } from '../domain/refusal';
import { errorDocs, refusals, secured } from '../schemas/common';
import { JsonObject } from '../schemas/inference';
import { INITIALIZE, McpServerList } from '../schemas/mcp';
import { termsGate } from './terms-gate';

const FORWARDED_REQUEST = ['accept', 'content-type', 'mcp-protocol-version', 'last-event-id', 'mcp-method', 'mcp-name'];
const RELAYED_RESPONSE = ['content-type', 'mcp-protocol-version', 'cache-control', 'allow', 'www-authenticate', 'x-accel-buffering'];

const serverNotFound = (name: string) => new ApiError(404, `MCP server not found: ${name.slice(0, 100)}`, { param: 'name', code: 'mcp_server_not_found' });
/** 429 in the JSON-RPC error shape (what an MCP client shows), for a key at its session cap. */
function tooManySessions(message: unknown, cap: number): Response {
  const id = message && typeof message === 'object' && !Array.isArray(message) ? ((message as { id?: unknown }).id ?? null) : null;
  return Response.json(
    { jsonrpc: '2.0', id, error: { code: -32000, message: `Too many MCP sessions for this key (at most ${cap}): end one (DELETE) or let one go idle, then try again.` } },
    { status: 429, headers: { 'retry-after': '60' } },
  );
}

const sessionNotFound = () => new ApiError(404, 'Session not found: initialize a new one.', { code: 'mcp_session_not_found' });

export const mcpRoutes = (deps: AppDeps) => {
  const { mcpSessions: sessions } = deps;
  const gate = termsGate(deps);
  const visible = (p: Principal, name: string): McpServer | undefined => (p.excludedMcpServers.has(name) ? undefined : deps.mcp.servers.get(name));

  /** Host (421) and Origin (403) checks against DNS rebinding, before anything else. */
  const guard = (request: Request) => {
    if (!hostAllowed(request.headers.get('host'), deps.settings.mcpAllowedHosts)) throw new ApiError(421, 'Invalid Host header.', { code: 'invalid_host' });
    if (!originAllowed(request.headers.get('origin'), deps.settings.mcpAllowedOrigins)) throw new ApiError(403, 'Invalid Origin header.', { code: 'invalid_origin' });
  };

  /** Ends a session the gateway forgot (evicted for a new one) at its server too; best effort. */
  const endUpstreamSession = (evicted: McpSession) => {
    const srv = deps.mcp.servers.get(evicted.server);
    if (srv) void fetch(srv.url, { method: 'DELETE', headers: { ...srv.headers, 'mcp-session-id': evicted.upstreamId }, signal: AbortSignal.timeout(5000) }).catch(() => {});
  };

  const proxy = async (method: 'GET' | 'POST' | 'DELETE', ctx: { request: Request; params: { name: string }; body: unknown; set: { headers: Record<string, unknown> }; server: { timeout(r: Request, s: number): void } | null }) => {
    const { request, params, body, set } = ctx;
    guard(request);
    const principal = await authenticate(deps.keys, request);
    gate(principal, request);
    const srv = visible(principal, params.name);
    if (!srv) throw serverNotFound(params.name);
    ctx.server?.timeout(request, 0); // GET streams and slow tools stay open as long as they need
    const started = performance.now();

    const presented = request.headers.get('mcp-session-id');
    let session = presented === null ? undefined : await sessions.get(presented, srv.name, principal.keyId);
    if (presented !== null && !session) throw sessionNotFound();

    const headers: Record<string, string> = { ...srv.headers };
    for (const name of FORWARDED_REQUEST) {
      const v = request.headers.get(name);
      if (v !== null) headers[name] = v;
    }
    request.headers.forEach((v, k) => {
      if (k.startsWith('mcp-param-')) headers[k] = v;
    });
    if (session) headers['mcp-session-id'] = session.upstreamId;
    // A message without a session may open one (initialize): its place under the key's cap is held first,
    // so concurrent initializes cannot pass the cap together.
    const slot = !session && method === 'POST' ? await sessions.reserve(principal.keyId) : undefined;
    if (!session && method === 'POST' && slot === undefined) return tooManySessions(body, deps.settings.mcpSessionsPerKey);
    if (slot?.evicted) endUpstreamSession(slot.evicted);

    let encoded: string | undefined;
    try {
      encoded = method === 'POST' ? JSON.stringify(body) : undefined;
    } catch {
      slot?.release();
      // The caller's message, not the server's fault: never a 502.
      throw new ApiError(400, 'The JSON-RPC message could not be encoded.', { code: 'invalid_request_body' });
    }
    const requestId = String(set.headers[REQUEST_ID] ?? '');
    const upstreamCall = new AbortController();
    request.signal.addEventListener('abort', () => upstreamCall.abort(request.signal.reason), { once: true });
    let upstream: Response;
    try {
      upstream = await fetch(srv.url, { method, headers, body: encoded, signal: upstreamCall.signal, redirect: 'manual' });
    } catch (err) {
      slot?.release();
      if (request.signal.aborted) throw clientGone();
      // Where the server lives is the operator's business, not the caller's: the details go to the log.
      deps.log.warn('MCP server unreachable', { request_id: requestId, server: srv.name, error: (err as Error).message });
      throw new ApiError(502, `MCP server ${srv.name} is unreachable (request ${requestId}).`, { type: 'upstream_error', code: 'mcp_server_unreachable' });
    }

    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(set.headers)) out[k] = String(v);
    for (const name of RELAYED_RESPONSE) {
      const v = upstream.headers.get(name);
      if (v !== null) out[name] = v;
    }
    const upstreamSession = upstream.headers.get('mcp-session-id');
    const message = body as { method?: unknown; params?: { name?: unknown } } | undefined;
    const rpcMethod = method === 'POST' && message && typeof message === 'object' && !Array.isArray(message) ? message.method : undefined;
    if (upstreamSession !== null && !session) {
      try {
        session = await sessions.create(srv.name, principal.keyId, upstreamSession, slot);
      } catch (err) {
        // The session could not be recorded (the shared store went away): nobody could use it, so end it.
        slot?.release();
        endUpstreamSession({ id: '', upstreamId: upstreamSession, server: srv.name, keyId: principal.keyId, lastUsed: 0 });
        void upstream.body?.cancel().catch(() => {});
        throw err;
      }
    } else slot?.release();
    if (session) out['mcp-session-id'] = session.id;
    if (method === 'DELETE' && session && (upstream.ok || upstream.status === 404 || upstream.status === 405)) {
      // Ended upstream already: if the store cannot be told, the entry lapses with its idle timeout (and
      // any use meanwhile gets the server's own "session not found").
      await Promise.resolve(sessions.end(session)).catch(() => {});
    }
    set.headers = {}; // everything is in `out`: keeps Elysia from re-wrapping the (streamed) body

    const answer = meteredMcpAnswer({
      usage: deps.usage,
      principal,
      requestId,
      server: srv.name,
      rpcMethod,
      tool: message?.params?.name,
      startedAt: started,
      status: upstream.status,
      stream: (out['content-type'] ?? '').startsWith('text/event-stream'),
      body: upstream.body,
      abortUpstream: (reason) => upstreamCall.abort(reason),
    });
    // Bun sends a response's headers with its first bytes, and a GET stream's server may stay quiet for minutes:
    // the client would wait that long to see its stream open. An SSE comment (every parser skips it) goes first.
    const opened = method === 'GET' && upstream.ok && answer !== null && (out['content-type'] ?? '').startsWith('text/event-stream') ? withOpeningComment(answer) : answer;
    return new Response(opened, { status: upstream.status, headers: out });
  };

  const name = t.Object({ name: t.String({ description: 'The server name from mcp.json (see GET /mcp-servers)' }) });
  const detail = (operationId: string, summary: string, ok: Record<string, unknown>) => ({
    ...secured(operationId, summary, ['MCP'], 'Streamable HTTP, relayed transparently. Session ids are the gateway’s own, bound to your key (header `Mcp-Session-Id`).'),
    responses: {
      ...ok,
      // The MCP server's own refusals (e.g. a GET or DELETE without a session) are relayed as it gives them.
      '4XX': { description: "The MCP server's own refusal, relayed (a JSON-RPC error or empty)" },
      ...errorDocs(401, 403, 404, 421, 500, 502, 503),
    },
  });
  const relayed = { description: "The MCP server's answer, relayed: a JSON-RPC message, or an SSE stream of them", content: { 'application/json': { schema: JsonObject }, 'text/event-stream': { schema: t.String() } } };
  return new Elysia()
    .get(
      '/mcp-servers',
      async ({ request }) => {
        const principal = await authenticate(deps.keys, request);
        // The URLs handed out come from the configured public URL, or else from a Host on the allow-list:
        // never from whatever Host a caller sends (a link to attacker.example would carry the caller's key).
        const requested = new URL(request.url); // the listener builds it from the Host the client sent
        if (deps.settings.publicUrl === undefined && !hostAllowed(requested.host, deps.settings.mcpAllowedHosts)) {
          throw new ApiError(421, 'Invalid Host header: set AQUEDUCT_PUBLIC_URL, or reach the gateway by an allowed host.', { code: 'invalid_host' });
        }
        const base = deps.settings.publicUrl ?? requested.origin;
        const data = [...deps.mcp.servers.values()]
          .filter((s) => !principal.excludedMcpServers.has(s.name))
          .map((s) => ({ object: 'mcp_server' as const, name: s.name, description: s.description ?? null, tags: s.tags, url: `${base}/mcp-servers/${encodeURIComponent(s.name)}/mcp` }));
        return { object: 'list' as const, data };
      },
      { response: { 200: McpServerList, ...refusals() }, detail: secured('listMcpServers', 'List MCP servers', ['MCP'], 'The servers this key may use, with the URL to give an MCP client.') },
    )
    .post('/mcp-servers/:name/mcp', (ctx) => proxy('POST', ctx as never), {
      params: name,
      parse: 'json',
      detail: {
        ...detail('sendMcpMessage', 'MCP: send a message', { 200: relayed, 202: { description: 'Accepted (a notification or response)' } }),
        requestBody: { required: true, content: { 'application/json': { schema: { ...JsonObject, description: 'A JSON-RPC message' }, example: INITIALIZE } } },
      },
    })
    .get('/mcp-servers/:name/mcp', (ctx) => proxy('GET', ctx as never), { params: name, detail: detail('openMcpStream', 'MCP: open the server-to-client stream', { 200: { description: 'An SSE stream of JSON-RPC messages', content: { 'text/event-stream': { schema: t.String() } } } }) })
    .delete('/mcp-servers/:name/mcp', (ctx) => proxy('DELETE', ctx as never), { params: name, detail: detail('endMcpSession', 'MCP: end the session', { 200: { description: 'The session is ended' } }) });
};

const OPENING_COMMENT = new TextEncoder().encode(': stream open\n\n');

/** The stream with an SSE comment in front; cancelling it cancels the relayed one (and so the upstream call). */
function withOpeningComment(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ start: (c) => c.enqueue(OPENING_COMMENT) }));
}
