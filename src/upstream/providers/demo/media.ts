/**
 * Demo speech and images: real, small, valid files made in-process. Speech is a WAV (16-bit mono PCM at
 * 24 kHz, OpenAI's PCM rate): a short tone per word of the input, at most 10 s; `response_format: pcm`
 * gives the raw samples. Images are PNGs whose colours come from the prompt's hash.
 */
import { deflateSync } from 'node:zlib';
import { refuse, type Outcome } from './outcome';
import { countWords } from './words';

const RATE = 24_000;
const WORD_SECONDS = 0.2;
const MAX_SECONDS = 10;

/** 16-bit PCM samples: for each word a tone whose pitch follows the word's length, then a short pause. */
function speechSamples(text: string): Int16Array {
  const words = text.split(/\s+/).filter(Boolean);
  const perWord = Math.round(RATE * WORD_SECONDS);
  const count = Math.min(Math.max(1, words.length) * perWord, RATE * MAX_SECONDS);
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) {
    const word = words[Math.floor(i / perWord)] ?? '';
    const inWord = i % perWord;
    if (inWord > perWord * 0.8) continue; // the pause between words
    const hz = 220 + 40 * Math.min(word.length, 12);
    out[i] = Math.round(Math.sin((2 * Math.PI * hz * inWord) / RATE) * 8000);
  }
  return out;
}

export function speechAudio(body: Record<string, unknown>): { bytes: Uint8Array; contentType: string } {
  const samples = speechSamples(typeof body.input === 'string' ? body.input : '');
  const pcm = new Uint8Array(samples.buffer);
  if (body.response_format === 'pcm') return { bytes: pcm, contentType: 'audio/pcm' };
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + pcm.byteLength, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28); // bytes per second
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36);
  header.writeUInt32LE(pcm.byteLength, 40);
  return { bytes: Buffer.concat([header, pcm]), contentType: 'audio/wav' };
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.byteLength, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(Bun.hash.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A width×height RGB PNG: a diagonal gradient between two colours taken from the prompt's hash. */
export function demoPng(prompt: string, seed: number, width: number, height: number): Buffer {
  const h = new Bun.CryptoHasher('sha256').update(`${seed}:${prompt}`).digest();
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1); // each row starts with filter type 0
    for (let x = 0; x < width; x++) {
      const t = (x + y) / (width + height - 2 || 1);
      for (let c = 0; c < 3; c++) raw[row + 1 + x * 3 + c] = Math.round(h[c]! * (1 - t) + h[c + 3]! * t);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0))]);
}

const SIZE = /^(\d{2,4})x(\d{2,4})$/;
/** Demo images are small whatever size is asked: this many pixels on the longer side at most. */
const MAX_SIDE = 256;

export function imagesJson(body: Record<string, unknown>): Outcome {
  const n = body.n ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 10) return refuse('n', "'n' must be an integer from 1 to 10.");
  const size = typeof body.size === 'string' && body.size !== 'auto' ? SIZE.exec(body.size) : null;
  if (body.size !== undefined && body.size !== 'auto' && size === null) return refuse('size', "'size' must look like 1024x1024 (or be auto).");
  const [w, h] = size ? [Number(size[1]), Number(size[2])] : [1024, 1024];
  const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
  const prompt = typeof body.prompt === 'string' ? body.prompt : '';
  const asUrl = body.response_format === 'url';
  const data = Array.from({ length: n }, (_, i) => {
    const b64 = demoPng(prompt, i, Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))).toString('base64');
    // A url answer carries the image itself (a data: URL): the demo has nowhere to host it.
    return asUrl ? { url: `data:image/png;base64,${b64}`, revised_prompt: prompt } : { b64_json: b64, revised_prompt: prompt };
  });
  const input = Math.max(1, countWords(prompt));
  return {
    json: {
      created: Math.floor(Date.now() / 1000),
      data,
      usage: { input_tokens: input, output_tokens: 0, total_tokens: input, input_tokens_details: { text_tokens: input, image_tokens: 0 } },
    },
  };
}
