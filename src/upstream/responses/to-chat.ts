/**
 * A Responses API request as the Chat Completions request a chat-only upstream understands: `instructions`
 * and `input` (a string, or items: messages with text and images, `function_call`, `function_call_output`)
 * become `messages`; function `tools` and `tool_choice`, `text.format` (→ `response_format`),
 * `max_output_tokens` (→ `max_tokens`), `temperature`, `top_p`, `reasoning.effort` (→ `reasoning_effort`),
 * `parallel_tool_calls`, `user` and `service_tier` carry over. Anything chat completions cannot express
 * (another tool type, file inputs, background mode, …) throws NotTranslatable, which names it.
 * `previous_response_id` must already be resolved into `input` by the caller (the gateway keeps the items).
 */
type Json = Record<string, unknown>;
import { isObject } from '../../json';

/** A request the translation cannot serve; the message names what (a 400 for the caller). */
export class NotTranslatable extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

const via = 'through the chat completions translation this model uses';

/** Fields with no chat equivalent that change the answer: refused rather than silently dropped. */
const REFUSED_FIELDS = ['background', 'conversation', 'prompt'] as const;

export function responsesToChat(body: Json): Json {
  for (const f of REFUSED_FIELDS) {
    if (body[f] !== undefined && body[f] !== null && body[f] !== false) throw new NotTranslatable(`\`${f}\` is not supported ${via}.`, f);
  }
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    throw new NotTranslatable(`previous_response_id ${String(body.previous_response_id)} was created by an upstream's own Responses API and cannot be continued ${via}.`, 'previous_response_id');
  }
  const chat: Json = { model: body.model, messages: messagesOf(body) };
  if (Array.isArray(body.tools) && body.tools.length > 0) chat.tools = body.tools.map(toolOf);
  if (body.tool_choice !== undefined) chat.tool_choice = toolChoiceOf(body.tool_choice);
  if (body.parallel_tool_calls !== undefined && chat.tools !== undefined) chat.parallel_tool_calls = body.parallel_tool_calls;
  const format = isObject(body.text) ? body.text.format : undefined;
  if (isObject(format)) {
    if (format.type === 'json_schema') {
      const schema: Json = { name: format.name ?? 'response', schema: format.schema };
      if (format.strict !== undefined) schema.strict = format.strict;
      if (format.description !== undefined) schema.description = format.description;
      chat.response_format = { type: 'json_schema', json_schema: schema };
    } else if (format.type === 'json_object') chat.response_format = { type: 'json_object' };
    else if (format.type !== 'text') throw new NotTranslatable(`text.format type "${String(format.type)}" is not supported ${via}.`, 'text.format');
  }
  if (typeof body.max_output_tokens === 'number') chat.max_tokens = body.max_output_tokens;
  for (const f of ['temperature', 'top_p', 'user', 'service_tier', 'top_logprobs'] as const) if (body[f] !== undefined && body[f] !== null) chat[f] = body[f];
  if (chat.top_logprobs !== undefined) chat.logprobs = true;
  if (isObject(body.reasoning) && typeof body.reasoning.effort === 'string') chat.reasoning_effort = body.reasoning.effort;
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return chat;
}

function messagesOf(body: Json): Json[] {
  const messages: Json[] = [];
  if (typeof body.instructions === 'string' && body.instructions !== '') messages.push({ role: 'system', content: body.instructions });
  const input = body.input;
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
    return messages;
  }
  if (!Array.isArray(input)) throw new NotTranslatable('`input` must be a string or a list of items.', 'input');
  input.forEach((item, i) => {
    if (!isObject(item)) throw new NotTranslatable(`input[${i}] is not an item.`, `input[${i}]`);
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message':
        messages.push(messageOf(item, i));
        break;
      case 'function_call': {
        const call = { id: item.call_id, type: 'function', function: { name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : JSON.stringify(item.arguments ?? {}) } };
        const last = messages.at(-1);
        // Consecutive calls belong to one assistant turn.
        if (last?.role === 'assistant' && Array.isArray(last.tool_calls)) (last.tool_calls as Json[]).push(call);
        else if (last?.role === 'assistant' && last.tool_calls === undefined) last.tool_calls = [call];
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        break;
      }
      case 'function_call_output':
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: typeof item.output === 'string' ? item.output : textOf(item.output, i) });
        break;
      case 'reasoning':
        break; // the model's own reasoning summary: chat completions has no place for it
      default:
        throw new NotTranslatable(`input item type "${String(type)}" is not supported ${via}.`, `input[${i}]`);
    }
  });
  return messages;
}

function messageOf(item: Json, i: number): Json {
  const role = item.role === 'developer' ? 'system' : item.role;
  if (role !== 'user' && role !== 'system' && role !== 'assistant') throw new NotTranslatable(`input[${i}].role "${String(item.role)}" is not supported.`, `input[${i}].role`);
  if (typeof item.content === 'string') return { role, content: item.content };
  if (!Array.isArray(item.content)) throw new NotTranslatable(`input[${i}].content must be a string or a list of parts.`, `input[${i}].content`);
  if (role !== 'user') return { role, content: textOf(item.content, i) };
  return {
    role,
    content: item.content.map((part, j) => {
      if (!isObject(part)) throw new NotTranslatable(`input[${i}].content[${j}] is not a content part.`, `input[${i}].content`);
      if (part.type === 'input_text' || part.type === 'output_text' || part.type === 'text') return { type: 'text', text: part.text };
      if (part.type === 'input_image') {
        if (typeof part.image_url !== 'string') throw new NotTranslatable(`input_image with a file_id is not supported ${via}; send an image_url.`, `input[${i}].content`);
        return { type: 'image_url', image_url: { url: part.image_url, ...(part.detail !== undefined ? { detail: part.detail } : {}) } };
      }
      throw new NotTranslatable(`content part type "${String(part.type)}" is not supported ${via}.`, `input[${i}].content`);
    }),
  };
}

/** The text of content parts (assistant and system turns, tool outputs). */
function textOf(content: unknown, i: number): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      if (!isObject(part)) return '';
      if (typeof part.text === 'string') return part.text;
      if (typeof part.refusal === 'string') return part.refusal;
      throw new NotTranslatable(`content part type "${String(part.type)}" is not supported here ${via}.`, `input[${i}].content`);
    })
    .join('');
}

function toolOf(tool: unknown, i: number): Json {
  if (!isObject(tool) || tool.type !== 'function') {
    const type = isObject(tool) ? String(tool.type) : typeof tool;
    throw new NotTranslatable(`Tool type "${type}" is not supported ${via}; only "function" tools are.`, `tools[${i}].type`);
  }
  const fn: Json = { name: tool.name };
  if (tool.description !== undefined) fn.description = tool.description;
  if (tool.parameters !== undefined && tool.parameters !== null) fn.parameters = tool.parameters;
  if (tool.strict !== undefined && tool.strict !== null) fn.strict = tool.strict;
  return { type: 'function', function: fn };
}

function toolChoiceOf(choice: unknown): unknown {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isObject(choice) && choice.type === 'function' && typeof choice.name === 'string') return { type: 'function', function: { name: choice.name } };
  const type = isObject(choice) ? String(choice.type) : String(choice);
  throw new NotTranslatable(`tool_choice "${type}" is not supported ${via}.`, 'tool_choice');
}
