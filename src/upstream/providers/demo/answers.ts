/**
 * What the demo models say, decided before any wire format: chat and completions echo the caller's last
 * user message (or prompt); with `tools` the answer is a call of the first tool (or the one `tool_choice`
 * names), and after a tool result the answer echoes that result, so an agent loop ends. `response_format`
 * json_object / json_schema answers with JSON (a value shaped by the schema). `max_tokens` cuts the text.
 */
import { countWords, firstWords, textOf } from './words';
import { isObject } from '../../../json';

export interface ToolCallAnswer {
  id: string;
  name: string;
  arguments: string;
}

export interface Answer {
  text: string | null;
  toolCall: ToolCallAnswer | null;
  finishReason: 'stop' | 'length' | 'tool_calls';
  inputTokens: number;
  outputTokens: number;
}

type Json = Record<string, unknown>;

/** A value of the shape a JSON schema asks for, with `text` in every string: deterministic and valid. */
export function valueFor(schema: unknown, text: string, depth = 0): unknown {
  if (!isObject(schema) || depth > 8) return text;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const options = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(options) && options.length > 0) return valueFor(options[0], text, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = isObject(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === 'string') : Object.keys(properties);
      return Object.fromEntries(required.map((k) => [k, valueFor(properties[k], text, depth + 1)]));
    }
    case 'array':
      return [valueFor(schema.items, text, depth + 1)];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return text;
  }
}

/** Words in every message's text (the demo's input tokens; at least 1). */
function inputWords(messages: unknown[]): number {
  let n = 0;
  for (const m of messages) if (isObject(m)) n += countWords(textOf(m.content));
  return Math.max(1, n);
}

/** The first tool, or the one `tool_choice` names; none when tool_choice is "none". */
function chosenTool(body: Json): Json | undefined {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : [];
  const choice = body.tool_choice;
  if (tools.length === 0 || choice === 'none') return undefined;
  const named = isObject(choice) && isObject(choice.function) ? choice.function.name : undefined;
  const fn = (t: Json) => (isObject(t.function) ? t.function : undefined);
  return fn(tools.find((t) => named !== undefined && fn(t)?.name === named) ?? tools[0]!);
}

function maxTokens(body: Json): number | undefined {
  const v = body.max_completion_tokens ?? body.max_tokens;
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

function limited(text: string, body: Json): { text: string; finishReason: 'stop' | 'length' } {
  const max = maxTokens(body);
  if (max === undefined) return { text, finishReason: 'stop' };
  const cut = firstWords(text, max);
  return { text: cut.text, finishReason: cut.cut ? 'length' : 'stop' };
}

export function chatAnswer(body: Json, newId: () => string): Answer {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const inputTokens = inputWords(messages);
  const last = messages.at(-1);
  const lastUser = [...messages].reverse().find((m) => isObject(m) && m.role === 'user');
  const echo = isObject(lastUser) ? textOf(lastUser.content) : '';
  const tool = chosenTool(body);
  // After a tool result the model answers in words, or an agent that follows tool calls would never stop.
  if (tool !== undefined && !(isObject(last) && last.role === 'tool') && typeof tool.name === 'string') {
    const args = JSON.stringify(valueFor(tool.parameters ?? { type: 'object', properties: {} }, echo));
    return { text: null, toolCall: { id: `call_${newId()}`, name: tool.name, arguments: args }, finishReason: 'tool_calls', inputTokens, outputTokens: countWords(`${tool.name} ${args}`) };
  }
  const said = isObject(last) && last.role === 'tool' ? textOf(last.content) : echo;
  const format = isObject(body.response_format) ? body.response_format : undefined;
  let text: string;
  if (format?.type === 'json_schema' && isObject(format.json_schema)) text = JSON.stringify(valueFor(format.json_schema.schema, said));
  else if (format?.type === 'json_object') text = JSON.stringify({ echo: said });
  else text = said;
  // JSON is never cut: a truncated object would be invalid, which a real model avoids too.
  const out = format?.type === 'json_schema' || format?.type === 'json_object' ? { text, finishReason: 'stop' as const } : limited(text, body);
  return { text: out.text, toolCall: null, finishReason: out.finishReason, inputTokens, outputTokens: countWords(out.text) };
}

/** Legacy completions echo the prompt (the first one, when a list of prompts is given). */
export function completionAnswer(body: Json): Answer {
  const prompt = Array.isArray(body.prompt) ? body.prompt[0] : body.prompt;
  const text = typeof prompt === 'string' ? prompt : '';
  const out = limited(text, body);
  return { text: out.text, toolCall: null, finishReason: out.finishReason, inputTokens: Math.max(1, countWords(text)), outputTokens: countWords(out.text) };
}
