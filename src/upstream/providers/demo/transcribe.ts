/**
 * Demo transcriptions and translations: the "transcript" describes the audio that was sent — its length
 * for a WAV (from its header), else its size — deterministically, in every response format OpenAI has
 * (json, verbose_json, text, srt, vtt) and as a stream of transcript.text.delta / transcript.text.done
 * events. JSON answers report whisper's duration usage; streams report tokens, as OpenAI's do.
 */
import { readForm, type AudioForm } from '../../audio-form';
import { WAV_HEADER_BYTES, wavSeconds } from '../../wav';

const encoder = new TextEncoder();
const round = (n: number) => Math.round(n * 1000) / 1000;

/** 2.5 → "00:00:02,500" (srt) or "00:00:02.500" (vtt). */
function stamp(seconds: number, sep: ',' | '.'): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${sep}${pad(ms % 1000, 3)}`;
}

export async function transcriptionAnswer(form: AudioForm, translate: boolean): Promise<Response> {
  const head = new Uint8Array(WAV_HEADER_BYTES);
  let headBytes = 0;
  let size = 0;
  const { fields, filename } = await readForm(form, (chunk) => {
    if (headBytes < head.length) {
      const n = Math.min(head.length - headBytes, chunk.byteLength);
      head.set(chunk.subarray(0, n), headBytes);
      headBytes += n;
    }
    size += chunk.byteLength;
  });
  if (filename === undefined) {
    return Response.json({ error: { message: "Missing required field 'file'.", type: 'invalid_request_error', param: 'file', code: 'missing_required_parameter' } }, { status: 400 });
  }
  const wav = wavSeconds(head.subarray(0, headBytes), size);
  const seconds = wav ?? 0;
  const what = wav === undefined ? `${size} bytes of audio that is not a WAV file` : `a WAV recording of ${round(wav)} second${round(wav) === 1 ? '' : 's'}`;
  const text = `${translate ? 'Demo translation' : 'Demo transcription'} of ${what}.`;
  const format = fields.get('response_format') ?? 'json';
  const end = Math.max(seconds, 0.001);

  if (fields.get('stream') === 'true' && !translate) {
    const words = text.split(/(?<= )/);
    const events = [
      ...words.map((delta) => ({ type: 'transcript.text.delta', delta, logprobs: [] })),
      { type: 'transcript.text.done', text, logprobs: [], usage: { type: 'tokens', input_tokens: Math.ceil(seconds * 10), output_tokens: words.length, total_tokens: Math.ceil(seconds * 10) + words.length } },
    ];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const e = events.shift();
        if (e === undefined) controller.close();
        else controller.enqueue(encoder.encode(`data: ${JSON.stringify(e)}\n\n`));
      },
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
  }
  const usage = { type: 'duration', seconds: Math.ceil(seconds) };
  switch (format) {
    case 'text':
      return new Response(`${text}\n`, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    case 'srt':
      return new Response(`1\n${stamp(0, ',')} --> ${stamp(end, ',')}\n${text}\n\n`, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    case 'vtt':
      return new Response(`WEBVTT\n\n${stamp(0, '.')} --> ${stamp(end, '.')}\n${text}\n\n`, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    case 'verbose_json':
      return Response.json({
        task: translate ? 'translate' : 'transcribe',
        language: 'english',
        duration: round(seconds),
        text,
        segments: [{ id: 0, seek: 0, start: 0, end: round(end), text, tokens: [], temperature: 0, avg_logprob: 0, compression_ratio: 1, no_speech_prob: 0 }],
        usage,
      });
    case 'json':
      return Response.json({ text, usage });
    default:
      return Response.json(
        { error: { message: `'response_format' must be one of json, verbose_json, text, srt, vtt.`, type: 'invalid_request_error', param: 'response_format', code: 'invalid_value' } },
        { status: 400 },
      );
  }
}
