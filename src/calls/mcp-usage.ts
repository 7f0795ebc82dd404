/**
 * Usage of MCP calls: each session start (initialize) and each tools/call is one usage record, written
 * once the answer has been relayed (a tool's result may arrive late on an SSE stream), through the same
 * record builder as model calls.
 */
import type { Principal } from '../domain/key-cache';
import type { UsageSink } from '../domain/usage';
import { relayBytes } from '../upstream/byte-relay';
import { usageRecord } from './usage-record';

export interface McpCall {
  usage: UsageSink;
  principal: Principal;
  requestId: string;
  server: string;
  /** The JSON-RPC method of the message that was relayed. */
  rpcMethod: unknown;
  /** The tool of a tools/call. */
  tool: unknown;
  startedAt: number;
  status: number;
  stream: boolean;
  body: ReadableStream<Uint8Array> | null;
  abortUpstream(reason: unknown): void;
}

/** The answer body to relay: recorded when it ends, when the call is one that is metered. */
export function meteredMcpAnswer(c: McpCall): ReadableStream<Uint8Array> | null {
  const endpoint = c.rpcMethod === 'initialize' ? 'mcp.initialize' : c.rpcMethod === 'tools/call' ? 'mcp.tools/call' : undefined;
  if (endpoint === undefined) return c.body;
  const record = () =>
    c.usage.record(
      usageRecord(c.principal, {
        requestId: c.requestId,
        endpoint,
        model: '',
        status: c.status,
        latencyMs: Math.round(performance.now() - c.startedAt),
        stream: c.stream,
        mcpServer: c.server,
        mcpTool: endpoint === 'mcp.tools/call' && typeof c.tool === 'string' ? c.tool.slice(0, 200) : null,
      }),
    );
  if (c.body === null) {
    record();
    return null;
  }
  // An MCP stream may stay open as long as the session lives: no idle timeout here.
  return relayBytes({ body: c.body, idleTimeoutMs: 0, abortUpstream: c.abortUpstream, onEnd: record });
}
