/**
 * Reading OpenAI chat messages, shared by the providers that rebuild them in their own format (google/,
 * bedrock/): a message's text, and a tool call's JSON arguments.
 */
import { isObject } from '../../../json';

/** The text of a message's content: the string, or its text parts joined. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

/** A tool call's `arguments` (a JSON string) as a value; empty → `{}`; invalid JSON → the provider's refusal. */
export function parseToolArguments(raw: unknown, refuse: (message: string) => Error): unknown {
  if (typeof raw !== 'string' || raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw refuse('the arguments of an assistant tool call are not valid JSON');
  }
}
