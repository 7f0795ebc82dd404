/**
 * An OpenAI chat body → a Bedrock Converse body: system/developer messages → `system`; user/assistant →
 * `messages` (consecutive turns of one role merged, as Converse requires alternation); images → `image`
 * blocks with their bytes (data: URLs only: Bedrock takes no image links); assistant `tool_calls` →
 * `toolUse` blocks, tool results → `toolResult` blocks in a user turn; `tools` → `toolConfig.tools`
 * (toolSpec with the JSON schema), `tool_choice` auto/required/named → auto/any/tool (Converse has no
 * "none": the tools are sent without a choice); max tokens, temperature, top_p and stop →
 * `inferenceConfig`. `response_format` json_schema / json_object has no Converse equivalent: like
 * LiteLLM, the gateway forces a call of a tool named `json_tool_call` whose input schema is the asked
 * schema, and turns that call back into the answer's content (response.ts).
 */
type Json = Record<string, unknown>;
import { isObject } from '../../../json';
import { parseToolArguments, textOf } from '../common/chat-messages';

export const JSON_TOOL = 'json_tool_call';

export class BadConverseRequest extends Error {}

const FORMATS = new Set(['png', 'jpeg', 'gif', 'webp']);

function imageBlock(url: string): Json {
  const m = /^data:image\/([a-z]+);base64,(.*)$/s.exec(url);
  if (!m) throw new BadConverseRequest('Bedrock takes images as data: URLs (base64) only, not links');
  const format = m[1] === 'jpg' ? 'jpeg' : m[1]!;
  if (!FORMATS.has(format)) throw new BadConverseRequest(`Bedrock does not take images of type image/${m[1]}`);
  return { image: { format, source: { bytes: m[2] } } };
}

function blocksOf(content: unknown): Json[] {
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  return content.filter(isObject).map((p) => {
    if (p.type === 'text' && typeof p.text === 'string') return { text: p.text };
    if (p.type === 'image_url') {
      const url = isObject(p.image_url) ? p.image_url.url : p.image_url;
      if (typeof url !== 'string') throw new BadConverseRequest('an image_url part has no url');
      return imageBlock(url);
    }
    throw new BadConverseRequest(`content parts of type "${String(p.type)}" are not supported by Bedrock`);
  });
}

const parseArgs = (raw: unknown) => parseToolArguments(raw, (message) => new BadConverseRequest(message));

export interface ConverseRequest {
  body: Json;
  /** The answer is JSON forced through JSON_TOOL: its input becomes the content. */
  jsonTool: boolean;
}

export function converseBody(body: Json): ConverseRequest {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const system: Json[] = [];
  const turns: { role: 'user' | 'assistant'; content: Json[] }[] = [];
  const push = (role: 'user' | 'assistant', content: Json[]) => {
    if (content.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...content);
    else turns.push({ role, content });
  };
  for (const m of messages) {
    if (!isObject(m)) throw new BadConverseRequest('every message must be an object');
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push({ text: textOf(m.content) });
        break;
      case 'user':
        push('user', blocksOf(m.content));
        break;
      case 'assistant': {
        const blocks = blocksOf(m.content);
        for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
          if (!isObject(call) || !isObject(call.function) || typeof call.id !== 'string') throw new BadConverseRequest('an assistant tool call needs an id and a function');
          blocks.push({ toolUse: { toolUseId: call.id, name: call.function.name, input: parseArgs(call.function.arguments) } });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool': {
        if (typeof m.tool_call_id !== 'string') throw new BadConverseRequest('a tool message needs its tool_call_id');
        const text = textOf(m.content);
        let result: Json = { text };
        try {
          const v = JSON.parse(text) as unknown;
          if (isObject(v) || Array.isArray(v)) result = { json: v };
        } catch {
          // plain text result
        }
        push('user', [{ toolResult: { toolUseId: m.tool_call_id, content: [result] } }]);
        break;
      }
      default:
        throw new BadConverseRequest(`messages with role "${String(m.role)}" are not supported by Bedrock`);
    }
  }
  const out: Json = { messages: turns };
  if (system.length > 0) out.system = system;

  const inference: Json = {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const max = num(body.max_completion_tokens) ?? num(body.max_tokens);
  if (max !== undefined) inference.maxTokens = max;
  if (num(body.temperature) !== undefined) inference.temperature = body.temperature;
  if (num(body.top_p) !== undefined) inference.topP = body.top_p;
  if (typeof body.stop === 'string') inference.stopSequences = [body.stop];
  else if (Array.isArray(body.stop) && body.stop.length > 0) inference.stopSequences = body.stop;
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;

  const tools = (Array.isArray(body.tools) ? body.tools.filter(isObject) : [])
    .filter((t) => t.type === 'function' && isObject(t.function))
    .map((t) => {
      const fn = t.function as Json;
      return { toolSpec: { name: fn.name, ...(typeof fn.description === 'string' ? { description: fn.description } : {}), inputSchema: { json: fn.parameters ?? { type: 'object', properties: {} } } } };
    });
  let toolChoice: Json | undefined;
  const choice = body.tool_choice;
  if (choice === 'auto') toolChoice = { auto: {} };
  else if (choice === 'required') toolChoice = { any: {} };
  else if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') toolChoice = { tool: { name: choice.function.name } };

  const format = isObject(body.response_format) ? body.response_format : undefined;
  let jsonTool = false;
  if (format?.type === 'json_schema' || format?.type === 'json_object') {
    const schema = format.type === 'json_schema' && isObject(format.json_schema) && isObject(format.json_schema.schema) ? format.json_schema.schema : { type: 'object' };
    tools.push({ toolSpec: { name: JSON_TOOL, description: 'Answer with JSON of this schema.', inputSchema: { json: schema } } });
    toolChoice = { tool: { name: JSON_TOOL } };
    jsonTool = true;
  }
  if (tools.length > 0) out.toolConfig = { tools, ...(toolChoice ? { toolChoice } : {}) };
  return { body: out, jsonTool };
}
