/** Cancelling a batch: the one implementation behind POST /batches/:id/cancel and the console's cancel button. */
import type { BatchRow, BatchStatus, BatchStore } from '../domain/batches/batch-store';
import { Refusal } from '../domain/refusal';
import type { BatchRunner } from './batch-runner';

const FINISHED: readonly BatchStatus[] = ['completed', 'failed', 'expired'];

/** Whether a cancel would still change something (a batch already cancelling or cancelled is left as it is). */
export const cancellable = (status: BatchStatus) => !FINISHED.includes(status) && status !== 'cancelling' && status !== 'cancelled';

/**
 * Moves the batch to `cancelling` and tells the runner to stop it; repeating it is harmless (OpenAI answers
 * a cancelled batch again), a finished batch is a conflict. Returns the batch as it is now.
 */
export function cancelBatch(batches: BatchStore, runner: BatchRunner, batch: BatchRow): BatchRow {
  if (FINISHED.includes(batch.status)) {
    throw new Refusal('conflict', `Batch ${batch.id} is already ${batch.status}.`, { code: 'batch_not_cancellable', final: true });
  }
  if (cancellable(batch.status)) {
    batches.setStatus(batch.id, 'cancelling', 'cancelling_at');
    runner.cancel(batch.id);
  }
  return batches.byId(batch.id)!;
}
