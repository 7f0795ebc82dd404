/** The mock upstream in its own process, steered over HTTP: for tests where the upstream cuts streams. */
import { join } from 'node:path';
import type { Received, Step } from './mock-upstream';

export class RemoteMock {
  private constructor(
    readonly url: string,
    private readonly proc: Bun.Subprocess,
  ) {}

  static async start(): Promise<RemoteMock> {
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'mock-upstream.ts'), '--port', '0', '--record'], { stdout: 'pipe', stderr: 'ignore' });
    const reader = proc.stdout.getReader();
    let out = '';
    while (!/on (http:\/\/\S+)/.test(out)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`mock upstream did not start: ${out}`);
      out += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    return new RemoteMock(/on (http:\/\/\S+)/.exec(out)![1]!, proc);
  }

  base(deployment = 'default'): string {
    return `${this.url}/${deployment}/v1`;
  }

  private async post(action: string, body: unknown = {}) {
    await fetch(`${this.url}/__mock/${action}`, { method: 'POST', body: JSON.stringify(body) });
  }

  script = (deployment: string, ...steps: Step[]) => this.post('script', { deployment, steps });
  reset = () => this.post('reset');
  configure = (c: { latencyMs?: number; extraWords?: number }) => this.post('config', c);

  async received(): Promise<Received[]> {
    return (await (await fetch(`${this.url}/__mock/received`)).json()) as Received[];
  }

  async stop(): Promise<void> {
    this.proc.kill();
    await this.proc.exited;
  }
}
