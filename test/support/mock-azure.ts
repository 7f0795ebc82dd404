/**
 * A mock Azure OpenAI resource and Entra ID token endpoint on 127.0.0.1, for the azure/ provider tests.
 *
 * - `POST /{tenant}/oauth2/v2.0/token`: client credentials (client_id `client-1`, secret `client-secret-1`)
 *   → `entra-token-N` that lives `tokenLifetimeSeconds`.
 * - `POST /openai/deployments/{d}/<op>?api-version=V` (V must be a known version) and `POST /openai/v1/<op>`
 *   (deployment in the body's `model`): checked for `api-key: azure-key-1` or a Bearer token this mock
 *   issued (or `static-ad-token-1`), then answered by an in-process MockUpstream in the OpenAI format,
 *   with Azure's additions: `prompt_filter_results` (as the first, choice-less chunk of a stream) and
 *   `content_filter_results` on every choice. A last message containing "violence" is filtered
 *   (finish_reason content_filter); one containing "jailbreak" is refused with Azure's 400 content_filter.
 * - `script(deployment, ...steps)` fails requests with a status first (as MockUpstream steps).
 */
import { MockUpstream } from './mock-upstream';

export const AZURE_KEY = 'azure-key-1';
export const AZURE_AD_TOKEN = 'static-ad-token-1';
export const AZURE_CLIENT = { tenant: 'tenant-1', id: 'client-1', secret: 'client-secret-1' };
const VERSIONS = new Set(['2024-10-21', '2025-01-01-preview', 'preview']);

export interface AzureReceived {
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: any;
}

const FILTER_OK = { hate: { filtered: false, severity: 'safe' }, violence: { filtered: false, severity: 'safe' } };
const FILTERED = { hate: { filtered: false, severity: 'safe' }, violence: { filtered: true, severity: 'high' } };
const promptFilter = [{ prompt_index: 0, content_filter_results: FILTER_OK }];

const azureError = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  Response.json({ error: { code, message, param: null, type: null } }, { status, headers });

export class MockAzure {
  readonly received: AzureReceived[] = [];
  readonly tokenRequests: URLSearchParams[] = [];
  tokenLifetimeSeconds = 3600;
  private readonly inner = new MockUpstream().start();
  private readonly scripts = new Map<string, { status: number; headers?: Record<string, string> }[]>();
  private readonly issued = new Set<string>([AZURE_AD_TOKEN]);
  private server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => this.handle(req) });

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  script(deployment: string, ...steps: { status: number; headers?: Record<string, string> }[]): void {
    this.scripts.set(deployment, [...(this.scripts.get(deployment) ?? []), ...steps]);
  }

  reset(): void {
    this.received.length = 0;
    this.tokenRequests.length = 0;
    this.scripts.clear();
    this.inner.reset();
  }

  async stop(): Promise<void> {
    await this.server.stop(true);
    await this.inner.stop();
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const token = /^(?:\/[^/]+)*\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (token) return this.token(token[1]!, new URLSearchParams(await req.text()));
    const body = (await req.json().catch(() => null)) as any;
    const entry: AzureReceived = { path: url.pathname, query: Object.fromEntries(url.searchParams), headers: Object.fromEntries(req.headers), body };
    this.received.push(entry);

    const byDeployment = /^\/openai\/deployments\/([^/]+)(\/.+)$/.exec(url.pathname);
    const v1 = /^\/openai\/v1(\/.+)$/.exec(url.pathname);
    if (!byDeployment && !v1) return azureError(404, '404', 'Resource not found');
    if (byDeployment && !VERSIONS.has(url.searchParams.get('api-version') ?? '')) return azureError(404, '404', 'Resource not found');
    const deployment = byDeployment ? decodeURIComponent(byDeployment[1]!) : String(body?.model ?? '');
    const op = byDeployment ? byDeployment[2]! : v1![1]!;

    const auth = req.headers.get('authorization')?.replace(/^Bearer /, '');
    if (req.headers.get('api-key') !== AZURE_KEY && !(auth && this.issued.has(auth))) {
      return azureError(401, '401', 'Access denied due to invalid subscription key or wrong API endpoint.');
    }
    const step = this.scripts.get(deployment)?.shift();
    if (step) return azureError(step.status, step.status === 429 ? '429' : 'InternalServerError', `mock azure failure ${step.status}`, step.headers);

    const last = body?.messages?.at?.(-1)?.content;
    const lastText = typeof last === 'string' ? last : '';
    if (lastText.includes('jailbreak')) {
      return Response.json(
        {
          error: {
            message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            type: null,
            param: 'prompt',
            code: 'content_filter',
            status: 400,
            innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { jailbreak: { filtered: true, detected: true } } },
          },
        },
        { status: 400 },
      );
    }
    const inner = await fetch(`${this.inner.base(deployment)}${op}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, model: deployment }) });
    if (op !== '/chat/completions') return inner;
    const violent = lastText.includes('violence');
    if (!body?.stream) {
      const json = (await inner.json()) as any;
      for (const c of json.choices) {
        c.content_filter_results = violent ? FILTERED : FILTER_OK;
        if (violent) {
          c.finish_reason = 'content_filter';
          c.message.content = null;
        }
      }
      return Response.json({ ...json, prompt_filter_results: promptFilter });
    }
    return this.azureStream(inner.body!, violent);
  }

  /** The inner stream with Azure's choice-less first chunk; a filtered answer ends with content_filter. */
  private azureStream(body: ReadableStream<Uint8Array>, violent: boolean): Response {
    const enc = new TextEncoder();
    const first = { id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: promptFilter };
    let text = '';
    const dec = new TextDecoder();
    const out = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(enc.encode(`data: ${JSON.stringify(first)}\n\n`));
        const reader = body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += dec.decode(value, { stream: true });
        }
        for (const event of text.split('\n\n').filter(Boolean)) {
          const data = event.slice(6);
          if (data === '[DONE]' || !violent) {
            controller.enqueue(enc.encode(`${event}\n\n`));
            continue;
          }
          const chunk = JSON.parse(data);
          const choice = chunk.choices[0];
          if (choice?.delta?.content) continue; // the filtered words never arrive
          if (choice?.finish_reason) {
            choice.finish_reason = 'content_filter';
            choice.content_filter_results = FILTERED;
          }
          controller.enqueue(enc.encode(`data: ${JSON.stringify(chunk)}\n\n`));
        }
        controller.close();
      },
    });
    return new Response(out, { headers: { 'content-type': 'text/event-stream' } });
  }

  private token(tenant: string, form: URLSearchParams): Response {
    this.tokenRequests.push(form);
    if (tenant !== AZURE_CLIENT.tenant || form.get('client_id') !== AZURE_CLIENT.id || form.get('client_secret') !== AZURE_CLIENT.secret) {
      return Response.json({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\nTrace ID: x' }, { status: 401 });
    }
    if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'https://cognitiveservices.azure.com/.default') {
      return Response.json({ error: 'invalid_request' }, { status: 400 });
    }
    const value = `entra-token-${this.issued.size}`;
    this.issued.add(value);
    return Response.json({ token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds, access_token: value });
  }
}
