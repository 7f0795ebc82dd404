/**
 * Finishing touches to the OpenAPI document @elysiajs/openapi generates, in one place:
 * - integer parameters (src/schemas/params.ts) are shown as plain integers with their range and default,
 *   not as Elysia's "string or integer" union whose string branch makes Swagger UI pre-fill 0;
 * - the model endpoints' request bodies, the `model` path parameter and the MCP server `name` get
 *   examples naming what is configured, so "Try it out" reaches something real;
 * - JSON-only bodies list application/json only (Elysia also lists form encodings the gateway refuses);
 * - operationIds are identifiers (generated ones such as `getMcp-servers` are not).
 */
import { ENDPOINTS, type EndpointName } from '../config/endpoints';
import type { RequestExamples } from './request-examples';

export interface DocumentExamples {
  bodies: RequestExamples;
  /** A configured model, for GET /v1/models/{model}. */
  model: string;
  /** A configured MCP server, if any, for /mcp-servers/{name}/mcp. */
  mcpServer?: string;
}

type Schema = { type?: string; anyOf?: Schema[]; description?: string; default?: unknown; [k: string]: unknown };
interface Parameter { name: string; in: string; schema?: Schema; example?: unknown }
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: unknown; example?: unknown }> };
}
interface Document { paths: Record<string, Record<string, Operation>> }

/** `getMcp-servers` → `getMcpServers`. */
export const identifier = (id: string) => id.replace(/[^A-Za-z0-9_]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase());

/** Elysia's integer-or-numeric-string union → its integer branch, keeping the outer description and default. */
function plainInteger(schema: Schema | undefined): Schema | undefined {
  const integer = schema?.anyOf?.find((s) => s.type === 'integer');
  if (!schema || !integer || !schema.anyOf!.every((s) => s === integer || s.type === 'string')) return schema;
  const out: Schema = { ...integer };
  if (schema.description !== undefined) out.description = schema.description;
  if (schema.default !== undefined) out.default = schema.default;
  return out;
}

const BODY_EXAMPLE_PATHS = new Map(Object.values(ENDPOINTS).map((e) => [e.v1Path, e.name] as [string, EndpointName]));

export function finishDocument<D>(generated: D, examples: DocumentExamples): D {
  const doc = structuredClone(generated) as D & Document;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const op of Object.values(item)) {
      if (op.operationId !== undefined) op.operationId = identifier(op.operationId);
      for (const p of op.parameters ?? []) {
        p.schema = plainInteger(p.schema);
        if (p.in === 'path' && p.name === 'model') p.example = examples.model;
        if (p.in === 'path' && p.name === 'name' && path.startsWith('/mcp-servers/') && examples.mcpServer !== undefined) p.example = examples.mcpServer;
      }
      const content = op.requestBody?.content;
      if (content?.['application/json']) {
        delete content['application/x-www-form-urlencoded'];
        delete content['multipart/form-data'];
        const endpoint = BODY_EXAMPLE_PATHS.get(path);
        if (endpoint) content['application/json'].example = examples.bodies[endpoint];
      }
    }
  }
  return doc;
}
