/**
 * A mock of Anthropic's Messages API, for tests: POST /<deployment>/v1/messages (JSON or SSE) and
 * /v1/messages/count_tokens, recording every request. It answers deterministically:
 * - with `thinking` enabled, a thinking block ("Thinking about: <last text>", signature "sig-<n>") first;
 * - with tools (and no tool result in the last message), a tool_use of the forced tool, else of the first
 *   tool — and of the second too when there are two or more tools and parallel use is not disabled;
 * - otherwise text: "echo: <last user text>" (or "result: <tool results>" after tool results);
 * - usage: input_tokens = words of all text, cache_read_input_tokens = 4 when a system prompt is set,
 *   output_tokens = words of the answer (3 per tool call).
 * `script(deployment, ...steps)` makes requests fail with a status and Anthropic's error body.
 */

export interface AnthropicStep {
  status: number;
  type?: string;
  message?: string;
}

export interface AnthropicReceived {
  deployment: string;
  path: string;
  headers: Record<string, string>;
  body: any;
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const encoder = new TextEncoder();

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((b) => b?.type === 'text')
    .map((b) => b.text)
    .join(' ');
}

const ERROR_TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error' };

export class MockAnthropic {
  readonly received: AnthropicReceived[] = [];
  /** Off for `make bench` (bench/run.ts runs this file): no memory of a million requests. */
  record = true;
  private readonly scripts = new Map<string, AnthropicStep[]>();
  private server?: ReturnType<typeof Bun.serve>;

  start(port = 0): this {
    this.server = Bun.serve({ hostname: '127.0.0.1', port, idleTimeout: 0, fetch: (req) => this.handle(req) });
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.server!.port}`;
  }

  /** The api_base of a named deployment (without /v1, as for api.anthropic.com). */
  base(deployment = 'default'): string {
    return `${this.url}/${deployment}`;
  }

  script(deployment: string, ...steps: AnthropicStep[]): void {
    this.scripts.set(deployment, [...(this.scripts.get(deployment) ?? []), ...steps]);
  }

  reset(): void {
    this.scripts.clear();
    this.received.length = 0;
  }

  requestsTo(deployment: string): AnthropicReceived[] {
    return this.received.filter((r) => r.deployment === deployment);
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
  }

  private async handle(req: Request): Promise<Response> {
    const m = /^\/([^/]+)\/v1(\/.*)$/.exec(new URL(req.url).pathname);
    if (!m) return this.error(404, 'not_found_error', 'no such path');
    const [, deployment, path] = m as unknown as [string, string, string];
    const body: any = await req.json().catch(() => null);
    if (this.record) this.received.push({ deployment, path, headers: Object.fromEntries(req.headers), body });
    const step = this.scripts.get(deployment)?.shift();
    if (step) return this.error(step.status, step.type ?? ERROR_TYPES[step.status] ?? 'api_error', step.message ?? `mock anthropic failure ${step.status}`);
    if (req.headers.get('x-api-key') === null) return this.error(401, 'authentication_error', 'x-api-key header is required');
    if (req.headers.get('anthropic-version') === null) return this.error(400, 'invalid_request_error', 'anthropic-version header is required');
    if (path === '/messages/count_tokens') return Response.json({ input_tokens: this.inputTokens(body) + 1000 });
    if (path !== '/messages') return this.error(404, 'not_found_error', 'no such path');
    if (typeof body?.max_tokens !== 'number') return this.error(400, 'invalid_request_error', 'max_tokens: Field required');
    return this.answer(body);
  }

  private error(status: number, type: string, message: string): Response {
    return Response.json({ type: 'error', error: { type, message } }, { status });
  }

  private inputTokens(body: any): number {
    const system = typeof body?.system === 'string' ? body.system : textOf(body?.system);
    return words(system) + (body?.messages ?? []).reduce((n: number, m: any) => n + words(textOf(m.content)), 0);
  }

  private answer(body: any): Response {
    const messages: any[] = body.messages ?? [];
    const last = messages.at(-1);
    const results = Array.isArray(last?.content) ? last.content.filter((b: any) => b.type === 'tool_result') : [];
    const tools: any[] = body.tools ?? [];
    const blocks: any[] = [];
    if (body.thinking?.type === 'enabled') blocks.push({ type: 'thinking', thinking: `Thinking about: ${textOf(last?.content)}`, signature: `sig-${messages.length}` });
    if (tools.length > 0 && results.length === 0 && body.tool_choice?.type !== 'none') {
      const forced = body.tool_choice?.type === 'tool' ? tools.find((t) => t.name === body.tool_choice.name) : undefined;
      const chosen = forced ? [forced] : tools.length >= 2 && !body.tool_choice?.disable_parallel_tool_use ? tools.slice(0, 2) : [tools[0]];
      chosen.forEach((t, i) => blocks.push({ type: 'tool_use', id: `toolu_mock${i + 1}`, name: t.name, input: t.name === 'json_tool_call' ? { answer: 'forty-two' } : { city: i === 0 ? 'Vienna' : 'Graz' } }));
    } else {
      const text = results.length > 0 ? `result: ${results.map((r: any) => (typeof r.content === 'string' ? r.content : textOf(r.content))).join(' ')}` : `echo: ${textOf(last?.content)}`;
      blocks.push({ type: 'text', text });
    }
    const toolUse = blocks.some((b) => b.type === 'tool_use');
    const output = blocks.reduce((n, b) => n + (b.type === 'tool_use' ? 3 : words(b.text ?? b.thinking ?? '')), 0);
    const usage = { input_tokens: this.inputTokens(body), cache_creation_input_tokens: 0, cache_read_input_tokens: body.system ? 4 : 0, output_tokens: output };
    const message = { id: `msg_mock${Date.now()}`, type: 'message', role: 'assistant', model: body.model, content: blocks, stop_reason: toolUse ? 'tool_use' : 'end_turn', stop_sequence: null, usage };
    if (!body.stream) return Response.json(message);

    const events: [string, object][] = [];
    events.push(['message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }]);
    events.push(['ping', { type: 'ping' }]);
    blocks.forEach((b, index) => {
      if (b.type === 'text') {
        events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }]);
        for (const piece of b.text.split(/(?<= )/)) events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }]);
      } else if (b.type === 'thinking') {
        events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '' } }]);
        events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: b.thinking } }]);
        events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: b.signature } }]);
      } else {
        events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } }]);
        const json = JSON.stringify(b.input);
        const half = Math.floor(json.length / 2);
        for (const part of [json.slice(0, half), json.slice(half)]) events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } }]);
      }
      events.push(['content_block_stop', { type: 'content_block_stop', index }]);
    });
    events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: output } }]);
    events.push(['message_stop', { type: 'message_stop' }]);
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i >= events.length) return controller.close();
        const [name, data] = events[i++]!;
        controller.enqueue(encoder.encode(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`));
      },
    });
    return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
  }
}

/** As a process (bench/run.ts): `bun test/support/mock-anthropic.ts --port 0` prints its URL. */
if (import.meta.main) {
  const i = process.argv.indexOf('--port');
  const mock = new MockAnthropic();
  mock.record = false;
  mock.start(i > 0 ? Number(process.argv[i + 1]) : 0);
  console.log(`mock anthropic on ${mock.url}`);
}
