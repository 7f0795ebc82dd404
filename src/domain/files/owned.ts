/**
 * The owner-scoped look-ups behind every file and batch id a caller names (API routes and console alike):
 * an id that is malformed, absent or someone else's is the same `undefined`, so nothing tells them apart.
 */
import type { BatchRow, BatchStore } from '../batches/batch-store';
import type { Principal } from '../key-cache';
import { isWellFormedId } from './ids';
import type { FileStore, StoredFile } from './file-store';
import { ownerOf } from './owner';

export const ownedFile = async (files: FileStore, p: Principal, id: string): Promise<StoredFile | undefined> =>
  isWellFormedId(id, 'file-') ? files.get(ownerOf(p), id) : undefined;

export const ownedBatch = async (batches: BatchStore, p: Principal, id: string): Promise<BatchRow | undefined> =>
  isWellFormedId(id, 'batch_') ? batches.get(ownerOf(p), id) : undefined;
