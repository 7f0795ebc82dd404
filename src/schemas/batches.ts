/** The OpenAI batch object, for answers and the OpenAPI document. */
import { t } from 'elysia';
import { CursorPageOf } from './common';
import type { BatchRow } from '../domain/batches/batch-store';

const sec = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

export const BatchObject = t.Object({ id: t.String(), object: t.Literal('batch'), status: t.String() }, { additionalProperties: true });

export const BatchList = CursorPageOf(BatchObject);

export const batchJson = (b: BatchRow) => ({
  id: b.id,
  object: 'batch' as const,
  endpoint: b.endpoint,
  model: b.model,
  errors: b.errors === null ? null : { object: 'list', data: JSON.parse(b.errors) },
  input_file_id: b.inputFileId,
  completion_window: b.completionWindow,
  status: b.status,
  output_file_id: b.outputFileId,
  error_file_id: b.errorFileId,
  created_at: sec(b.createdAt),
  in_progress_at: sec(b.inProgressAt),
  expires_at: sec(b.expiresAt),
  finalizing_at: sec(b.finalizingAt),
  completed_at: sec(b.completedAt),
  failed_at: sec(b.failedAt),
  expired_at: sec(b.expiredAt),
  cancelling_at: sec(b.cancellingAt),
  cancelled_at: sec(b.cancelledAt),
  request_counts: { total: b.total, completed: b.completed, failed: b.failed },
  usage: {
    input_tokens: b.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: b.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: b.inputTokens + b.outputTokens,
  },
  metadata: b.metadata === null ? null : JSON.parse(b.metadata),
});
