/**
 * The request of POST /audio/transcriptions and /audio/translations, received as it arrives: the multipart
 * body is parsed incrementally, text fields kept (they are small and capped), and the audio file part
 * appended to a spool file on disk — never held whole in memory. The spool is the form's memory for the
 * upstream: each attempt (a retry, a fallback) reads the parts again from the start and follows the upload
 * while it is still arriving, so the upstream gets the first bytes before the client has sent the last.
 *
 * `ready` resolves as soon as the call can be routed: the `model` field is known and the file part has
 * started (or the form is complete). Errors of the upload (too large, malformed, stalled, cut) fail `ready`,
 * or, once the call is under way, `failed` and every reader.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { AUDIO_FORM, type AudioForm, type FormPart } from '../upstream/audio-form';
import { WAV_HEADER_BYTES, wavSeconds } from '../upstream/wav';
import { ApiError } from './api-error';
import { boundaryOf, readMultipart, type FieldLimits } from './multipart';

/** Text fields of an audio request (model, language, prompt, response_format, timestamp_granularities[]…). */
const AUDIO_FIELD_LIMITS: FieldLimits = { maxFieldBytes: 64 * 1024, maxFields: 32, maxTotalFieldBytes: 256 * 1024 };
/** The spool is read back in pieces this large. */
const READ_CHUNK = 256 * 1024;
/** Multipart framing and fields on top of the file itself. */
export const AUDIO_FRAMING_BYTES = 1024 * 1024;

type Part = { kind: 'field'; name: string; value: string } | { kind: 'file'; name: string; filename: string; contentType: string; start: number; end?: number };

export const audioTooLarge = (maxBytes: number) =>
  new ApiError(413, `Audio file too large: the limit is ${maxBytes} bytes (${Math.round((maxBytes / 1024 ** 2) * 10) / 10} MB).`, { param: 'file', code: 'file_too_large' });

export const missingField = (name: string, what: string) =>
  new ApiError(400, `Missing required field '${name}' (${what}): Field required.`, { param: name, code: 'missing_required_parameter' });

export interface AudioUpload {
  /** The form as the call body carries it (providers read it through src/upstream/audio-form.ts). */
  form: AudioForm;
  /** Resolves with the text fields known so far once `model` is known and the file has started; 400/413/408 otherwise. */
  ready: Promise<Map<string, string>>;
  /** Rejects when the upload fails after `ready` (too large, malformed, stalled, cut); never resolves otherwise. */
  failed: Promise<never>;
  /** Seconds of audio when the file is a complete WAV (known once the upload is complete). */
  wavSeconds(): number | undefined;
  /** A text field, as far as the upload has come. */
  field(name: string): string | undefined;
  /** Stops reading the upload and removes the spool (call once the call has ended, whatever happened). */
  dispose(): void;
}

export function receiveAudioUpload(request: Request, spoolPath: string, maxBytes: number, idleMs: number): AudioUpload {
  const contentType = request.headers.get('content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new ApiError(415, `Unsupported Content-Type: ${contentType || '(none)'}. Send the audio as multipart/form-data with a 'file' part.`, { code: 'unsupported_media_type' });
  }
  const boundary = boundaryOf(contentType);
  const body = request.body;
  if (!boundary || !body) throw new ApiError(400, 'The multipart body has no boundary.', { code: 'invalid_multipart' });
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > maxBytes + AUDIO_FRAMING_BYTES) throw audioTooLarge(maxBytes);

  const parts: Part[] = [];
  const fields = new Map<string, string>();
  let size = 0;
  let complete = false;
  let error: unknown;
  let disposed = false;
  let waiters: (() => void)[] = [];
  const notify = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const changed = () => new Promise<void>((resolve) => waiters.push(resolve));
  const head = new Uint8Array(WAV_HEADER_BYTES);
  let headBytes = 0;

  let fh: FileHandle | undefined;
  let opening: Promise<FileHandle> | undefined;
  const handle = () => (opening ??= open(spoolPath, 'w+', 0o600).then((h) => (fh = h)));

  let resolveReady!: (f: Map<string, string>) => void;
  let rejectReady!: (e: unknown) => void;
  const ready = new Promise<Map<string, string>>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  let rejectFailed!: (e: unknown) => void;
  const failed = new Promise<never>((_, rej) => (rejectFailed = rej));
  failed.catch(() => {});
  let isReady = false;
  const fileStarted = () => parts.some((p) => p.kind === 'file');
  const checkReady = () => {
    if (isReady || !fields.has('model')) return;
    if (!fileStarted() && !complete) return;
    if (!fileStarted()) return; // complete without a file: refused when parsing ends
    isReady = true;
    resolveReady(new Map(fields));
  };
  const endOpenFile = () => {
    const last = parts.at(-1);
    if (last?.kind === 'file' && last.end === undefined) last.end = size;
  };

  // Our own handle on the body, so that dispose() can stop reading it while the parser holds its reader.
  const source = body.getReader();
  const input = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await source.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel: (reason) => source.cancel(reason),
  });
  const parsing = readMultipart(
    input,
    boundary,
    {
      field(name, value) {
        endOpenFile();
        parts.push({ kind: 'field', name, value });
        if (!fields.has(name)) fields.set(name, value);
        notify();
        checkReady();
      },
      file(name, filename, partType) {
        endOpenFile();
        if (name !== 'file') throw new ApiError(400, `Unexpected file part '${name.slice(0, 80)}': only 'file' takes a file.`, { param: name, code: 'invalid_multipart' });
        if (fileStarted()) throw new ApiError(400, "More than one 'file' part: send one audio file per request.", { param: 'file', code: 'invalid_multipart' });
        parts.push({ kind: 'file', name, filename, contentType: partType, start: size });
        notify();
        checkReady();
        return {
          async write(chunk) {
            if (disposed) throw new Error('the call has ended');
            if (size + chunk.byteLength > maxBytes) throw audioTooLarge(maxBytes);
            if (headBytes < head.length) {
              const n = Math.min(head.length - headBytes, chunk.byteLength);
              head.set(chunk.subarray(0, n), headBytes);
              headBytes += n;
            }
            const h = fh ?? (await handle());
            let written = 0;
            while (written < chunk.byteLength) written += (await h.write(chunk, written, chunk.byteLength - written, size + written)).bytesWritten;
            size += chunk.byteLength;
            notify();
          },
        };
      },
    },
    AUDIO_FIELD_LIMITS,
    idleMs,
  );
  parsing.then(
    () => {
      endOpenFile();
      complete = true;
      notify();
      if (!fileStarted()) rejectReady(missingField('file', 'the audio file to transcribe'));
      else if (!fields.has('model')) rejectReady(missingField('model', 'the model to use'));
      else checkReady();
    },
    (err) => {
      // A client that went away mid-upload surfaces here as a read error.
      error = err instanceof ApiError ? err : request.signal.aborted ? new Error('The client closed the request.') : new ApiError(400, `The upload failed: ${(err as Error)?.message ?? err}`, { code: 'invalid_multipart' });
      notify();
      rejectReady(error);
      rejectFailed(error);
    },
  );

  async function* fileBytes(p: Extract<Part, { kind: 'file' }>): AsyncGenerator<Uint8Array> {
    let pos = p.start;
    for (;;) {
      if (error !== undefined) throw error;
      const end = p.end ?? size;
      if (pos < end) {
        const h = fh ?? (await handle());
        const buf = new Uint8Array(Math.min(READ_CHUNK, end - pos));
        const { bytesRead } = await h.read(buf, 0, buf.byteLength, pos);
        if (bytesRead === 0) throw new Error('the audio spool ended early');
        pos += bytesRead;
        yield bytesRead === buf.byteLength ? buf : buf.subarray(0, bytesRead);
        continue;
      }
      if (p.end !== undefined) return;
      if (disposed) throw new Error('the call has ended');
      await changed();
    }
  }

  const form: AudioForm = {
    async *parts(): AsyncGenerator<FormPart> {
      for (let i = 0; ; i++) {
        while (i >= parts.length && !complete && error === undefined && !disposed) await changed();
        if (error !== undefined) throw error;
        const p = parts[i];
        if (p === undefined) {
          if (disposed && !complete) throw new Error('the call has ended');
          return;
        }
        if (p.kind === 'field') yield p;
        else yield { kind: 'file', name: p.name, filename: p.filename, contentType: p.contentType, bytes: () => fileBytes(p) };
      }
    },
  };

  return {
    form,
    ready,
    failed,
    field: (name) => fields.get(name),
    wavSeconds: () => (complete ? wavSeconds(head.subarray(0, headBytes), size) : undefined),
    dispose() {
      if (disposed) return;
      disposed = true;
      notify();
      if (!complete && error === undefined) source.cancel().catch(() => {});
      parsing.catch(() => {});
      const close = async () => {
        const h = fh ?? (opening ? await opening.catch(() => undefined) : undefined);
        await h?.close().catch(() => {});
        await rm(spoolPath, { force: true });
      };
      void close();
    },
  };
}

export { AUDIO_FORM };
