/** A stored file's bytes as a download: the one answer shape for GET /files/:id/content and the console's link. */

/**
 * RFC 6266 Content-Disposition for any filename: header values must be Latin-1 (a name like 文件.txt made
 * the Response constructor throw), so the name goes percent-encoded in `filename*` (RFC 5987), with an
 * ASCII-only `filename` for clients that do not read it.
 */
export function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Streamed from the byte store; never sniffed into something a browser would render (a file may hold any markup). */
export const DOWNLOAD_HEADERS = (filename: string) => ({
  'content-type': 'application/octet-stream',
  'content-disposition': attachment(filename),
  'x-content-type-options': 'nosniff',
});

/**
 * A directory store hands over the file (Bun sends it with its Content-Length); an S3 object comes as a stream,
 * sent chunked (a Content-Length set here does not survive the app's response handling).
 */
export const fileDownload = (body: Blob | ReadableStream<Uint8Array>, filename: string, extra: Record<string, string> = {}) =>
  new Response(body, { headers: { ...DOWNLOAD_HEADERS(filename), ...extra } });
