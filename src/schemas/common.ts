/** TypeBox models shared by every route: the OpenAI error body and the standard error responses. */
import { t, type TSchema } from 'elysia';

export const ErrorResponse = t.Object(
  {
    error: t.Object({
      message: t.String(),
      type: t.String(),
      param: t.Union([t.String(), t.Null()]),
      code: t.Union([t.String(), t.Null()]),
    }),
  },
  { description: 'OpenAI error shape' },
);

/** Error responses every authenticated route can give, for the OpenAPI document. */
export const authErrors = {
  401: ErrorResponse,
  500: ErrorResponse,
} as const;

/** authErrors of the routes behind the terms of service (403 tos_not_accepted while they are not accepted). */
export const gatedAuthErrors = {
  401: ErrorResponse,
  403: ErrorResponse,
  500: ErrorResponse,
} as const;

/** The OpenAI error body for each of `statuses`, and for the 401 and 500 any authenticated route can give. */
export function refusals<S extends number>(...statuses: S[]): Record<S | 401 | 500, typeof ErrorResponse> {
  return Object.fromEntries([...statuses, 401, 500].map((s) => [s, ErrorResponse])) as Record<S | 401 | 500, typeof ErrorResponse>;
}

/**
 * The same, as OpenAPI response objects for `detail.responses`: for routes that answer with a Response of
 * their own (streams, text, relayed MCP messages), where Elysia's `response` schemas do not apply.
 */
export function errorDocs(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, { description: 'Error (OpenAI shape)', content: { 'application/json': { schema: ErrorResponse } } }]));
}

/** OpenAPI `detail` for an authenticated route; `operationId` is what generated clients name the call. */
export const secured = (operationId: string, summary: string, tags: string[], description?: string) => ({
  operationId,
  summary,
  description,
  tags,
  security: [{ bearerAuth: [] }],
});

/** The schema of a cursorPage of `item`s. */
export const CursorPageOf = <T extends TSchema>(item: T) =>
  t.Object({
    object: t.Literal('list'),
    data: t.Array(item),
    first_id: t.Union([t.String(), t.Null()]),
    last_id: t.Union([t.String(), t.Null()]),
    has_more: t.Boolean(),
  });

/** A cursor-paginated list as the OpenAI SDK walks it: it asks for `after=<last_id>` until `has_more` is false. */
export function cursorPage<T extends { id: string }>(data: T[], hasMore: boolean) {
  return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}
