/**
 * Server-sent events for translating providers: reading an upstream SSE body event by event, and writing
 * OpenAI chunks as an SSE body that ends with `[DONE]` (or errors, so the relay ends it with an error
 * event and no `[DONE]`). Pull-based: the upstream is read only as fast as the client reads.
 */
const encoder = new TextEncoder();

/** The `data` of every event of an SSE body, in order. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      if (buffer.includes('\r')) buffer = buffer.replace(/\r\n?/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const data = dataOf(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (data !== undefined) yield data;
      }
    }
    const rest = dataOf(buffer.trim());
    if (rest !== undefined) yield rest;
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}

function dataOf(event: string): string | undefined {
  let data: string | undefined;
  for (const line of event.split('\n')) {
    if (line.startsWith('data:')) data = (data === undefined ? '' : `${data}\n`) + line.slice(line.charCodeAt(5) === 32 ? 6 : 5);
  }
  return data;
}

/**
 * An SSE response of the chunks a generator yields, then `[DONE]`. When the generator throws, the body
 * errors (the relay turns that into an error event). Cancelling the body ends the generator.
 */
export function sseResponse(chunks: AsyncGenerator<object>, headers?: Record<string, string>): Response {
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) {
          controller.enqueue(encoder.encode('data: [DONE]\n\n'));
          controller.close();
        } else controller.enqueue(encoder.encode(`data: ${JSON.stringify(next.value)}\n\n`));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await chunks.return(undefined).catch(() => {});
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', ...headers } });
}
