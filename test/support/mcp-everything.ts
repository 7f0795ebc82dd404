/** The reference MCP server (@modelcontextprotocol/server-everything, pinned in package.json) as a real upstream. */
import { join } from 'node:path';

export interface EverythingServer {
  url: string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it); the server is told to use it. */
function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

export async function startEverything(attempts = 5): Promise<EverythingServer> {
  const entry = join(import.meta.dir, '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js');
  for (let attempt = 1; ; attempt++) {
    const port = freePort();
    const proc = Bun.spawn([process.execPath, entry, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdout: 'pipe', stderr: 'pipe' });
    let text = '';
    const decoder = new TextDecoder();
    const started = await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server-everything did not start: ${text}`)), 15_000);
      // Another process can take the port between the probe and the server's listen: then try another.
      void proc.exited.then(() => {
        clearTimeout(timer);
        resolve(false);
      });
      for (const s of [proc.stdout, proc.stderr]) {
        (async () => {
          for await (const chunk of s) {
            text += decoder.decode(chunk);
            if (/listening on port/i.test(text)) {
              clearTimeout(timer);
              resolve(true);
            }
          }
        })();
      }
    });
    if (started) {
      return {
        url: `http://127.0.0.1:${port}/mcp`,
        async stop() {
          proc.kill();
          await proc.exited;
        },
      };
    }
    if (attempt >= attempts) throw new Error(`server-everything did not start after ${attempts} attempts: ${text}`);
  }
}
