/**
 * OpenAI embeddings ↔ Google: the Gemini API's `batchEmbedContents` (one request per input; its answer
 * has no token count, so usage is estimated at one token per four characters) and Vertex AI's `predict`
 * (`instances: [{content}]`; usage from its `statistics.token_count`). `dimensions` →
 * outputDimensionality; `encoding_format: base64` gives little-endian float32 bytes as OpenAI does.
 */
import { BadChatRequest } from './request';
import { isObject } from '../../../json';

type Json = Record<string, unknown>;

export function inputsOf(body: Json): string[] {
  const input = body.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'string')) return input as string[];
  throw new BadChatRequest("'input' must be a string or an array of strings for this provider (token arrays are not supported)");
}

export function geminiEmbedBody(model: string, body: Json): Json {
  const dims = typeof body.dimensions === 'number' ? { outputDimensionality: body.dimensions } : {};
  return { requests: inputsOf(body).map((text) => ({ model: `models/${model}`, content: { parts: [{ text }] }, ...dims })) };
}

export function vertexEmbedBody(body: Json): Json {
  return { instances: inputsOf(body).map((content) => ({ content })), ...(typeof body.dimensions === 'number' ? { parameters: { outputDimensionality: body.dimensions } } : {}) };
}

function encode(values: number[], base64: boolean): number[] | string {
  return base64 ? Buffer.from(new Float32Array(values).buffer).toString('base64') : values;
}

export function embeddingsJsonOf(answer: Json, request: Json, model: string): Json {
  const base64 = request.encoding_format === 'base64';
  let vectors: number[][];
  let tokens: number;
  if (Array.isArray(answer.predictions)) {
    vectors = answer.predictions.map((p) => (isObject(p) && isObject(p.embeddings) && Array.isArray(p.embeddings.values) ? (p.embeddings.values as number[]) : []));
    tokens = answer.predictions.reduce<number>((n, p) => n + (isObject(p) && isObject(p.embeddings) && isObject(p.embeddings.statistics) ? Number(p.embeddings.statistics.token_count) || 0 : 0), 0);
  } else {
    const list = Array.isArray(answer.embeddings) ? answer.embeddings : [];
    vectors = list.map((e) => (isObject(e) && Array.isArray(e.values) ? (e.values as number[]) : []));
    tokens = inputsOf(request).reduce((n, s) => n + Math.ceil(s.length / 4), 0);
  }
  return {
    object: 'list',
    data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: encode(v, base64) })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
