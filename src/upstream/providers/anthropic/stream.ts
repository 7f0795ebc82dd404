/**
 * Anthropic stream events → OpenAI chat.completion.chunk objects, one call's state at a time:
 * message_start → the role chunk; content_block_start(tool_use) → a tool_calls entry (OpenAI index counted
 * apart from Anthropic's block index: id, name, empty arguments); text_delta → content; input_json_delta →
 * argument fragments; thinking_delta → reasoning_content; signature_delta → thinking_blocks (so the
 * signature can go back in the next turn); message_delta → finish_reason; message_stop → the usage chunk
 * and [DONE]; ping and content_block_stop are dropped; `error` → an OpenAI error chunk (and no [DONE]).
 */
import type { MappedEvent, StreamMapper, WireEvent } from '../../translating';
import { finishReason, openAIError, openAIUsage } from './answer';
import { JSON_TOOL } from './request';
import { isObject } from '../../../json';

type Json = Record<string, unknown>;

export function anthropicStreamMapper(model: string, jsonTool: boolean): StreamMapper {
  let id = `msg_${crypto.randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  let usage: Json = {};
  /** Anthropic block index → OpenAI tool index (tool_use blocks only). */
  const toolIndex = new Map<number, number>();
  /** Block indexes of the JSON tool (their input is the answer's content). */
  const jsonBlocks = new Set<number>();
  let sawJson = false;
  const chunk = (delta: Json, finish: string | null = null): Json => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });

  return {
    map({ event, data }: WireEvent): MappedEvent[] {
      let e: Json;
      try {
        e = JSON.parse(data) as Json;
      } catch {
        return [];
      }
      const type = typeof e.type === 'string' ? e.type : event;
      switch (type) {
        case 'message_start': {
          const m = isObject(e.message) ? e.message : {};
          if (typeof m.id === 'string') id = m.id;
          if (typeof m.model === 'string') model = m.model;
          usage = { ...(isObject(m.usage) ? m.usage : {}) };
          return [chunk({ role: 'assistant', content: '' })];
        }
        case 'content_block_start': {
          const block = isObject(e.content_block) ? e.content_block : {};
          const index = Number(e.index);
          if (block.type === 'tool_use') {
            if (jsonTool && block.name === JSON_TOOL) {
              jsonBlocks.add(index);
              sawJson = true;
              return [];
            }
            const n = toolIndex.size;
            toolIndex.set(index, n);
            return [chunk({ tool_calls: [{ index: n, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] })];
          }
          if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') return [chunk({ content: block.text })];
          if (block.type === 'redacted_thinking') return [chunk({ thinking_blocks: [block] })];
          return [];
        }
        case 'content_block_delta': {
          const d = isObject(e.delta) ? e.delta : {};
          const index = Number(e.index);
          switch (d.type) {
            case 'text_delta':
              return [chunk({ content: String(d.text ?? '') })];
            case 'input_json_delta':
              if (jsonBlocks.has(index)) return [chunk({ content: String(d.partial_json ?? '') })];
              return [chunk({ tool_calls: [{ index: toolIndex.get(index) ?? 0, function: { arguments: String(d.partial_json ?? '') } }] })];
            case 'thinking_delta':
              return [chunk({ reasoning_content: String(d.thinking ?? '') })];
            case 'signature_delta':
              return [chunk({ thinking_blocks: [{ type: 'thinking', thinking: '', signature: d.signature }] })];
            default:
              return [];
          }
        }
        case 'message_delta': {
          if (isObject(e.usage)) for (const [k, v] of Object.entries(e.usage)) if (v !== null && v !== undefined) usage[k] = v;
          const d = isObject(e.delta) ? e.delta : {};
          return [chunk({}, finishReason(d.stop_reason, sawJson && toolIndex.size === 0))];
        }
        case 'message_stop':
          return [{ id, object: 'chat.completion.chunk', created, model, choices: [], usage: openAIUsage(usage) }, 'DONE'];
        case 'error': {
          const err = isObject(e.error) ? e.error : {};
          return [openAIError(529, JSON.stringify({ error: err }))];
        }
        default:
          return []; // ping, content_block_stop, anything new
      }
    },
  };
}
