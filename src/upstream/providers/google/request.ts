/**
 * An OpenAI chat body → a Gemini `generateContent` body (Gemini API and Vertex AI alike):
 * system/developer messages → `systemInstruction`; user/assistant/tool → `contents` with roles user/model
 * (consecutive turns of one role merged, as Gemini wants parallel function responses in one turn);
 * images → `inlineData` (data: URLs) or `fileData` (other URLs); assistant `tool_calls` → `functionCall`
 * parts and tool results → `functionResponse` parts named after the call they answer; `tools` →
 * `functionDeclarations`; `tool_choice` → `toolConfig.functionCallingConfig`; sampling settings, stop,
 * max tokens, n and `response_format` → `generationConfig` (json_schema → responseMimeType + responseSchema).
 */
import { geminiSchema } from './schema';
import { isObject } from '../../../json';
import { parseToolArguments, textOf } from '../common/chat-messages';

type Json = Record<string, unknown>;

/** A request Gemini cannot be given (a malformed message): refused before anything is sent. */
export class BadChatRequest extends Error {}

interface Content {
  role: 'user' | 'model';
  parts: Json[];
}

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', pdf: 'application/pdf' };

function imagePart(url: string): Json {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) return { inlineData: { mimeType: data[1], data: data[2] } };
  const ext = /\.([a-z0-9]+)(?:$|[?#])/i.exec(url)?.[1]?.toLowerCase() ?? '';
  return { fileData: { mimeType: IMAGE_TYPES[ext] ?? 'image/jpeg', fileUri: url } };
}

function partsOf(content: unknown): Json[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  const parts: Json[] = [];
  for (const p of content) {
    if (!isObject(p)) continue;
    if (p.type === 'text' && typeof p.text === 'string') parts.push({ text: p.text });
    else if (p.type === 'image_url') {
      const url = isObject(p.image_url) ? p.image_url.url : p.image_url;
      if (typeof url !== 'string') throw new BadChatRequest('an image_url part has no url');
      parts.push(imagePart(url));
    } else if (p.type === 'input_audio' && isObject(p.input_audio) && typeof p.input_audio.data === 'string') {
      parts.push({ inlineData: { mimeType: `audio/${String(p.input_audio.format ?? 'wav')}`, data: p.input_audio.data } });
    } else throw new BadChatRequest(`content parts of type "${String(p.type)}" are not supported by this provider`);
  }
  return parts;
}

const parseArgs = (raw: unknown) => parseToolArguments(raw, (message) => new BadChatRequest(message));

/** A tool result as Gemini's `response` object: the JSON object it is, or `{content: …}`. */
function toolResponse(content: unknown): Json {
  const text = textOf(content);
  try {
    const v = JSON.parse(text) as unknown;
    if (isObject(v)) return v;
    return { content: v };
  } catch {
    return { content: text };
  }
}

export function geminiChatBody(body: Json): Json {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const system: string[] = [];
  const contents: Content[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: Content['role'], parts: Json[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (const m of messages) {
    if (!isObject(m)) throw new BadChatRequest('every message must be an object');
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(textOf(m.content));
        break;
      case 'user':
        push('user', partsOf(m.content));
        break;
      case 'assistant': {
        const parts = partsOf(m.content);
        for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
          if (!isObject(call) || !isObject(call.function) || typeof call.function.name !== 'string') throw new BadChatRequest('an assistant tool call has no function name');
          if (typeof call.id === 'string') toolNames.set(call.id, call.function.name);
          parts.push({ functionCall: { name: call.function.name, args: parseArgs(call.function.arguments) } });
        }
        push('model', parts);
        break;
      }
      case 'tool': {
        const name = typeof m.tool_call_id === 'string' ? toolNames.get(m.tool_call_id) : undefined;
        if (name === undefined) throw new BadChatRequest('a tool message answers no earlier assistant tool call (tool_call_id)');
        push('user', [{ functionResponse: { name, response: toolResponse(m.content) } }]);
        break;
      }
      default:
        throw new BadChatRequest(`messages with role "${String(m.role)}" are not supported by this provider`);
    }
  }
  const out: Json = { contents };
  if (system.length > 0) out.systemInstruction = { parts: [{ text: system.join('\n\n') }] };

  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : [];
  const declarations = tools
    .filter((t) => t.type === 'function' && isObject(t.function))
    .map((t) => {
      const fn = t.function as Json;
      const params = fn.parameters === undefined ? undefined : geminiSchema(fn.parameters);
      return { name: fn.name, ...(typeof fn.description === 'string' ? { description: fn.description } : {}), ...(isObject(params) && isObject(params.properties) && Object.keys(params.properties).length > 0 ? { parameters: params } : {}) };
    });
  if (declarations.length > 0) out.tools = [{ functionDeclarations: declarations }];
  const choice = body.tool_choice;
  if (choice !== undefined && declarations.length > 0) {
    if (choice === 'none') out.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
    else if (choice === 'auto') out.toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
    else if (choice === 'required') out.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
    else if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') {
      out.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
    }
  }

  const config: Json = {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const set = (key: string, v: unknown) => {
    if (v !== undefined) config[key] = v;
  };
  set('temperature', num(body.temperature));
  set('topP', num(body.top_p));
  set('maxOutputTokens', num(body.max_completion_tokens) ?? num(body.max_tokens));
  set('candidateCount', num(body.n));
  set('seed', num(body.seed));
  set('presencePenalty', num(body.presence_penalty));
  set('frequencyPenalty', num(body.frequency_penalty));
  if (typeof body.stop === 'string') config.stopSequences = [body.stop];
  else if (Array.isArray(body.stop) && body.stop.length > 0) config.stopSequences = body.stop;
  const format = isObject(body.response_format) ? body.response_format : undefined;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  else if (format?.type === 'json_schema' && isObject(format.json_schema)) {
    config.responseMimeType = 'application/json';
    if (format.json_schema.schema !== undefined) config.responseSchema = geminiSchema(format.json_schema.schema);
  }
  if (Object.keys(config).length > 0) out.generationConfig = config;
  return out;
}
