/**
 * An OpenAI chat completion request → an Anthropic Messages API request (README, "Anthropic deployments").
 * Throws RequestError (a 400 for the caller) for what cannot be expressed.
 */
type Json = Record<string, unknown>;
import { isObject } from '../../../json';

/** `max_tokens` when the caller sets neither max_tokens nor max_completion_tokens (Anthropic requires one). */
export const DEFAULT_MAX_TOKENS = 4096;
/** `reasoning_effort` → the thinking budget (tokens), as LiteLLM maps it. */
export const THINKING_BUDGET: Record<string, number> = { minimal: 1024, low: 1024, medium: 2048, high: 4096 };
/** The tool a `response_format` json_schema / json_object request is answered through. */
export const JSON_TOOL = 'json_tool_call';

export class RequestError extends Error {}

export interface AnthropicRequest {
  body: Json;
  /** The answer's JSON comes back as a call of JSON_TOOL: map it to message content. */
  jsonTool: boolean;
}

const text = (t: string) => ({ type: 'text', text: t });

/** A message's content as text (system messages, tool results given as parts). */
function joinText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

/** An image_url part → an Anthropic image block (a data: URL becomes base64, anything else a URL source). */
function imageBlock(part: Json): Json {
  const ref = isObject(part.image_url) ? part.image_url.url : part.image_url;
  if (typeof ref !== 'string' || ref === '') throw new RequestError('image_url.url is required');
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(ref);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  return { type: 'image', source: { type: 'url', url: ref } };
}

function userBlocks(content: unknown): Json[] {
  if (typeof content === 'string') return [text(content)];
  if (!Array.isArray(content)) return [];
  return content.map((p): Json => {
    if (!isObject(p)) throw new RequestError('message content parts must be objects');
    if (p.type === 'text') return { ...text(String(p.text ?? '')), ...(p.cache_control ? { cache_control: p.cache_control } : {}) };
    if (p.type === 'image_url') return imageBlock(p);
    throw new RequestError(`content part type "${String(p.type)}" is not supported by Anthropic deployments`);
  });
}

function assistantBlocks(m: Json): Json[] {
  const blocks: Json[] = [];
  // Thinking blocks of an earlier answer (with their signatures) must go back before its tool calls.
  if (Array.isArray(m.thinking_blocks)) for (const b of m.thinking_blocks) if (isObject(b)) blocks.push(b);
  const content = typeof m.content === 'string' ? m.content : joinText(m.content);
  if (content !== '') blocks.push(text(content));
  if (Array.isArray(m.tool_calls)) {
    for (const call of m.tool_calls) {
      if (!isObject(call) || !isObject(call.function)) continue;
      let input: unknown = {};
      const args = call.function.arguments;
      if (typeof args === 'string' && args.trim() !== '') {
        try {
          input = JSON.parse(args);
        } catch {
          throw new RequestError(`the arguments of tool call ${String(call.id)} are not valid JSON`);
        }
      }
      blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input });
    }
  }
  return blocks;
}

/** Appends blocks as a message of `role`, merging with the previous message of the same role. */
function push(messages: Json[], role: 'user' | 'assistant', blocks: Json[]) {
  if (blocks.length === 0) return;
  const last = messages.at(-1);
  if (last && last.role === role) (last.content as Json[]).push(...blocks);
  else messages.push({ role, content: blocks });
}

function toolChoice(choice: unknown): Json | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') return { type: 'tool', name: choice.function.name };
  throw new RequestError('tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":…}}');
}

export function toAnthropic(body: Json, upstreamModel: string): AnthropicRequest {
  if (typeof body.n === 'number' && body.n > 1) throw new RequestError('n > 1 is not supported by Anthropic deployments');
  const out: Json = { model: upstreamModel };
  const system: Json[] = [];
  const messages: Json[] = [];
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObject(m)) throw new RequestError('messages must be objects');
    switch (m.role) {
      case 'system':
      case 'developer':
        if (Array.isArray(m.content)) system.push(...userBlocks(m.content));
        else system.push(text(joinText(m.content)));
        break;
      case 'user':
        push(messages, 'user', userBlocks(m.content));
        break;
      case 'assistant':
        push(messages, 'assistant', assistantBlocks(m));
        break;
      case 'tool': {
        const content = typeof m.content === 'string' ? m.content : userBlocks(m.content);
        push(messages, 'user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content }]);
        break;
      }
      default:
        throw new RequestError(`message role "${String(m.role)}" is not supported by Anthropic deployments`);
    }
  }
  if (system.length > 0) out.system = system.every((b) => !('cache_control' in b)) ? system.map((b) => b.text).join('\n\n') : system;
  out.messages = messages;

  const asked = body.max_completion_tokens ?? body.max_tokens;
  let maxTokens = typeof asked === 'number' ? asked : DEFAULT_MAX_TOKENS;
  if (isObject(body.thinking)) out.thinking = body.thinking;
  else if (typeof body.reasoning_effort === 'string' && body.reasoning_effort !== 'none') {
    const budget = THINKING_BUDGET[body.reasoning_effort];
    if (budget === undefined) throw new RequestError(`reasoning_effort must be one of ${Object.keys(THINKING_BUDGET).join(', ')}`);
    out.thinking = { type: 'enabled', budget_tokens: budget };
  }
  const budget = isObject(out.thinking) && typeof out.thinking.budget_tokens === 'number' ? out.thinking.budget_tokens : 0;
  if (budget > 0 && maxTokens <= budget) {
    if (typeof asked === 'number') throw new RequestError(`max_tokens (${asked}) must be larger than the thinking budget (${budget} tokens)`);
    maxTokens = budget + DEFAULT_MAX_TOKENS;
  }
  out.max_tokens = maxTokens;

  if (typeof body.stop === 'string') out.stop_sequences = [body.stop];
  else if (Array.isArray(body.stop)) out.stop_sequences = body.stop;
  for (const k of ['temperature', 'top_p', 'top_k'] as const) if (typeof body[k] === 'number') out[k] = body[k];
  if (typeof body.user === 'string') out.metadata = { user_id: body.user };
  if (body.stream === true) out.stream = true;

  const tools: Json[] = [];
  for (const tool of Array.isArray(body.tools) ? body.tools : []) {
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function)) throw new RequestError('only tools of type "function" are supported by Anthropic deployments');
    const f = tool.function;
    tools.push({ name: f.name, ...(f.description ? { description: f.description } : {}), input_schema: isObject(f.parameters) ? f.parameters : { type: 'object', properties: {} } });
  }
  let choice = toolChoice(body.tool_choice);
  let jsonTool = false;
  const format = body.response_format;
  if (isObject(format) && (format.type === 'json_schema' || format.type === 'json_object')) {
    const schema = format.type === 'json_schema' && isObject(format.json_schema) && isObject(format.json_schema.schema) ? format.json_schema.schema : { type: 'object', additionalProperties: true };
    tools.push({ name: JSON_TOOL, description: 'Respond with a JSON value of this schema.', input_schema: schema });
    jsonTool = true;
    // With tools of its own the caller's tool_choice stands; otherwise the answer is forced into the JSON tool.
    if (tools.length === 1) choice = { type: 'tool', name: JSON_TOOL };
  }
  if (tools.length > 0) out.tools = tools;
  if (body.parallel_tool_calls === false && tools.length > 0) choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  if (choice !== undefined && (tools.length > 0 || choice.type === 'none')) out.tool_choice = choice;
  return { body: out, jsonTool };
}
