/**
 * A streaming multipart/form-data reader: file parts go to a sink chunk by chunk (never held whole in
 * memory), small text fields are collected. The sink is awaited for every chunk, so a slow disk slows
 * the upload instead of filling memory.
 */
import { ApiError } from './api-error';

export interface PartSink {
  write(chunk: Uint8Array): Promise<void>;
}

export interface MultipartHandler {
  field(name: string, value: string): void;
  /** Returns where the bytes of a file part go. */
  file(name: string, filename: string, contentType: string): PartSink;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

export function boundaryOf(contentType: string): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

const bad = (message: string) => new ApiError(400, `Malformed multipart body: ${message}`, { code: 'invalid_multipart' });

function parseDisposition(headers: string): { name?: string; filename?: string; contentType: string } {
  const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
  const param = (key: string) => {
    const m = new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"|;\\s*${key}=([^;\\s]*)`, 'i').exec(disposition);
    return m ? (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1') : undefined;
  };
  return { name: param('name'), filename: param('filename'), contentType: /content-type:\s*([^\r\n]*)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream' };
}

/**
 * Text fields are held in memory, so they are capped: in size each, in number and in total (an upload
 * needs four at most: purpose and expires_after[anchor|seconds]; 1,500 fields of 60 KB once held 140 MB).
 */
export interface FieldLimits {
  maxFieldBytes: number;
  maxFields: number;
  maxTotalFieldBytes: number;
}

export const FIELD_LIMITS: FieldLimits = { maxFieldBytes: 64 * 1024, maxFields: 16, maxTotalFieldBytes: 128 * 1024 };

/** The listener's own idle timeout is off for uploads (slow links); this one ends an upload that stalls. */
const uploadStalled = (ms: number) =>
  new ApiError(408, `The upload sent nothing for ${ms / 1000} s and was abandoned.`, { code: 'upload_idle_timeout' });

/** One read, refused with 408 when nothing arrives within `idleMs` (the stream is then cancelled). */
async function readWithin<R>(reader: { read(): Promise<R>; cancel(reason?: unknown): Promise<void> }, idleMs: number): Promise<R> {
  let timer: Timer | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(uploadStalled(idleMs)), idleMs);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } catch (err) {
    reader.cancel(err).catch(() => {}); // frees the socket's read side; the error is what the caller sees
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export async function readMultipart(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  handler: MultipartHandler,
  limits: FieldLimits = FIELD_LIMITS,
  idleMs = 60_000,
): Promise<void> {
  let fields = 0;
  let totalFieldBytes = 0;
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const reader = body.getReader();
  // Prefixing CRLF lets the first delimiter be found like every other one.
  let buf: Buffer = Buffer.from(CRLF);
  let done = false;
  const more = async (): Promise<boolean> => {
    if (done) return false;
    const r = await readWithin(reader, idleMs);
    if (r.done) {
      done = true;
      return false;
    }
    buf = buf.length === 0 ? Buffer.from(r.value) : Buffer.concat([buf, r.value]);
    return true;
  };

  // Preamble: everything up to the first delimiter.
  for (;;) {
    const i = buf.indexOf(delimiter);
    if (i >= 0) {
      buf = buf.subarray(i + delimiter.length);
      break;
    }
    if (buf.length > delimiter.length) buf = buf.subarray(buf.length - delimiter.length);
    if (!(await more())) throw bad('no boundary found');
  }

  for (;;) {
    // After a delimiter: "--" ends the body, CRLF starts a part.
    while (buf.length < 2) if (!(await more())) throw bad('unexpected end');
    if (buf[0] === 0x2d && buf[1] === 0x2d) return;
    if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw bad('bad delimiter');
    buf = buf.subarray(2);

    let headerEnd: number;
    while ((headerEnd = buf.indexOf(HEADER_END)) < 0) {
      if (buf.length > 16 * 1024) throw bad('part headers too long');
      if (!(await more())) throw bad('unexpected end in part headers');
    }
    const part = parseDisposition(buf.subarray(0, headerEnd).toString('utf8'));
    buf = buf.subarray(headerEnd + HEADER_END.length);
    if (!part.name) throw bad('a part has no name');

    const sink = part.filename !== undefined ? handler.file(part.name, part.filename, part.contentType) : undefined;
    if (!sink && ++fields > limits.maxFields) {
      throw new ApiError(400, `Too many form fields: at most ${limits.maxFields}.`, { param: part.name, code: 'too_many_fields' });
    }
    const fieldChunks: Buffer[] = [];
    let fieldBytes = 0;
    const emit = async (chunk: Buffer) => {
      if (chunk.length === 0) return;
      if (sink) return sink.write(chunk);
      fieldBytes += chunk.length;
      totalFieldBytes += chunk.length;
      if (fieldBytes > limits.maxFieldBytes) throw new ApiError(413, `Form field '${part.name}' is too large.`, { param: part.name, code: 'field_too_large' });
      if (totalFieldBytes > limits.maxTotalFieldBytes) {
        throw new ApiError(413, `The form fields are too large: at most ${limits.maxTotalFieldBytes} bytes in total.`, { param: part.name, code: 'fields_too_large' });
      }
      fieldChunks.push(chunk);
    };
    for (;;) {
      const i = buf.indexOf(delimiter);
      if (i >= 0) {
        await emit(buf.subarray(0, i));
        buf = buf.subarray(i + delimiter.length);
        break;
      }
      // Keep a tail that could be the start of the delimiter.
      const keep = delimiter.length - 1;
      if (buf.length > keep) {
        await emit(buf.subarray(0, buf.length - keep));
        buf = buf.subarray(buf.length - keep);
      }
      if (!(await more())) throw bad('unexpected end in a part');
    }
    if (!sink) handler.field(part.name, Buffer.concat(fieldChunks).toString('utf8'));
  }
}

/**
 * A multipart/form-data request as an upload the domain can read (src/domain/files/upload.ts): 415 for
 * another content type, 400 without a boundary; the parts are read from the body as the domain asks.
 */
export function multipartUpload(request: Request, idleMs: number): { declaredBytes: number; read(handler: MultipartHandler): Promise<void> } {
  const contentType = request.headers.get('content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new ApiError(415, `Unsupported Content-Type: ${contentType || '(none)'}. Upload files as multipart/form-data.`, { code: 'unsupported_media_type' });
  }
  const boundary = boundaryOf(contentType);
  const body = request.body;
  if (!boundary || !body) throw new ApiError(400, 'The multipart body has no boundary.', { code: 'invalid_multipart' });
  return { declaredBytes: Number(request.headers.get('content-length') ?? 0) || 0, read: (handler) => readMultipart(body, boundary, handler, FIELD_LIMITS, idleMs) };
}
