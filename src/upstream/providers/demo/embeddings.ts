/**
 * Demo embeddings: each input's vector is derived from the SHA-256 of its text (token arrays: of their
 * JSON), so the same input always gives the same vector and different inputs different ones. Vectors are
 * normalised to length 1 like OpenAI's; `dimensions` is honoured; `encoding_format: base64` gives the
 * little-endian float32 bytes, as the official SDKs expect.
 */
import { refuse, type Outcome } from './outcome';
import { countWords } from './words';

export const DEFAULT_DIMENSIONS = 1536;
export const MAX_DIMENSIONS = 3072;

/** A unit vector of `dims` floats from the input's hash (xorshift32 seeded by the digest). */
export function demoVector(input: string, dims: number): Float32Array {
  const digest = new Bun.CryptoHasher('sha256').update(input).digest();
  const out = new Float32Array(dims);
  let sumSquares = 0;
  for (let i = 0; i < dims; i++) {
    // Each dimension mixes one 32-bit word of the digest with its index, then scrambles it.
    let x = (digest.readUInt32LE((i % 8) * 4) ^ Math.imul(i + 1, 0x9e3779b1)) | 0 || 1;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const v = (x >>> 0) / 0xffffffff - 0.5;
    out[i] = v;
    sumSquares += v * v;
  }
  const norm = Math.sqrt(sumSquares) || 1;
  for (let i = 0; i < dims; i++) out[i] = out[i]! / norm;
  return out;
}

/** The inputs of an embeddings call as texts, or a refusal in OpenAI's words. */
function inputsOf(input: unknown): string[] | Outcome {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0) {
    // One token array (numbers) is one input; otherwise every item is an input.
    if (input.every((x) => typeof x === 'number')) return [JSON.stringify(input)];
    if (input.every((x) => typeof x === 'string' || (Array.isArray(x) && x.every((n) => typeof n === 'number')))) {
      return input.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    }
  }
  return refuse('input', "'input' must be a string, an array of strings, or an array of token arrays.");
}

export function embeddingsJson(body: Record<string, unknown>, model: string): Outcome {
  const inputs = inputsOf(body.input);
  if (!Array.isArray(inputs)) return inputs;
  const dims = body.dimensions ?? DEFAULT_DIMENSIONS;
  if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > MAX_DIMENSIONS) {
    return refuse('dimensions', `'dimensions' must be an integer from 1 to ${MAX_DIMENSIONS}.`);
  }
  const base64 = body.encoding_format === 'base64';
  const data = inputs.map((text, index) => {
    const v = demoVector(text, dims);
    return { object: 'embedding', index, embedding: base64 ? Buffer.from(v.buffer).toString('base64') : Array.from(v) };
  });
  const tokens = inputs.reduce((n, text) => n + Math.max(1, countWords(text)), 0);
  return { json: { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } } };
}
