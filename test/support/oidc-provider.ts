/**
 * A real OpenID provider for tests: `oidc-provider` (npm, runs under Bun with an "unsupported runtime"
 * notice) on 127.0.0.1, with its development login form (any `login` and `password`; the login is the
 * account id), a consent form, PKCE required, RP-initiated logout, and accounts whose email and groups the
 * test changes between sign-ins. Groups are a `profile` claim: by default they reach the gateway through
 * userinfo (the ID token carries only what the spec puts there); `groupsInIdToken` puts them in the ID token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount {
  email: string;
  groups: string[];
}

export interface TestProvider {
  issuer: string;
  accounts: Map<string, TestAccount>;
  stop(): Promise<void>;
}

export async function startTestProvider(opts: { gatewayUrl: string; clientId?: string; groupsInIdToken?: boolean }): Promise<TestProvider> {
  const accounts = new Map<string, TestAccount>();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: opts.clientId ?? 'aqueduct',
        token_endpoint_auth_method: 'none',
        redirect_uris: [`${opts.gatewayUrl}/ui/auth/callback`],
        post_logout_redirect_uris: [`${opts.gatewayUrl}/ui/sign-in`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    conformIdTokenClaims: !opts.groupsInIdToken,
    cookies: { keys: ['a test provider, nothing secret'] },
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub);
      if (account === undefined) return undefined;
      return { accountId: sub, claims: async () => ({ sub, email: account.email, email_verified: true, name: sub, groups: account.groups }) };
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    accounts,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
