/**
 * An Anthropic Messages request (POST /v1/messages) → the OpenAI chat completion body the model-call
 * pipeline runs. The original goes along under NATIVE_REQUEST, so an anthropic/ deployment sends it as it
 * came (cache_control, thinking, server tools and all); every other provider gets this translation.
 * Translated: system, text, images (base64 → data URL, url), tool_use / tool_result, tools, tool_choice,
 * disable_parallel_tool_use, max_tokens, stop_sequences, temperature, top_p, metadata.user_id → user,
 * thinking → reasoning_effort. Left out for other providers: cache_control, top_k, documents, server tools.
 */
import { NATIVE_REQUEST, type NativeRequest } from '../../upstream/provider';
import { isObject } from '../../json';

type Json = Record<string, unknown>;

function blocksOf(content: unknown): Json[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isObject) : [];
}

function textOf(content: unknown): string {
  return blocksOf(content)
    .filter((b) => b.type === 'text')
    .map((b) => String(b.text ?? ''))
    .join('\n\n');
}

function imagePart(b: Json): Json | undefined {
  const s = isObject(b.source) ? b.source : {};
  if (s.type === 'base64') return { type: 'image_url', image_url: { url: `data:${String(s.media_type)};base64,${String(s.data)}` } };
  if (s.type === 'url') return { type: 'image_url', image_url: { url: s.url } };
  return undefined;
}

/** reasoning_effort for a thinking budget (the inverse of the anthropic/ adapter's table). */
const effortFor = (budget: number) => (budget < 2048 ? 'low' : budget < 4096 ? 'medium' : 'high');

export function toOpenAIChat(req: Json): Json {
  const messages: Json[] = [];
  const system = typeof req.system === 'string' ? req.system : textOf(req.system);
  if (system !== '') messages.push({ role: 'system', content: system });
  for (const m of Array.isArray(req.messages) ? req.messages : []) {
    if (!isObject(m)) continue;
    const blocks = blocksOf(m.content);
    if (m.role === 'system') {
      // A system message in the conversation (Claude Code's mid-conversation system beta): one here too.
      const text = textOf(m.content);
      if (text !== '') messages.push({ role: 'system', content: text });
      continue;
    }
    if (m.role === 'assistant') {
      const text = blocks.filter((b) => b.type === 'text').map((b) => String(b.text ?? '')).join('');
      const calls = blocks
        .filter((b) => b.type === 'tool_use')
        .map((b) => ({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } }));
      messages.push({ role: 'assistant', content: text === '' && calls.length > 0 ? null : text, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
      continue;
    }
    // A user turn: tool results first (each its own tool message), then what the user said.
    const parts: Json[] = [];
    for (const b of blocks) {
      if (b.type === 'tool_result') {
        const content = typeof b.content === 'string' ? b.content : textOf(b.content);
        messages.push({ role: 'tool', tool_call_id: b.tool_use_id, content: b.is_error === true ? `Error: ${content}` : content });
      } else if (b.type === 'text') parts.push({ type: 'text', text: String(b.text ?? '') });
      else if (b.type === 'image') {
        const image = imagePart(b);
        if (image) parts.push(image);
      } else if (b.type === 'document' && isObject(b.source) && b.source.type === 'text') parts.push({ type: 'text', text: String(b.source.data ?? '') });
    }
    if (parts.length > 0) messages.push({ role: 'user', content: parts.every((p) => p.type === 'text') ? parts.map((p) => p.text).join('\n\n') : parts });
  }

  const body: Json = { model: req.model, messages };
  if (typeof req.max_tokens === 'number') body.max_tokens = req.max_tokens;
  if (Array.isArray(req.stop_sequences) && req.stop_sequences.length > 0) body.stop = req.stop_sequences;
  for (const k of ['temperature', 'top_p'] as const) if (typeof req[k] === 'number') body[k] = req[k];
  if (isObject(req.metadata) && typeof req.metadata.user_id === 'string') body.user = req.metadata.user_id;
  if (isObject(req.thinking) && req.thinking.type === 'enabled') body.reasoning_effort = effortFor(Number(req.thinking.budget_tokens) || 0);
  // Adaptive thinking with an effort (output_config.effort, as Claude Code sends): the same effort.
  const effort = isObject(req.output_config) ? req.output_config.effort : undefined;
  if (isObject(req.thinking) && req.thinking.type === 'adaptive' && (effort === 'low' || effort === 'medium' || effort === 'high')) body.reasoning_effort = effort;
  if (req.stream === true) {
    body.stream = true;
    body.stream_options = { include_usage: true }; // the back translation puts the usage into message_delta
  }
  const tools = (Array.isArray(req.tools) ? req.tools : []).filter((t): t is Json => isObject(t) && (t.type === undefined || t.type === 'custom') && typeof t.name === 'string');
  if (tools.length > 0) {
    body.tools = tools.map((t) => ({ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: isObject(t.input_schema) ? t.input_schema : { type: 'object', properties: {} } } }));
    const choice = isObject(req.tool_choice) ? req.tool_choice : undefined;
    if (choice?.type === 'any') body.tool_choice = 'required';
    else if (choice?.type === 'none') body.tool_choice = 'none';
    else if (choice?.type === 'tool') body.tool_choice = { type: 'function', function: { name: choice.name } };
    else if (choice?.type === 'auto') body.tool_choice = 'auto';
    if (choice?.disable_parallel_tool_use === true) body.parallel_tool_calls = false;
  }
  const native: NativeRequest = { format: 'anthropic', body: req };
  Object.defineProperty(body, NATIVE_REQUEST, { value: native, enumerable: false });
  return body;
}
