/** TypeBox models shared by every route: the OpenAI error body and the standard error responses. */
import { t } from 'elysia';

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

/** OpenAPI `detail` for an authenticated route. */
export const secured = (summary: string, tags: string[], description?: string) => ({
  summary,
  description,
  tags,
  security: [{ bearerAuth: [] }],
});

/** A cursor-paginated list as the OpenAI SDK walks it: it asks for `after=<last_id>` until `has_more` is false. */
export function cursorPage<T extends { id: string }>(data: T[], hasMore: boolean) {
  return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}
