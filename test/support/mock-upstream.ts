/**
 * A faithful mock of an OpenAI-compatible upstream, for tests and benchmarks.
 *
 * It speaks the OpenAI wire format for chat completions (JSON and SSE, tools, include_usage), legacy
 * completions, embeddings (float and base64 float32), speech (streamed audio bytes), images and multipart
 * transcriptions and translations (every response format, and streamed transcripts), and
 * records every request it receives. Several "deployments" share one server: the first path segment
 * before /v1 is the deployment's name (api_base `http://127.0.0.1:PORT/<name>/v1`).
 *
 * Behaviour is scripted per deployment with `script(name, ...steps)`: each request takes the next step
 * (status to fail with, headers such as Retry-After, a stall before answering, a stream cut after N chunks);
 * with no step left it answers normally. `latencyMs` adds a fixed delay to every answer (benchmarks).
 *
 * Run standalone (benchmarks, or tests that cut streams: Bun's fetch mishandles a reset from a server in
 * its own process): bun test/support/mock-upstream.ts --port 9100 [--latency 20]. A standalone mock is
 * steered over HTTP under /__mock/ (see RemoteMock in mock-upstream-process.ts).
 */

export interface Step {
  /** Answer with this HTTP status and an OpenAI error body. */
  status?: number;
  headers?: Record<string, string>;
  /** Wait this long before the response headers. */
  stallMs?: number;
  /** For streams: send this many chunks, then cut the connection. */
  cutAfterChunks?: number;
  /** For streams: wait this long between chunks. */
  chunkDelayMs?: number;
  /** Answer a `stream: true` request with one JSON body, as some OpenAI-compatible servers do. */
  ignoreStream?: boolean;
  /** Answer 200 with exactly this JSON body. */
  json?: unknown;
  /** With `status`: answer with this body (e.g. an HTML error page, or a message echoing credentials). */
  errorBody?: string;
  /** Speech: after this many chunks, fall silent for `stallMs` ms before the rest. */
  stallAfterChunks?: { chunks: number; ms: number };
}

export interface Received {
  deployment: string;
  path: string;
  headers: Record<string, string>;
  body: any;
  /** Set when the gateway closed the request before the answer was complete. */
  abortedAt?: number;
  /** Stream chunks produced so far (the gateway pulls them as its client reads). */
  chunksSent?: number;
  startedAt: number;
  /** Multipart requests: when the first and the last byte of the body arrived, and the order of the parts. */
  firstByteAt?: number;
  lastByteAt?: number;
  partOrder?: string[];
}

/** What the mock saw of a multipart upload's file part. */
export interface ReceivedFile {
  filename: string;
  type: string;
  size: number;
  sha256: string;
}

import { MockResponses, sampleOf } from './mock-responses';

const encoder = new TextEncoder();
/** A 1×1 transparent PNG. */
const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const AUDIO_TYPES: Record<string, string> = { mp3: 'audio/mpeg', opus: 'audio/opus', aac: 'audio/aac', flac: 'audio/flac', wav: 'audio/wav', pcm: 'audio/pcm' };

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && 'text' in p ? String(p.text) : '')).join(' ');
  return '';
}

/** Deterministic embedding of a string: `dims` floats derived from its characters. */
export function mockEmbedding(input: string, dims: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < dims; i++) {
    let h = 0;
    for (let j = 0; j < input.length; j++) h = (h * 31 + input.charCodeAt(j) * (i + 1)) % 1000;
    out.push(Math.fround(h / 1000 - 0.5));
  }
  return out;
}

function errorResponse(status: number, headers: Record<string, string> = {}) {
  return Response.json(
    { error: { message: `mock upstream failure ${status}`, type: status === 429 ? 'requests' : 'server_error', param: null, code: status === 429 ? 'rate_limit_exceeded' : null } },
    { status, headers },
  );
}

/** Fixed behaviour of one deployment for benchmarks: latency before answering, stream pacing, length. */
export interface Profile {
  latencyMs: number;
  chunkDelayMs: number;
  extraWords: number;
}

export class MockUpstream {
  readonly received: Received[] = [];
  readonly profiles = new Map<string, Profile>();
  private readonly scripts = new Map<string, Step[]>();
  private server?: ReturnType<typeof Bun.serve>;
  latencyMs = 0;
  /** Requests being answered right now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Words in every chat answer beyond the echo (for longer streams). */
  extraWords = 0;
  /** Delay between streamed chunks for every stream (benchmarks); a step's chunkDelayMs wins. */
  chunkDelayMs = 0;

  constructor(private readonly record = true) {}

  start(port = 0): this {
    this.server = Bun.serve({
      hostname: '127.0.0.1',
      port,
      idleTimeout: 0,
      fetch: (req) => this.handle(req),
      // A scripted stream cut errors the response body; that is the point, not a crash.
      error: () => new Response(null, { status: 500 }),
    });
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.server!.port}`;
  }

  /** The api_base of a named deployment. */
  base(deployment = 'default'): string {
    return `${this.url}/${deployment}/v1`;
  }

  script(deployment: string, ...steps: Step[]): void {
    this.scripts.set(deployment, [...(this.scripts.get(deployment) ?? []), ...steps]);
  }

  reset(): void {
    this.responsesApi.stored.clear();
    this.scripts.clear();
    this.received.length = 0;
    this.latencyMs = 0;
    this.extraWords = 0;
    this.chunkDelayMs = 0;
    this.maxInFlight = 0;
  }

  requestsTo(deployment: string): Received[] {
    return this.received.filter((r) => r.deployment === deployment);
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname.startsWith('/__mock/')) return this.control(url.pathname.slice(8), req);
    const m = /^\/([^/]+)\/v1(\/.*)$/.exec(url.pathname) ?? /^()\/v1(\/.*)$/.exec(url.pathname);
    if (!m) return errorResponse(404);
    const deployment = m[1] || 'default';
    const path = m[2]!;
    const entry: Received = { deployment, path, headers: Object.fromEntries(req.headers), body: null, startedAt: Date.now() };
    if (this.record) this.received.push(entry);
    req.signal.addEventListener('abort', () => (entry.abortedAt ??= Date.now()));
    const multipart = (req.headers.get('content-type') ?? '').startsWith('multipart/form-data');
    if (multipart) {
      const form = await this.readMultipart(req, entry).catch(() => null);
      if (form === null) return new Response(null, { status: 499 }); // the gateway gave up on the upload
      entry.body = form;
    } else entry.body = req.method === 'POST' ? await req.json().catch(() => null) : null;
    const body = entry.body;

    const profile = this.profiles.get(deployment);
    const step: Step = { chunkDelayMs: profile?.chunkDelayMs, ...this.scripts.get(deployment)?.shift() };
    const wait = (step.stallMs ?? 0) + (profile?.latencyMs ?? this.latencyMs);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      if (wait > 0) await Bun.sleep(wait);
    } finally {
      this.inFlight--;
    }
    if (req.signal.aborted) return new Response(null, { status: 499 });
    if (step.status && step.errorBody !== undefined) return new Response(step.errorBody, { status: step.status, headers: { 'content-type': 'text/html', ...step.headers } });
    if (step.status) return errorResponse(step.status, step.headers);
    if (step.json !== undefined) return Response.json(step.json);
    const asked = step.ignoreStream && body && typeof body === 'object' ? { ...body, stream: false } : body;

    try {
      if (path.startsWith('/responses')) return this.responsesApi.handle(req.method, path, url.searchParams, (asked ?? {}) as Record<string, any>, step, req.signal, entry);
      return this.answer(path, asked, step, req.signal, entry, profile);
    } catch {
      // Like a real API, a request it cannot make sense of is the caller's error.
      return errorResponse(400);
    }
  }

  private answer(path: string, body: any, step: Step, signal: AbortSignal, entry: Received, profile: Profile | undefined): Response {
    const req = { signal };
    switch (path) {
      case '/chat/completions':
        return this.chat(body, step, req.signal, entry, profile?.extraWords ?? this.extraWords);
      case '/completions':
        return this.completions(body, step, req.signal, entry);
      case '/embeddings':
        return this.embeddings(body);
      case '/audio/speech':
        return this.speech(body, req.signal, entry, profile?.chunkDelayMs ?? 20, step);
      case '/images/generations':
        return this.images(body);
      case '/audio/transcriptions':
      case '/audio/translations':
        return this.transcription(body, path === '/audio/translations');
      default:
        return errorResponse(404);
    }
  }

  /** The HTTP control API of a standalone mock. */
  private async control(action: string, req: Request): Promise<Response> {
    const body = req.method === 'POST' ? ((await req.json().catch(() => ({}))) as any) : {};
    switch (action) {
      case 'script':
        this.script(body.deployment, ...body.steps);
        break;
      case 'reset':
        this.reset();
        break;
      case 'config':
        if (typeof body.latencyMs === 'number') this.latencyMs = body.latencyMs;
        if (typeof body.extraWords === 'number') this.extraWords = body.extraWords;
        break;
      case 'received':
        return Response.json(this.received);
      default:
        return errorResponse(404);
    }
    return Response.json({ ok: true });
  }

  private chat(body: any, step: Step, signal: AbortSignal, entry: Received, extraWords: number): Response {
    const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
    const last = textOf(messages.at(-1)?.content);
    // json_schema: a JSON value of that schema; otherwise an echo of the last message (a tool's result, too).
    const schema = body?.response_format?.type === 'json_schema' ? body.response_format.json_schema?.schema : undefined;
    const head = schema !== undefined ? JSON.stringify(sampleOf(schema)) : `echo: ${last}`;
    const promptTokens = messages.reduce((n, msg) => n + words(textOf(msg?.content)), 0) + 3 * messages.length;
    const tool = Array.isArray(body?.tools) && body.tools.length > 0 && messages.at(-1)?.role !== 'tool' ? body.tools[0] : undefined;
    const id = `chatcmpl-mock${Date.now()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body?.model;
    const toolCalls = tool ? [{ id: 'call_mock1', type: 'function', function: { name: tool.function?.name ?? 'tool', arguments: '{"city":"Vienna"}' } }] : undefined;
    const completionTokens = tool ? 7 : words(head) + extraWords;
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };

    if (!body?.stream) {
      return Response.json({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: tool ? null : head + ' more'.repeat(extraWords), refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
            logprobs: null,
            finish_reason: tool ? 'tool_calls' : 'stop',
          },
        ],
        usage,
        system_fingerprint: 'fp_mock',
      });
    }
    const withUsage = body.stream_options?.include_usage === true;
    const chunk = (delta: object, finish: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(withUsage ? { usage: null } : {}),
    });
    // Generated as they are sent, so a very long answer costs no memory up front.
    function* events() {
      yield chunk({ role: 'assistant', content: '' }, null);
      if (toolCalls) yield chunk({ tool_calls: [{ index: 0, ...toolCalls[0] }] }, null);
      else {
        for (const w of head.split(/(?<= )/)) yield chunk({ content: w }, null);
        for (let i = 0; i < extraWords; i++) yield chunk({ content: ' more' }, null);
      }
      yield chunk({}, tool ? 'tool_calls' : 'stop');
      if (withUsage) yield { id, object: 'chat.completion.chunk', created, model, choices: [], usage };
    }
    return this.sse(events(), step, signal, entry);
  }

  private completions(body: any, step: Step, signal: AbortSignal, entry: Received): Response {
    const prompt = Array.isArray(body?.prompt) ? body.prompt.join(' ') : String(body?.prompt ?? '');
    const text = ` completed: ${prompt}`;
    const usage = { prompt_tokens: words(prompt), completion_tokens: words(text), total_tokens: words(prompt) + words(text) };
    const base = { id: `cmpl-mock${Date.now()}`, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: body?.model };
    if (!body?.stream) {
      return Response.json({ ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: 'stop' }], usage });
    }
    const withUsage = body.stream_options?.include_usage === true;
    const events: object[] = text
      .split(/(?<= )/)
      .map((w, i, all) => ({ ...base, choices: [{ text: w, index: 0, logprobs: null, finish_reason: i === all.length - 1 ? 'stop' : null }], ...(withUsage ? { usage: null } : {}) }));
    if (withUsage) events.push({ ...base, choices: [], usage });
    return this.sse(events.values(), step, signal, entry);
  }

  /** A native Responses API (POST, GET, DELETE /responses…, input_items): see mock-responses.ts. */
  readonly responsesApi = new MockResponses((events, step, signal, entry) => this.sse(events, step, signal, entry, { named: true }));

  /**
   * Streams events as SSE, ending with [DONE] unless the step cuts the stream. `named`: Responses API
   * events, each with its `event:` line and no [DONE] at the end (as OpenAI sends them).
   */
  private sse(events: Iterator<object>, step: Step, signal: AbortSignal, entry: Received, o: { named?: boolean } = {}): Response {
    const delay = step.chunkDelayMs ?? this.chunkDelayMs;
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (delay > 0 && i > 0) await Bun.sleep(delay);
        if (signal.aborted) {
          entry.abortedAt ??= Date.now();
          return controller.close();
        }
        if (step.cutAfterChunks !== undefined && i >= step.cutAfterChunks) {
          // Let the chunks already sent leave first, so the cut comes after the first byte.
          await Bun.sleep(30);
          return controller.error(new Error('mock upstream cut the stream'));
        }
        const next = events.next();
        if (!next.done) {
          i++;
          entry.chunksSent = i;
          const type = o.named ? `event: ${(next.value as { type: string }).type}\n` : '';
          controller.enqueue(encoder.encode(`${type}data: ${JSON.stringify(next.value)}\n\n`));
        } else {
          if (!o.named) controller.enqueue(encoder.encode('data: [DONE]\n\n'));
          controller.close();
        }
      },
      cancel: () => {
        entry.abortedAt ??= Date.now();
      },
    });
    return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
  }

  private embeddings(body: any): Response {
    const inputs: string[] = Array.isArray(body?.input) ? body.input.map(String) : [String(body?.input ?? '')];
    const dims = body?.dimensions === undefined ? 8 : body.dimensions;
    if (!Number.isInteger(dims) || dims < 1 || dims > 4096) return errorResponse(400);
    const base64 = body?.encoding_format === 'base64';
    const data = inputs.map((input, index) => {
      const vec = mockEmbedding(input, dims);
      const embedding = base64 ? Buffer.from(new Float32Array(vec).buffer).toString('base64') : vec;
      return { object: 'embedding', index, embedding };
    });
    const tokens = inputs.reduce((n, s) => n + words(s), 0);
    return Response.json({ object: 'list', data, model: body?.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }

  /** Speech: `input` bytes repeated into 8 chunks, streamed 20 ms apart (or the profile's delay), with the format's content type. */
  private speech(body: any, signal: AbortSignal, entry: Received, delayMs: number, step: Step): Response {
    const format = typeof body?.response_format === 'string' ? body.response_format : 'mp3';
    const piece = encoder.encode(`AUDIO[${String(body?.input ?? '')}]`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (sent > 0 && delayMs > 0) await Bun.sleep(delayMs);
        if (step.stallAfterChunks && sent === step.stallAfterChunks.chunks) await Bun.sleep(step.stallAfterChunks.ms);
        if (signal.aborted) {
          entry.abortedAt ??= Date.now();
          return controller.close();
        }
        if (sent++ < 8) controller.enqueue(piece);
        else controller.close();
      },
    });
    return new Response(stream, { headers: { 'content-type': AUDIO_TYPES[format] ?? 'application/octet-stream' } });
  }

  /**
   * Reads a multipart body as it arrives (noting when its first and last bytes came), then parses it:
   * text fields as strings, the file part as its name, type, size and SHA-256.
   */
  private async readMultipart(req: Request, entry: Received): Promise<Record<string, unknown>> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of req.body as unknown as AsyncIterable<Uint8Array>) {
      entry.firstByteAt ??= Date.now();
      chunks.push(chunk);
    }
    entry.lastByteAt = Date.now();
    const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': req.headers.get('content-type')! } }).formData();
    const out: Record<string, unknown> = {};
    entry.partOrder = [];
    for (const [name, value] of form.entries()) {
      entry.partOrder.push(name);
      if (typeof value === 'string') out[name] = value;
      else {
        const bytes = new Uint8Array(await value.arrayBuffer());
        out[name] = { filename: value.name, type: value.type, size: bytes.byteLength, sha256: new Bun.CryptoHasher('sha256').update(bytes).digest('hex') } satisfies ReceivedFile;
      }
    }
    return out;
  }

  /**
   * Transcriptions and translations, like OpenAI's: `json` reports token usage, `verbose_json` a duration
   * of 9.5 s (whatever was sent), text formats are text/plain with no usage, `stream=true` sends
   * transcript.text.delta events and transcript.text.done (with token usage) and no [DONE].
   */
  private transcription(body: any, translate: boolean): Response {
    const file = body?.file as ReceivedFile | undefined;
    if (!file) return Response.json({ error: { message: 'file: Field required', type: 'invalid_request_error', param: 'file', code: null } }, { status: 400 });
    const text = `mock ${translate ? 'translation' : 'transcript'} of ${file.size} bytes (${file.sha256.slice(0, 12)}) by ${body.model}`;
    const usage = { type: 'tokens', input_tokens: Math.ceil(file.size / 1000), output_tokens: words(text), total_tokens: Math.ceil(file.size / 1000) + words(text) };
    const plain = (t: string) => new Response(t, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
    if (body.stream === 'true') {
      const events = [...text.split(/(?<= )/).map((delta) => ({ type: 'transcript.text.delta', delta })), { type: 'transcript.text.done', text, usage }];
      return new Response(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''), { headers: { 'content-type': 'text/event-stream' } });
    }
    switch (body.response_format ?? 'json') {
      case 'json':
        return Response.json({ text, usage });
      case 'verbose_json':
        return Response.json({ task: translate ? 'translate' : 'transcribe', language: 'english', duration: 9.5, text, segments: [] });
      case 'text':
        return plain(`${text}\n`);
      case 'srt':
        return plain(`1\n00:00:00,000 --> 00:00:09,500\n${text}\n\n`);
      case 'vtt':
        return plain(`WEBVTT\n\n00:00:00.000 --> 00:00:09.500\n${text}\n\n`);
      default:
        return errorResponse(400);
    }
  }

  private images(body: any): Response {
    const n = body?.n === undefined ? 1 : body.n;
    if (!Number.isInteger(n) || n < 1 || n > 10) return errorResponse(400);
    const asUrl = body?.response_format === 'url';
    const data = Array.from({ length: n }, () => (asUrl ? { url: `${this.url}/images/mock.png` } : { b64_json: PNG_1x1 }));
    return Response.json({ created: Math.floor(Date.now() / 1000), data, usage: { input_tokens: words(String(body?.prompt ?? '')), output_tokens: 50, total_tokens: words(String(body?.prompt ?? '')) + 50 } });
  }
}

if (import.meta.main) {
  const arg = (name: string, def: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1]! : def;
  };
  const mock = new MockUpstream(process.argv.includes('--record')).start(Number(arg('--port', '9100')));
  mock.latencyMs = Number(arg('--latency', '0'));
  mock.extraWords = Number(arg('--extra-words', '0'));
  mock.chunkDelayMs = Number(arg('--chunk-delay', '0'));
  // --profile NAME=LATENCY,CHUNK_DELAY,EXTRA_WORDS (repeatable): fixed behaviour of deployment NAME.
  process.argv.forEach((a, i) => {
    if (a !== '--profile') return;
    const [name, spec] = process.argv[i + 1]!.split('=') as [string, string];
    const [latencyMs, chunkDelayMs, extraWords] = spec.split(',').map(Number) as [number, number, number];
    mock.profiles.set(name, { latencyMs, chunkDelayMs, extraWords });
  });
  console.log(`mock upstream on ${mock.url} (latency ${mock.latencyMs} ms)`);
}
