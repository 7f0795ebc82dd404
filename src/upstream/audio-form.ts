/**
 * A multipart audio request (POST /audio/transcriptions, /audio/translations) as the providers see it: the
 * caller's parts in their order, the file part's bytes readable again for every attempt (a retry or a
 * fallback re-sends the upload), and, while the upload is still arriving, parts that follow it as they come.
 * The HTTP edge builds one from the request (src/http/audio-upload.ts); providers read it through here.
 */

/** The key under which a call body carries its form (a symbol: never serialized, never forwarded as a field). */
export const AUDIO_FORM = Symbol('audio form');

export type FormPart =
  | { kind: 'field'; name: string; value: string }
  | { kind: 'file'; name: string; filename: string; contentType: string; bytes(): AsyncIterable<Uint8Array> };

export interface AudioForm {
  /** Every part in the caller's order, each file part's bytes read from the start; waits for parts still arriving. */
  parts(): AsyncIterable<FormPart>;
}

/** The form a call body carries, if any. */
export const audioFormOf = (body: Record<string, unknown>): AudioForm | undefined => (body as Record<symbol, unknown>)[AUDIO_FORM] as AudioForm | undefined;

/** Fields the gateway never forwards: Aqueduct's end-user attribution is recorded, not sent. */
const NOT_FORWARDED = new Set(['user_id']);

const encoder = new TextEncoder();
/** A header parameter value: quotes and line breaks percent-encoded (as browsers do), so it cannot break the part. */
const quoted = (s: string) => `"${s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;

/**
 * The multipart body for one upstream attempt: the caller's parts in order with `model` set to the
 * deployment's upstream model and `user_id` left out, streamed as the client's upload arrives (read only as
 * fast as the upstream takes it).
 */
export function multipartBody(form: AudioForm, model: string): { contentType: string; body: ReadableStream<Uint8Array> } {
  const boundary = `aqueduct-${crypto.randomUUID().replaceAll('-', '')}`;
  async function* frames(): AsyncGenerator<Uint8Array> {
    for await (const part of form.parts()) {
      if (part.kind === 'field') {
        if (NOT_FORWARDED.has(part.name)) continue;
        const value = part.name === 'model' ? model : part.value;
        yield encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name=${quoted(part.name)}\r\n\r\n${value}\r\n`);
      } else {
        yield encoder.encode(
          `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(part.name)}; filename=${quoted(part.filename)}\r\nContent-Type: ${part.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`,
        );
        for await (const chunk of part.bytes()) yield chunk;
        yield encoder.encode('\r\n');
      }
    }
    yield encoder.encode(`--${boundary}--\r\n`);
  }
  const it = frames();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await it.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await it.return(undefined);
    },
  });
  return { contentType: `multipart/form-data; boundary=${boundary}`, body };
}

/** The text fields and the file of a form, reading the file's bytes as they come (the demo provider). */
export async function readForm(form: AudioForm, onFileChunk: (chunk: Uint8Array) => void): Promise<{ fields: Map<string, string>; filename?: string }> {
  const fields = new Map<string, string>();
  let filename: string | undefined;
  for await (const part of form.parts()) {
    if (part.kind === 'field') fields.set(part.name, part.value);
    else {
      filename = part.filename;
      for await (const chunk of part.bytes()) onFileChunk(chunk);
    }
  }
  return { fields, filename };
}
