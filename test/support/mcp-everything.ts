/** The reference MCP server (@modelcontextprotocol/server-everything, pinned in package.json) as a real upstream. */
import { join } from 'node:path';

export interface EverythingServer {
  url: string;
  stop(): Promise<void>;
}

export async function startEverything(): Promise<EverythingServer> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const entry = join(import.meta.dir, '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js');
  const proc = Bun.spawn([process.execPath, entry, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdout: 'pipe', stderr: 'pipe' });
  let text = '';
  const decoder = new TextDecoder();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-everything did not start: ${text}`)), 15_000);
    for (const s of [proc.stdout, proc.stderr]) {
      (async () => {
        for await (const chunk of s) {
          text += decoder.decode(chunk);
          if (/listening on port/i.test(text)) {
            clearTimeout(timer);
            resolve();
          }
        }
      })();
    }
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}
