/**
 * The one error type the gateway throws for refusals. The errors plugin renders it in the OpenAI shape:
 * {"error":{"message","type","param","code"}} with all four keys present.
 */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const DEFAULT_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  405: 'invalid_request_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  421: 'invalid_request_error',
  429: 'rate_limit_error',
  500: 'server_error',
  502: 'upstream_error',
  503: 'server_error',
  504: 'timeout_error',
};

export function defaultErrorType(status: number): string {
  return DEFAULT_TYPE[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
}

export interface ApiErrorOptions {
  type?: string;
  param?: string | null;
  code?: string | null;
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, options: ApiErrorOptions = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = options.type ?? defaultErrorType(status);
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export function errorBody(status: number, message: string, options: ApiErrorOptions = {}): ErrorBody {
  return new ApiError(status, message, options).toBody();
}

/** A JSON Response in the OpenAI error shape; used where a plain Response must be returned. */
export function errorResponse(error: ApiError, extraHeaders: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(error.toBody()), {
    status: error.status,
    headers: { 'content-type': 'application/json', ...error.headers, ...extraHeaders },
  });
}

/**
 * The 401 for a missing or unusable key. `WWW-Authenticate: Bearer` tells clients (MCP Inspector among
 * them) that a plain bearer key is expected, not an OAuth flow. RFC 6750 §3: `error="invalid_token"` only
 * when a token was presented; none when the request had no bearer credentials at all.
 */
export const unauthorized = (tokenPresented: boolean) =>
  new ApiError(401, 'Invalid or missing API key. Send it as "Authorization: Bearer <key>".', {
    code: 'invalid_api_key',
    headers: { 'www-authenticate': tokenPresented ? 'Bearer realm="aqueduct", error="invalid_token"' : 'Bearer realm="aqueduct"' },
  });

export const modelNotFound = (model: string) =>
  new ApiError(404, `The model \`${model}\` does not exist or you do not have access to it.`, {
    code: 'model_not_found',
    param: 'model',
  });
