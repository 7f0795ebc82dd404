/** The MCP server list, and an example message for the API document. */
import { t } from 'elysia';

export const McpServerList = t.Object({
  object: t.Literal('list'),
  data: t.Array(
    t.Object({
      object: t.Literal('mcp_server'),
      name: t.String(),
      description: t.Union([t.String(), t.Null()]),
      tags: t.Array(t.String()),
      url: t.String({ description: 'The address to give an MCP client (Streamable HTTP)' }),
    }),
  ),
});

/** An `initialize` request: the first message of every MCP session. */
export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'swagger-ui', version: '1.0.0' } },
};
