/** A person at a browser, in-process: keeps the console session cookie and posts forms the way a browser does. */
import type { TestGateway } from './app';

export const ORIGIN = 'http://localhost';

export class ConsoleClient {
  cookie: string | undefined;
  constructor(private readonly gw: TestGateway) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.keepCookie(await this.gw.app.handle(new Request(`${ORIGIN}${path}`, { headers: { accept: 'text/html', ...this.cookieHeader(), ...headers } })));
  }

  /** Posts a form; a browser sends its Origin and Sec-Fetch-Site (override them to play another site). */
  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const res = await this.gw.app.handle(
      new Request(`${ORIGIN}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, 'sec-fetch-site': 'same-origin', ...this.cookieHeader(), ...headers },
        body: new URLSearchParams(form).toString(),
      }),
    );
    return this.keepCookie(res);
  }

  private keepCookie(res: Response): Response {
    const set = res.headers.get('set-cookie');
    if (set !== null) {
      const value = /^aq_console=([^;]*)/.exec(set)?.[1];
      this.cookie = value === undefined || value === '' ? undefined : value;
    }
    return res;
  }

  async signIn(key: string): Promise<Response> {
    return this.post('/ui/sign-in', { key });
  }

  /** The CSRF token of the keys page (every form there carries it). */
  async csrf(): Promise<string> {
    const body = await (await this.get('/ui/keys')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
    if (token === undefined) throw new Error(`no CSRF token on the keys page:\n${body}`);
    return token;
  }

  private cookieHeader(): Record<string, string> {
    return this.cookie === undefined ? {} : { cookie: `aq_console=${this.cookie}` };
  }
}
