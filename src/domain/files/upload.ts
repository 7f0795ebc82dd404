/**
 * POST /files: the multipart body is streamed into a temporary file (never held in memory), checked
 * (size, purpose, quota, and for batch files every line), synced to disk, and only then moved into place
 * and recorded. Any failure removes the temporary file, so nothing partial is ever recorded.
 */
import { open, rm } from 'node:fs/promises';
import { ApiError } from '../../http/api-error';
import { boundaryOf, readMultipart } from '../../http/multipart';
import type { Principal } from '../key-cache';
import { validateBatchFile, type BatchModelLookup } from './batch-file';
import type { FileStore, StoredFile } from './file-store';
import { ownerOf } from './owner';
import { writeAll } from './write-all';

export interface UploadLimits {
  maxFileSize: number;
  maxBatchFileSize: number;
  maxBatchLines: number;
  storagePerOwner: number;
  purposes: readonly string[];
  batchFileExpiryMs: number;
}

const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
const tooLarge = (message: string, code = 'file_too_large') => new ApiError(413, message, { param: 'file', code, headers: { 'x-should-retry': 'false' } });

export async function receiveUpload(request: Request, store: FileStore, principal: Principal, limits: UploadLimits, lookup: BatchModelLookup): Promise<StoredFile> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new ApiError(415, `Unsupported Content-Type: ${contentType || '(none)'}. Upload files as multipart/form-data.`, { code: 'unsupported_media_type' });
  }
  const boundary = boundaryOf(contentType);
  if (!boundary || !request.body) throw new ApiError(400, 'The multipart body has no boundary.', { code: 'invalid_multipart' });
  const owner = ownerOf(principal);
  const used = store.usedBytes(owner);
  const length = Number(request.headers.get('content-length') ?? 0);
  const quotaError = () => tooLarge(`Storage limit reached: files of this ${owner.kind} may use ${mb(limits.storagePerOwner)} in total (${mb(used)} used). Delete files first.`, 'storage_limit_exceeded');
  if (used + length > limits.storagePerOwner + 64 * 1024) throw quotaError();

  const temp = store.tempPath();
  const handle = await open(temp, 'wx', 0o600);
  let closed = false;
  try {
    const fields = new Map<string, string>();
    let filename: string | undefined;
    let bytes = 0;
    await readMultipart(request.body, boundary, {
      field: (name, value) => fields.set(name, value),
      file(name, fname) {
        if (name !== 'file') throw new ApiError(400, `Unexpected file part '${name}'; send the file as 'file'.`, { param: name, code: 'invalid_multipart' });
        if (filename !== undefined) throw new ApiError(400, 'Send one file per upload.', { param: 'file', code: 'invalid_multipart' });
        filename = fname.replace(/[\u0000-\u001f\\/]/g, '_').slice(0, 255) || 'upload';
        return {
          async write(chunk) {
            bytes += chunk.byteLength;
            if (bytes > limits.maxFileSize) throw tooLarge(`File too large: the limit is ${mb(limits.maxFileSize)}.`);
            await writeAll(handle, chunk);
          },
        };
      },
    });
    await handle.sync(); // on disk before it is acknowledged
    await handle.close();
    closed = true;

    if (filename === undefined) throw new ApiError(400, "Missing required parameter: 'file'.", { param: 'file', code: 'missing_required_parameter' });
    const purpose = fields.get('purpose');
    if (purpose === undefined) throw new ApiError(400, "Missing required parameter: 'purpose'.", { param: 'purpose', code: 'missing_required_parameter' });
    if (!limits.purposes.includes(purpose)) {
      throw new ApiError(400, `Invalid value for 'purpose': expected one of ${limits.purposes.join(', ')}.`, { param: 'purpose', code: 'invalid_value' });
    }
    const createdAt = Date.now();
    let expiresAt: number | null = purpose === 'batch' ? createdAt + limits.batchFileExpiryMs : null;
    const anchor = fields.get('expires_after[anchor]');
    const seconds = fields.get('expires_after[seconds]');
    if (anchor !== undefined || seconds !== undefined) {
      const s = Number(seconds);
      if (anchor !== 'created_at') throw new ApiError(400, "Invalid value for 'expires_after[anchor]': expected 'created_at'.", { param: 'expires_after[anchor]', code: 'invalid_value' });
      if (!Number.isInteger(s) || s < 3600 || s > 2_592_000) {
        throw new ApiError(400, "Invalid value for 'expires_after[seconds]': expected 3600 to 2592000.", { param: 'expires_after[seconds]', code: 'invalid_value' });
      }
      expiresAt = createdAt + s * 1000;
    }
    if (used + bytes > limits.storagePerOwner) throw quotaError();

    let batch: { lineCount: number; batchEndpoint: string; batchModel: string } | undefined;
    if (purpose === 'batch') {
      if (bytes > limits.maxBatchFileSize) throw tooLarge(`Batch file too large: the limit is ${mb(limits.maxBatchFileSize)}.`);
      const facts = await validateBatchFile(Bun.file(temp).stream(), limits.maxBatchLines, lookup);
      batch = { lineCount: facts.lineCount, batchEndpoint: facts.endpoint, batchModel: facts.model };
    }
    return store.add(owner, temp, {
      keyId: principal.keyId,
      filename,
      purpose,
      bytes,
      createdAt,
      expiresAt,
      lineCount: batch?.lineCount ?? null,
      batchEndpoint: batch?.batchEndpoint ?? null,
      batchModel: batch?.batchModel ?? null,
    });
  } catch (err) {
    if (!closed) await handle.close().catch(() => {});
    await rm(temp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'ENOSPC') {
      throw new ApiError(507, 'The gateway ran out of disk space while storing the file; nothing was stored.', { type: 'server_error', code: 'insufficient_storage' });
    }
    throw err;
  }
}
