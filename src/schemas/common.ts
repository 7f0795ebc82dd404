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
