/**
 * A mock of the Gemini API, Vertex AI and Google's OAuth token endpoint on 127.0.0.1.
 *
 * - Gemini: `POST /v1beta/models/{m}:generateContent | :streamGenerateContent?alt=sse | :batchEmbedContents`
 *   with `x-goog-api-key: gemini-key-1`.
 * - Vertex: `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent | … | :predict`
 *   with a Bearer token this mock issued at `POST /token` — for a JWT bearer grant whose RS256 signature
 *   verifies with the test's public key and whose claims (iss, aud, scope, exp) are right.
 * What the model says: a call with tools whose last turn is not a function response → a functionCall of
 * the first function; after a functionResponse → "tool said: <response JSON>"; with responseMimeType
 * application/json → `{"answer":"42"}`; a last text containing "unsafe" → finishReason SAFETY and no
 * text; "blocked" → promptFeedback.blockReason and no candidates; else "echo: <last text>". Streams send
 * the text in two events, then the finish reason and usageMetadata. `script(model, {status})` fails calls.
 */
export const GEMINI_KEY = 'gemini-key-1';

export interface GoogleReceived {
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: any;
}

const USAGE = { promptTokenCount: 7, candidatesTokenCount: 3, thoughtsTokenCount: 2, totalTokenCount: 12 };
const STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE' };

export class MockGoogle {
  readonly received: GoogleReceived[] = [];
  readonly tokenRequests: Record<string, unknown>[] = [];
  private readonly issued = new Set<string>();
  private readonly scripts = new Map<string, { status: number }[]>();
  private server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => this.handle(req) });

  /** Verifies the service account's JWTs (set by the test once it made the key). */
  publicKey!: CryptoKey;

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  script(model: string, ...steps: { status: number }[]): void {
    this.scripts.set(model, [...(this.scripts.get(model) ?? []), ...steps]);
  }

  reset(): void {
    this.received.length = 0;
    this.tokenRequests.length = 0;
    this.scripts.clear();
  }

  async stop(): Promise<void> {
    await this.server.stop(true);
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === '/token') return this.token(new URLSearchParams(await req.text()));
    const body = (await req.json().catch(() => null)) as any;
    this.received.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), headers: Object.fromEntries(req.headers), body });
    const gemini = /^\/v1beta\/models\/([^/:]+):(\w+)$/.exec(url.pathname);
    const vertex = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/google\/models\/([^/:]+):(\w+)$/.exec(url.pathname);
    const match = gemini ? { model: gemini[1]!, method: gemini[2]! } : vertex ? { model: vertex[3]!, method: vertex[4]! } : undefined;
    if (!match) return googleError(404, 'not found');
    if (gemini && req.headers.get('x-goog-api-key') !== GEMINI_KEY) return googleError(400, 'API key not valid. Please pass a valid API key.');
    if (vertex && !this.issued.has(req.headers.get('authorization')?.replace(/^Bearer /, '') ?? '')) return googleError(401, 'Request had invalid authentication credentials.');
    const step = this.scripts.get(match.model)?.shift();
    if (step) return googleError(step.status, `mock google failure ${step.status}`);
    switch (match.method) {
      case 'generateContent':
        return Response.json({ ...this.answer(body), modelVersion: `${match.model}-001`, responseId: 'resp1' });
      case 'streamGenerateContent':
        if (url.searchParams.get('alt') !== 'sse') return googleError(400, 'the mock only streams SSE');
        return this.stream(this.answer(body));
      case 'batchEmbedContents':
        return Response.json({ embeddings: body.requests.map((r: any) => ({ values: vector(r.content.parts[0].text, r.outputDimensionality ?? 4) })) });
      case 'predict':
        return Response.json({ predictions: body.instances.map((i: any) => ({ embeddings: { values: vector(i.content, body.parameters?.outputDimensionality ?? 4), statistics: { token_count: 3, truncated: false } } })) });
      default:
        return googleError(404, `unknown method ${match.method}`);
    }
  }

  /** A whole GenerateContentResponse for the request. */
  private answer(body: any): any {
    const last = body.contents.at(-1);
    const lastText = last.parts.map((p: any) => p.text ?? '').join('');
    const response = last.parts.find((p: any) => p.functionResponse)?.functionResponse;
    const declarations = body.tools?.[0]?.functionDeclarations ?? [];
    if (lastText.includes('blocked')) return { promptFeedback: { blockReason: 'SAFETY', safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH' }] }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } };
    if (lastText.includes('unsafe')) {
      return { candidates: [{ index: 0, finishReason: 'SAFETY', safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true }] }], usageMetadata: USAGE };
    }
    let parts: any[];
    if (declarations.length > 0 && !response && body.toolConfig?.functionCallingConfig?.mode !== 'NONE') {
      const name = body.toolConfig?.functionCallingConfig?.allowedFunctionNames?.[0] ?? declarations[0].name;
      parts = [{ functionCall: { name, args: { city: 'Paris' } } }];
    } else if (response) parts = [{ text: `tool said: ${JSON.stringify(response.response)}` }];
    else if (body.generationConfig?.responseMimeType === 'application/json') parts = [{ text: '{"answer":' }, { text: '"42"}' }];
    else parts = [{ text: 'thinking…', thought: true }, { text: 'echo: ' }, { text: lastText }];
    return { candidates: [{ index: 0, content: { role: 'model', parts }, finishReason: 'STOP' }], usageMetadata: USAGE };
  }

  /** The answer as SSE events: one per part, the last with the finish reason and usage. */
  private stream(answer: any): Response {
    const events: any[] = [];
    const candidate = answer.candidates?.[0];
    if (!candidate) events.push(answer);
    else {
      const parts: any[] = candidate.content?.parts ?? [];
      parts.forEach((p, i) => {
        const lastOne = i === parts.length - 1;
        events.push({ candidates: [{ index: 0, content: { role: 'model', parts: [p] }, ...(lastOne ? { finishReason: candidate.finishReason } : {}) }], ...(lastOne ? { usageMetadata: answer.usageMetadata } : {}), modelVersion: 'mock-001' });
      });
      if (parts.length === 0) events.push(answer);
    }
    const text = events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join('');
    return new Response(text, { headers: { 'content-type': 'text/event-stream' } });
  }

  private async token(form: URLSearchParams): Promise<Response> {
    const jwt = form.get('assertion') ?? '';
    const [h, c, s] = jwt.split('.');
    const claims = c ? JSON.parse(Buffer.from(c, 'base64url').toString()) : {};
    this.tokenRequests.push(claims);
    const valid =
      form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' &&
      s !== undefined &&
      JSON.parse(Buffer.from(h!, 'base64url').toString()).alg === 'RS256' &&
      (await crypto.subtle.verify('RSASSA-PKCS1-v1_5', this.publicKey, Buffer.from(s, 'base64url'), new TextEncoder().encode(`${h}.${c}`)));
    const now = Date.now() / 1000;
    if (!valid || claims.aud !== `${this.url}/token` || claims.scope !== 'https://www.googleapis.com/auth/cloud-platform' || !(claims.exp > now && claims.iat <= now + 5)) {
      return Response.json({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, { status: 400 });
    }
    const token = `vertex-token-${this.issued.size + 1}`;
    this.issued.add(token);
    return Response.json({ access_token: token, expires_in: 3599, token_type: 'Bearer' });
  }
}

function googleError(status: number, message: string): Response {
  return Response.json({ error: { code: status, message, status: STATUS[status] ?? 'UNKNOWN' } }, { status });
}

function vector(text: string, dims: number): number[] {
  return Array.from({ length: dims }, (_, i) => ((text.length * (i + 1)) % 10) / 10);
}

/** A fresh RSA key pair and a service-account key (JSON) whose token_uri is the mock's. */
export async function serviceAccountKey(tokenUri: string): Promise<{ json: string; publicKey: CryptoKey }> {
  const pair = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', pair.privateKey)).toString('base64');
  const pem = `-----BEGIN PRIVATE KEY-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  const json = JSON.stringify({ type: 'service_account', project_id: 'key-project', private_key_id: 'k1', private_key: pem, client_email: 'gateway@key-project.iam.gserviceaccount.com', token_uri: tokenUri });
  return { json, publicKey: pair.publicKey };
}
