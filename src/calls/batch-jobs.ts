/** The messages between the batch runner (main thread) and its worker threads. */
export interface BatchJob {
  /** `<batch id>:<line number>` */
  id: string;
  endpoint: 'chat' | 'completions' | 'embeddings' | 'responses';
  /** The model_name every line of the batch resolved to at upload. */
  model: string;
  /** The models the line may be sent to, in order (the model, then the fallbacks its key may use now). */
  chain: string[];
  /** The request body as JSON text. */
  body: string;
}

export interface JobResult {
  id: string;
  ok: boolean;
  /** HTTP status of the answer (200), or of the gateway's mapped failure. */
  status: number;
  /** The upstream's JSON answer, or the error body in the OpenAI shape. */
  text: string;
  deployment: string | null;
  model: string;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  errorCode?: string | null;
  /** Aqueduct's `user_id` of the line's body (removed before it went upstream). */
  endUserId: string;
}

export const ENDPOINT_OF_URL = { '/v1/chat/completions': 'chat', '/v1/completions': 'completions', '/v1/embeddings': 'embeddings', '/v1/responses': 'responses' } as const;
