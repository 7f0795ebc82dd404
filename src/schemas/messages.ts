/**
 * Anthropic Messages API bodies (POST /v1/messages, /v1/messages/count_tokens). Only what the gateway
 * needs is checked; everything else is kept (and sent as is to anthropic/ deployments).
 */
import { t } from 'elysia';

const block = t.Object({ type: t.String() }, { additionalProperties: true });
const message = t.Object(
  {
    // `system` mid-conversation: Claude Code sends it (beta mid-conversation-system-2026-04-07).
    role: t.Union([t.Literal('user'), t.Literal('assistant'), t.Literal('system')]),
    content: t.Union([t.String(), t.Array(block)]),
  },
  { additionalProperties: true },
);
const common = {
  model: t.String({ minLength: 1, description: 'A model name or alias from GET /v1/models (any chat model)' }),
  messages: t.Array(message, { minItems: 1 }),
  system: t.Optional(t.Union([t.String(), t.Array(block)])),
  tools: t.Optional(t.Array(t.Object({}, { additionalProperties: true }))),
};

export const MessagesRequest = t.Object(
  {
    ...common,
    max_tokens: t.Integer({ minimum: 1 }),
    stream: t.Optional(t.Boolean({ description: 'Stream the answer as Anthropic server-sent events' })),
  },
  { additionalProperties: true, description: 'Anthropic Messages API request' },
);

export const CountTokensRequest = t.Object(common, { additionalProperties: true, description: 'Anthropic count_tokens request' });

export const AnthropicMessage = t.Object({ id: t.String(), type: t.Literal('message'), role: t.Literal('assistant'), content: t.Array(block), model: t.String() }, { additionalProperties: true });
export const TokenCount = t.Object({ input_tokens: t.Integer() });
export const AnthropicErrorResponse = t.Object({ type: t.Literal('error'), error: t.Object({ type: t.String(), message: t.String() }) });
