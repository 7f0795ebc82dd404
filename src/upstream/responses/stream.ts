/**
 * A chat completions SSE stream as the Responses event stream the official SDKs parse, translated event
 * by event as it arrives (read only as the client reads): `response.created`, `response.in_progress`,
 * then per output item `response.output_item.added`, for reasoning (`reasoning_content`) its summary part
 * (`response.reasoning_summary_part.added`, `response.reasoning_summary_text.delta`… `.done`, `…part.done`),
 * for text `response.content_part.added`,
 * `response.output_text.delta`… `response.output_text.done`, `response.content_part.done`, for tool calls
 * `response.function_call_arguments.delta`… `.done`, then `response.output_item.done`; and once the
 * upstream's `[DONE]` arrives, `response.completed` (or `response.incomplete`) with the usage. Every event
 * has an `event:` line and a `sequence_number`. An upstream error event is passed on as it is; an upstream
 * that ends without `[DONE]` ends this stream without `response.completed` (the relay adds the error event).
 */
import { finished, functionCallItem, messageItem, randomId, reasoningItem, responseFrame } from './from-chat';
import { isObject } from '../../json';
import type { ItemIds } from '../../response-ids';

type Json = Record<string, unknown>;
const encoder = new TextEncoder();

interface TextItem {
  kind: 'text' | 'reasoning';
  id: string;
  outputIndex: number;
  text: string;
  done: boolean;
}
interface CallItem {
  kind: 'call';
  id: string;
  outputIndex: number;
  callId: string;
  name: string;
  args: string;
  done: boolean;
}

export function chatStreamToResponses(upstream: ReadableStream<Uint8Array>, request: Json, ids: ItemIds): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let seq = 0;
  let frame: Json | undefined;
  let text: TextItem | undefined;
  let reasoning: TextItem | undefined;
  const calls = new Map<number, CallItem>();
  const output: Json[] = [];
  let outputCount = 0;
  let finishReason: unknown;
  let usage: unknown;
  let over = false;

  const emit = (type: string, fields: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;

  const start = (chunk: Json): string => {
    frame = responseFrame(request, ids.responseId, chunk.model ?? request.model, typeof chunk.created === 'number' ? chunk.created : undefined);
    return emit('response.created', { response: frame }) + emit('response.in_progress', { response: frame });
  };

  const openText = (kind: 'text' | 'reasoning'): [TextItem, string] => {
    const item: TextItem = { kind, id: ids.next(kind === 'text' ? 'msg_' : 'rs_'), outputIndex: outputCount++, text: '', done: false };
    if (kind === 'reasoning') {
      // The upstream's reasoning text is the item's one summary part, streamed as summary text deltas.
      return [
        item,
        emit('response.output_item.added', { output_index: item.outputIndex, item: { id: item.id, type: 'reasoning', summary: [] } }) +
          emit('response.reasoning_summary_part.added', { item_id: item.id, output_index: item.outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' } }),
      ];
    }
    return [
      item,
      emit('response.output_item.added', { output_index: item.outputIndex, item: { ...messageItem(item.id, '', 'in_progress'), content: [] } }) +
        emit('response.content_part.added', { item_id: item.id, output_index: item.outputIndex, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } }),
    ];
  };

  const closeText = (item: TextItem): string => {
    item.done = true;
    if (item.kind === 'reasoning') {
      const done = reasoningItem(item.id, item.text);
      output[item.outputIndex] = done;
      const base = { item_id: item.id, output_index: item.outputIndex, summary_index: 0 };
      return (
        emit('response.reasoning_summary_text.done', { ...base, text: item.text }) +
        emit('response.reasoning_summary_part.done', { ...base, part: { type: 'summary_text', text: item.text } }) +
        emit('response.output_item.done', { output_index: item.outputIndex, item: done })
      );
    }
    const done = messageItem(item.id, item.text);
    output[item.outputIndex] = done;
    const base = { item_id: item.id, output_index: item.outputIndex, content_index: 0 };
    return (
      emit('response.output_text.done', { ...base, text: item.text, logprobs: [] }) +
      emit('response.content_part.done', { ...base, part: { type: 'output_text', text: item.text, annotations: [], logprobs: [] } }) +
      emit('response.output_item.done', { output_index: item.outputIndex, item: done })
    );
  };

  const closeCall = (call: CallItem): string => {
    call.done = true;
    const done = functionCallItem(call.id, call.callId, call.name, call.args);
    output[call.outputIndex] = done;
    return (
      emit('response.function_call_arguments.done', { item_id: call.id, output_index: call.outputIndex, name: call.name, arguments: call.args }) +
      emit('response.output_item.done', { output_index: call.outputIndex, item: done })
    );
  };

  const closeAll = (): string => {
    let out = '';
    const open = [reasoning, text, ...calls.values()].filter((i): i is TextItem | CallItem => i !== undefined && !i.done).sort((a, b) => a.outputIndex - b.outputIndex);
    for (const item of open) out += item.kind === 'call' ? closeCall(item) : closeText(item);
    return out;
  };

  /** One upstream chunk → the events it makes. */
  const translate = (chunk: Json): string => {
    let out = frame === undefined ? start(chunk) : '';
    if (chunk.usage !== undefined && chunk.usage !== null) usage = chunk.usage;
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (!isObject(choice)) return out;
    const delta = isObject(choice.delta) ? choice.delta : {};
    const thought = delta.reasoning_content ?? delta.reasoning;
    if (typeof thought === 'string' && thought !== '') {
      if (reasoning === undefined) {
        const [item, events] = openText('reasoning');
        reasoning = item;
        out += events;
      }
      reasoning.text += thought;
      out += emit('response.reasoning_summary_text.delta', { item_id: reasoning.id, output_index: reasoning.outputIndex, summary_index: 0, delta: thought });
    }
    if (typeof delta.content === 'string' && delta.content !== '') {
      if (reasoning !== undefined && !reasoning.done) out += closeText(reasoning);
      if (text === undefined) {
        const [item, events] = openText('text');
        text = item;
        out += events;
      }
      text.text += delta.content;
      out += emit('response.output_text.delta', { item_id: text.id, output_index: text.outputIndex, content_index: 0, delta: delta.content, logprobs: [] });
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const part of delta.tool_calls) {
        if (!isObject(part)) continue;
        const index = typeof part.index === 'number' ? part.index : 0;
        const fn = isObject(part.function) ? part.function : {};
        let call = calls.get(index);
        if (call === undefined) {
          if (text !== undefined && !text.done) out += closeText(text);
          call = { kind: 'call', id: ids.next('fc_'), outputIndex: outputCount++, callId: String(part.id ?? randomId('call_')), name: String(fn.name ?? ''), args: '', done: false };
          calls.set(index, call);
          out += emit('response.output_item.added', { output_index: call.outputIndex, item: functionCallItem(call.id, call.callId, call.name, '', 'in_progress') });
        }
        if (typeof fn.arguments === 'string' && fn.arguments !== '') {
          call.args += fn.arguments;
          out += emit('response.function_call_arguments.delta', { item_id: call.id, output_index: call.outputIndex, delta: fn.arguments });
        }
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
      finishReason = choice.finish_reason;
      out += closeAll();
    }
    return out;
  };

  /** One SSE event of the upstream → the text to send. */
  const handle = (event: string): string => {
    let data = '';
    for (const line of event.split('\n')) if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
    if (data === '') return '';
    if (data === '[DONE]') {
      over = true;
      if (frame === undefined) frame = responseFrame(request, ids.responseId, request.model);
      const final = finished(frame, finishReason, output.filter(Boolean), usage);
      return closeAll() + emit(final.status === 'completed' ? 'response.completed' : 'response.incomplete', { response: final });
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return '';
    }
    if (isObject(chunk) && chunk.error !== undefined) {
      over = true; // the upstream's own error event: pass it on and stop
      return `data: ${data}\n\n`;
    }
    return isObject(chunk) ? translate(chunk) : '';
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (over) return controller.close();
        const { done, value } = await reader.read();
        if (done) {
          const rest = buffer.trim() === '' ? '' : handle(buffer.trim());
          buffer = '';
          if (rest) controller.enqueue(encoder.encode(rest));
          return controller.close();
        }
        buffer += decoder.decode(value, { stream: true });
        if (buffer.includes('\r')) buffer = buffer.replace(/\r\n?/g, '\n');
        let out = '';
        let cut: number;
        while (!over && (cut = buffer.indexOf('\n\n')) >= 0) {
          out += handle(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
        if (out !== '') {
          controller.enqueue(encoder.encode(out));
          if (over) {
            reader.cancel().catch(() => {});
            controller.close();
          }
          return;
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
