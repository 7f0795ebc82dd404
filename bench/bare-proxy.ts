/**
 * The floor for any Bun gateway: a minimal fetch pass-through (no auth, no parsing, no metering).
 * Usage: bun bench/bare-proxy.ts --port 9200 --upstream http://127.0.0.1:9100/m
 */
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const upstream = arg('--upstream', 'http://127.0.0.1:9100');
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(arg('--port', '9200')),
  idleTimeout: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const res = await fetch(upstream + url.pathname + url.search, { method: req.method, headers: req.headers, body: req.body, signal: req.signal });
    return new Response(res.body, { status: res.status, headers: res.headers });
  },
});
console.log(`bare proxy on http://127.0.0.1:${server.port} → ${upstream}`);
