/**
 * OpenAI embeddings on Bedrock through InvokeModel: Titan (`amazon.titan-embed-*`) takes one text per call
 * (`inputText`, with `dimensions` for v2), so a list of inputs is one call each, in parallel; Cohere
 * (`cohere.embed-*`) takes them all at once (`texts`, input_type search_document). Titan reports
 * `inputTextTokenCount`; Cohere reports none, so its usage is estimated at one token per four characters.
 */
import { BadConverseRequest } from './request';

type Json = Record<string, unknown>;

export type EmbedFamily = 'titan' | 'cohere';

export function embedFamily(model: string): EmbedFamily | undefined {
  const id = model.replace(/^[a-z]{2}\./, ''); // cross-region inference profiles: us.cohere.embed-…
  if (id.startsWith('amazon.titan-embed')) return 'titan';
  if (id.startsWith('cohere.embed')) return 'cohere';
  return undefined;
}

export function inputsOf(body: Json): string[] {
  const input = body.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'string')) return input as string[];
  throw new BadConverseRequest("'input' must be a string or an array of strings for Bedrock (token arrays are not supported)");
}

/** The InvokeModel bodies for an embeddings call: one per input (Titan) or one for all (Cohere). */
export function embedBodies(family: EmbedFamily, body: Json): Json[] {
  const inputs = inputsOf(body);
  if (family === 'cohere') return [{ texts: inputs, input_type: 'search_document' }];
  return inputs.map((inputText) => ({ inputText, ...(typeof body.dimensions === 'number' ? { dimensions: body.dimensions } : {}) }));
}

export function embeddingsJsonOf(family: EmbedFamily, answers: Json[], request: Json, model: string): Json {
  const inputs = inputsOf(request);
  let vectors: number[][];
  let tokens: number;
  if (family === 'cohere') {
    const e = answers[0]?.embeddings;
    // v3 answers a list of vectors; with embedding_types it is {float: [...]}.
    vectors = (Array.isArray(e) ? e : ((e as Json | undefined)?.float as number[][] | undefined) ?? []) as number[][];
    tokens = inputs.reduce((n, s) => n + Math.ceil(s.length / 4), 0);
  } else {
    vectors = answers.map((a) => (Array.isArray(a.embedding) ? (a.embedding as number[]) : []));
    tokens = answers.reduce((n, a) => n + (typeof a.inputTextTokenCount === 'number' ? a.inputTextTokenCount : 0), 0);
  }
  const base64 = request.encoding_format === 'base64';
  return {
    object: 'list',
    data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
