/**
 * POST /files: the multipart body is streamed into a temporary file (never held in memory), checked
 * (size, purpose, quota, and for batch files every line), synced to disk, and only then handed to the byte
 * store (moved into place, or streamed to a bucket) and recorded. Any failure removes the temporary file, so nothing partial is ever recorded.
 */
import { open, rm } from 'node:fs/promises';
import type { Principal } from '../key-cache';
import { Refusal } from '../refusal';
import { validateBatchFile, type BatchModelLookup } from './batch-file';
import { OverQuota, type FileStore, type StoredFile } from './file-store';
import { ownerOf } from './owner';
import { writeAll } from '../../store/write-all';

export interface UploadLimits {
  maxFileSize: number;
  maxBatchFileSize: number;
  maxBatchLines: number;
  storagePerOwner: number;
  purposes: readonly string[];
  batchFileExpiryMs: number;
}

/** Where the parts of an upload go as the edge reads them (src/http/multipart.ts reads the wire format). */
export interface UploadParts {
  field(name: string, value: string): void;
  file(name: string, filename: string, contentType: string): { write(chunk: Uint8Array): Promise<void> };
}

/** An upload as the edge hands it over: its declared size, and a reader that feeds the parts, in order. */
export interface IncomingUpload {
  declaredBytes: number;
  read(parts: UploadParts): Promise<void>;
}

const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
const tooLarge = (message: string, code = 'file_too_large') => new Refusal('too_large', message, { param: 'file', code, final: true });
const invalid = (param: string, message: string, code = 'invalid_value') => new Refusal('invalid', message, { param, code });

export async function receiveUpload(upload: IncomingUpload, store: FileStore, principal: Principal, limits: UploadLimits, lookup: BatchModelLookup): Promise<StoredFile> {
  const owner = ownerOf(principal);
  const used = await store.usedBytes(owner);
  const quotaError = (usedNow = used) => tooLarge(`Storage limit reached: files of this ${owner.kind} may use ${mb(limits.storagePerOwner)} in total (${mb(usedNow)} used). Delete files first.`, 'storage_limit_exceeded');
  if (used + upload.declaredBytes > limits.storagePerOwner + 64 * 1024) throw quotaError();

  // The quota is held as the bytes arrive (a megabyte at a time), before they are written: concurrent
  // uploads of one owner cannot pass it together. What is held is given back when the upload ends. This holds
  // on one node; across nodes the check when the file is recorded decides (FileStore.add, OverQuota).
  let held = 0;
  const hold = async (total: number) => {
    if (total <= held) return;
    const step = Math.max(total - held, 1024 * 1024);
    if (await store.reserve(owner, step, limits.storagePerOwner)) held += step;
    else if (await store.reserve(owner, total - held, limits.storagePerOwner)) held = total;
    else throw quotaError();
  };
  // What the upload says it will send is held before any byte is accepted (less the multipart framing), so
  // the first of several concurrent uploads gets the room rather than each getting a part of it.
  await hold(Math.max(0, Math.min(upload.declaredBytes, limits.maxFileSize) - 64 * 1024));

  const temp = store.tempPath();
  const handle = await open(temp, 'wx', 0o600);
  let closed = false;
  try {
    const fields = new Map<string, string>();
    let filename: string | undefined;
    let bytes = 0;
    await upload.read({
      field: (name, value) => fields.set(name, value),
      file(name, fname) {
        if (name !== 'file') throw invalid(name, `Unexpected file part '${name}'; send the file as 'file'.`, 'invalid_multipart');
        if (filename !== undefined) throw invalid('file', 'Send one file per upload.', 'invalid_multipart');
        filename = fname.replace(/[\u0000-\u001f\\/]/g, '_').slice(0, 255) || 'upload';
        return {
          async write(chunk) {
            bytes += chunk.byteLength;
            if (bytes > limits.maxFileSize) throw tooLarge(`File too large: the limit is ${mb(limits.maxFileSize)}.`);
            await hold(bytes);
            await writeAll(handle, chunk);
          },
        };
      },
    });
    await handle.sync(); // on disk before it is acknowledged
    await handle.close();
    closed = true;

    if (filename === undefined) throw invalid('file', "Missing required parameter: 'file'.", 'missing_required_parameter');
    const purpose = fields.get('purpose');
    if (purpose === undefined) throw invalid('purpose', "Missing required parameter: 'purpose'.", 'missing_required_parameter');
    if (!limits.purposes.includes(purpose)) {
      throw invalid('purpose', `Invalid value for 'purpose': expected one of ${limits.purposes.join(', ')}.`);
    }
    const createdAt = Date.now();
    let expiresAt: number | null = purpose === 'batch' ? createdAt + limits.batchFileExpiryMs : null;
    const anchor = fields.get('expires_after[anchor]');
    const seconds = fields.get('expires_after[seconds]');
    if (anchor !== undefined || seconds !== undefined) {
      const s = Number(seconds);
      if (anchor !== 'created_at') throw invalid('expires_after[anchor]', "Invalid value for 'expires_after[anchor]': expected 'created_at'.");
      if (!Number.isInteger(s) || s < 3600 || s > 2_592_000) {
        throw invalid('expires_after[seconds]', "Invalid value for 'expires_after[seconds]': expected 3600 to 2592000.");
      }
      expiresAt = createdAt + s * 1000;
    }

    let batch: { lineCount: number; batchEndpoint: string; batchModel: string } | undefined;
    if (purpose === 'batch') {
      if (bytes > limits.maxBatchFileSize) throw tooLarge(`Batch file too large: the limit is ${mb(limits.maxBatchFileSize)}.`);
      const facts = await validateBatchFile(Bun.file(temp).stream(), limits.maxBatchLines, lookup);
      batch = { lineCount: facts.lineCount, batchEndpoint: facts.endpoint, batchModel: facts.model };
    }
    const stored = await store.add(owner, temp, {
      keyId: principal.keyId,
      filename,
      purpose,
      bytes,
      createdAt,
      expiresAt,
      lineCount: batch?.lineCount ?? null,
      batchEndpoint: batch?.batchEndpoint ?? null,
      batchModel: batch?.batchModel ?? null,
    }, limits.storagePerOwner);
    store.release(owner, held); // the stored file counts now
    return stored;
  } catch (err) {
    if (!closed) await handle.close().catch(() => {});
    await rm(temp, { force: true });
    store.release(owner, held);
    held = 0;
    if (err instanceof OverQuota) throw quotaError(err.used);
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new Refusal('no_space', 'The gateway ran out of disk space while storing the file; nothing was stored.', { code: 'insufficient_storage' });
    }
    throw err;
  }
}
