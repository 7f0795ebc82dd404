/** Cancelling a batch: the one implementation behind POST /batches/:id/cancel and the console's cancel button. */
import type { BatchRow, BatchStatus, BatchStore } from '../domain/batches/batch-store';
import { Refusal } from '../domain/refusal';
import type { BatchRunner } from './batch-runner';

const FINISHED: readonly BatchStatus[] = ['completed', 'failed', 'expired'];
const CANCELLABLE: readonly BatchStatus[] = ['validating', 'in_progress', 'finalizing'];

/** Whether a cancel would still change something (a batch already cancelling or cancelled is left as it is). */
export const cancellable = (status: BatchStatus) => CANCELLABLE.includes(status);

/**
 * Moves the batch to `cancelling` and tells the runner to stop it; repeating it is harmless (OpenAI answers
 * a cancelled batch again), a finished batch is a conflict. Returns the batch as it is now. The move is
 * conditional, so a batch another node ends at the same moment is either cancelled or finished, not both;
 * the runners of other nodes see the status at their next tick and stop their lines of it.
 */
export async function cancelBatch(batches: BatchStore, runner: BatchRunner, batch: BatchRow): Promise<BatchRow> {
  if (cancellable(batch.status) && (await batches.transition(batch.id, CANCELLABLE, 'cancelling', 'cancelling_at'))) runner.cancel(batch.id);
  const now = (await batches.byId(batch.id))!;
  if (FINISHED.includes(now.status)) {
    throw new Refusal('conflict', `Batch ${batch.id} is already ${now.status}.`, { code: 'batch_not_cancellable', final: true });
  }
  return now;
}
