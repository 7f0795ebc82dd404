/**
 * A mock Bedrock runtime on 127.0.0.1: `POST /model/{id}/converse`, `/converse-stream` (real AWS
 * event-stream framing) and `/invoke` (Titan and Cohere embeddings). Every request's SigV4 signature is
 * recomputed here, independently of aws4fetch (canonical request, string to sign, HMAC chain), for the
 * test credentials; a request that does not verify gets Bedrock's 403.
 *
 * What the model says: with toolChoice `json_tool_call` → that tool with {"answer":"42"}; with other tools
 * and no toolResult in the last turn → a toolUse of the first tool with {"city":"Paris"}; after a
 * toolResult → "tool said: <result JSON>"; a last text containing "guardrail" → stopReason
 * guardrail_intervened; else "echo: <last text>". Usage: 9 in, 4 out. `script(model, step)` fails a call
 * with a status and exception type, or (`streamException`) with an exception as a stream's first event.
 */
import { createHash, createHmac } from 'node:crypto';
import { encodeMessage } from '../../src/upstream/providers/bedrock/event-stream';

export const AWS = { accessKeyId: 'AKIDMOCKEXAMPLE', secretAccessKey: 'mock-secret-access-key-1234', region: 'us-west-2', sessionToken: 'mock-session-token-5678' };

export interface BedrockReceived {
  path: string;
  headers: Record<string, string>;
  body: any;
  /** Null when the SigV4 signature verified; else why not. */
  signatureProblem: string | null;
  signedHeaders: string[];
}

export interface BedrockStep {
  status?: number;
  errorType?: string;
  streamException?: string;
}

const enc = new TextEncoder();
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Recomputes the request's SigV4 signature; null when it matches. */
export function sigV4Problem(method: string, url: URL, headers: Headers, body: string): { problem: string | null; signed: string[] } {
  const auth = headers.get('authorization') ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { problem: `malformed Authorization: ${auth}`, signed: [] };
  const [, keyId, date, region, service, signedList, signature] = m as unknown as string[];
  const signed = signedList!.split(';');
  if (keyId !== AWS.accessKeyId) return { problem: 'unknown access key', signed };
  if (region !== AWS.region || service !== 'bedrock') return { problem: `wrong scope ${region}/${service}`, signed };
  const amzDate = headers.get('x-amz-date') ?? '';
  if (!amzDate.startsWith(date!)) return { problem: 'x-amz-date does not match the credential date', signed };
  for (const h of ['host', 'x-amz-date']) if (!signed.includes(h)) return { problem: `${h} is not signed`, signed };
  const canonicalUri = url.pathname.split('/').map(rfc3986).join('/'); // every segment encoded again (non-S3 services)
  const canonicalQuery = [...url.searchParams].map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).sort().join('&');
  const canonicalHeaders = signed.map((h) => `${h}:${(headers.get(h) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedList, sha256(body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${AWS.secretAccessKey}`, date!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  return { problem: expected === signature ? null : 'signature mismatch', signed };
}

export class MockBedrock {
  readonly received: BedrockReceived[] = [];
  private readonly scripts = new Map<string, BedrockStep[]>();
  private server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => this.handle(req) });

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  script(model: string, ...steps: BedrockStep[]): void {
    this.scripts.set(model, [...(this.scripts.get(model) ?? []), ...steps]);
  }

  reset(): void {
    this.received.length = 0;
    this.scripts.clear();
  }

  async stop(): Promise<void> {
    await this.server.stop(true);
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const text = await req.text();
    const { problem, signed } = sigV4Problem(req.method, url, req.headers, text);
    const body = JSON.parse(text || 'null');
    this.received.push({ path: url.pathname, headers: Object.fromEntries(req.headers), body, signatureProblem: problem, signedHeaders: signed });
    if (problem) return bedrockError(403, 'InvalidSignatureException', `The request signature we calculated does not match the signature you provided (${problem}).`);
    const m = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(url.pathname);
    if (!m) return bedrockError(404, 'UnknownOperationException', 'unknown operation');
    const model = decodeURIComponent(m[1]!);
    const step = this.scripts.get(model)?.shift();
    if (step?.status) return bedrockError(step.status, step.errorType ?? 'InternalServerException', `mock bedrock failure ${step.status}`);
    if (m[2] === 'invoke') return this.invoke(model, body);
    const answer = this.answer(body);
    if (m[2] === 'converse') return Response.json({ output: { message: { role: 'assistant', content: answer.content } }, stopReason: answer.stopReason, usage: { inputTokens: 9, outputTokens: 4, totalTokens: 13 }, metrics: { latencyMs: 5 } });
    return this.stream(answer, step?.streamException);
  }

  private answer(body: any): { content: any[]; stopReason: string } {
    const last = body.messages.at(-1);
    const lastText = last.content.map((b: any) => b.text ?? '').join('');
    const result = last.content.find((b: any) => b.toolResult)?.toolResult;
    const tools = body.toolConfig?.tools ?? [];
    const forced = body.toolConfig?.toolChoice?.tool?.name;
    if (forced === 'json_tool_call') return { content: [{ toolUse: { toolUseId: 'tooluse_json', name: 'json_tool_call', input: { answer: '42' } } }], stopReason: 'tool_use' };
    if (tools.length > 0 && !result) return { content: [{ text: 'Let me check.' }, { toolUse: { toolUseId: 'tooluse_abc123', name: forced ?? tools[0].toolSpec.name, input: { city: 'Paris' } } }], stopReason: 'tool_use' };
    if (result) return { content: [{ text: `tool said: ${JSON.stringify(result.content[0].json ?? result.content[0].text)}` }], stopReason: 'end_turn' };
    if (lastText.includes('guardrail')) return { content: [{ text: 'Sorry, I cannot help with that.' }], stopReason: 'guardrail_intervened' };
    return { content: [{ text: `echo: ${lastText}` }], stopReason: 'end_turn' };
  }

  private stream(answer: { content: any[]; stopReason: string }, exception?: string): Response {
    const ev = (type: string, payload: object) => encodeMessage({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, enc.encode(JSON.stringify(payload)));
    const frames: Uint8Array[] = [];
    if (exception) {
      frames.push(encodeMessage({ ':exception-type': exception, ':content-type': 'application/json', ':message-type': 'exception' }, enc.encode(JSON.stringify({ message: 'Too many requests, please wait before trying again.' }))));
    } else {
      frames.push(ev('messageStart', { role: 'assistant' }));
      answer.content.forEach((block, i) => {
        if (block.text !== undefined) {
          for (const piece of block.text.split(/(?<= )/)) frames.push(ev('contentBlockDelta', { contentBlockIndex: i, delta: { text: piece } }));
        } else {
          frames.push(ev('contentBlockStart', { contentBlockIndex: i, start: { toolUse: { toolUseId: block.toolUse.toolUseId, name: block.toolUse.name } } }));
          const json = JSON.stringify(block.toolUse.input);
          const cut = Math.floor(json.length / 2);
          for (const piece of [json.slice(0, cut), json.slice(cut)]) frames.push(ev('contentBlockDelta', { contentBlockIndex: i, delta: { toolUse: { input: piece } } }));
        }
        frames.push(ev('contentBlockStop', { contentBlockIndex: i }));
      });
      frames.push(ev('messageStop', { stopReason: answer.stopReason }));
      frames.push(ev('metadata', { usage: { inputTokens: 9, outputTokens: 4, totalTokens: 13 }, metrics: { latencyMs: 5 } }));
    }
    // Frames go out re-cut into 7-byte pieces, so the gateway must join messages split across reads.
    const all = new Uint8Array(frames.reduce((n, f) => n + f.byteLength, 0));
    let at = 0;
    for (const f of frames) {
      all.set(f, at);
      at += f.byteLength;
    }
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= all.byteLength) return c.close();
        c.enqueue(all.slice(sent, sent + 7));
        sent += 7;
      },
    });
    return new Response(body, { headers: { 'content-type': 'application/vnd.amazon.eventstream' } });
  }

  private invoke(model: string, body: any): Response {
    const vec = (s: string, dims: number) => Array.from({ length: dims }, (_, i) => ((s.length + i) % 7) / 7);
    if (model.startsWith('amazon.titan-embed')) return Response.json({ embedding: vec(body.inputText, body.dimensions ?? 4), inputTextTokenCount: body.inputText.split(/\s+/).length });
    if (model.startsWith('cohere.embed')) return Response.json({ id: 'x', response_type: 'embeddings_floats', texts: body.texts, embeddings: body.texts.map((t: string) => vec(t, 4)) });
    return bedrockError(400, 'ValidationException', 'not an embedding model');
  }
}

function bedrockError(status: number, type: string, message: string): Response {
  return Response.json({ message }, { status, headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` } });
}
