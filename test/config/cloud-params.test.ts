/** The cloud providers' litellm_params: LiteLLM's names load unchanged; check-config names what is missing. */
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRouterConfig } from '../../src/config/router-config';
import { Secrets } from '../../src/calls/secrets';

const entry = (params: string) => `model_list:\n  - model_name: m\n    litellm_params: { ${params} }\n`;
const load = (params: string, env: Record<string, string> = {}) => parseRouterConfig(entry(params), env);
const deployment = (params: string, env: Record<string, string> = {}) => {
  const r = load(params, env);
  expect(r.problems).toEqual([]);
  return r.config.models.get('m')!.deployments[0]!;
};

const SA = JSON.stringify({ type: 'service_account', project_id: 'from-key', client_email: 'x@from-key.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n' });

describe('check-config names what each cloud provider is missing', () => {
  test('each prefix with nothing set', () => {
    const problems = (model: string) => load(`model: ${model}`).problems.join('\n');
    const azure = problems('azure/gpt-4o');
    expect(azure).toContain('litellm_params.api_base: required for azure/');
    expect(azure).toContain('azure/ needs credentials: api_key (or AZURE_API_KEY), azure_ad_token, or tenant_id + client_id + client_secret');
    expect(problems('gemini/gemini-2.5-flash')).toContain('litellm_params.api_key: required for gemini/');
    const vertex = problems('vertex_ai/gemini-2.5-pro');
    expect(vertex).toContain('litellm_params.vertex_credentials: required for vertex_ai/');
    expect(vertex).toContain('litellm_params.vertex_project: required for vertex_ai/');
    const bedrock = load('model: bedrock/anthropic.claude-v2').problems;
    expect(bedrock.map((p) => p.split(': ')[1])).toEqual(['model_list[0].litellm_params.aws_region_name', 'model_list[0].litellm_params.aws_access_key_id', 'model_list[0].litellm_params.aws_secret_access_key']);
    expect(problems('azure/x')).not.toContain('not supported yet');
  });

  test('incomplete Azure client credentials, an unreadable or malformed service-account key', () => {
    expect(load('model: azure/d, api_base: "https://r.openai.azure.com", tenant_id: t, client_id: c').problems.join('\n')).toContain('client credentials are incomplete: client_secret missing');
    expect(load('model: vertex_ai/g, vertex_project: p, vertex_credentials: /nonexistent/sa.json').problems.join('\n')).toContain('cannot read /nonexistent/sa.json: ENOENT');
    expect(load(`model: vertex_ai/g, vertex_project: p, vertex_credentials: '{"type": "service_account"}'`).problems.join('\n')).toContain('the service-account key has no client_email, private_key');
  });
});

describe('LiteLLM parameter names load unchanged', () => {
  test('azure/: the URL style rule', () => {
    const v = (params: string) => deployment(`model: azure/dep, api_key: k, ${params}`);
    expect(v('api_base: "https://r.openai.azure.com", api_version: "2024-10-21"')).toMatchObject({ apiBase: 'https://r.openai.azure.com', cloud: { style: 'deployments', apiVersion: '2024-10-21' } });
    expect(v('api_base: "https://r.openai.azure.com/"').cloud).toMatchObject({ style: 'deployments', apiVersion: '2024-10-21' }); // no version: the default GA one
    expect(v('api_base: "https://r.openai.azure.com", api_version: v1').cloud).toMatchObject({ style: 'v1' });
    expect(v('api_base: "https://r.openai.azure.com/openai/v1"')).toMatchObject({ apiBase: 'https://r.openai.azure.com', cloud: { style: 'v1' } });
    expect(v('api_base: "https://r.openai.azure.com/openai/v1", api_version: "2024-10-21"').cloud).toMatchObject({ style: 'deployments' });
  });

  test('azure/: credentials the entry names win over the environment; the environment fills in otherwise', () => {
    const env = { AZURE_API_KEY: 'env-key-123456', AZURE_API_BASE: 'https://env.openai.azure.com', AZURE_API_VERSION: '2025-01-01-preview' };
    expect(deployment('model: azure/d', env)).toMatchObject({ apiKey: 'env-key-123456', apiBase: 'https://env.openai.azure.com', cloud: { apiVersion: '2025-01-01-preview' } });
    const ad = deployment('model: azure/d, azure_ad_token: tok-1234567890', env);
    expect(ad.apiKey).toBeUndefined();
    expect(ad.cloud).toMatchObject({ adToken: 'tok-1234567890' });
    const cc = deployment('model: azure/d, tenant_id: t, client_id: c, client_secret: s3cret-value-1', env);
    expect(cc.cloud).toMatchObject({ clientCredentials: { tenantId: 't', clientId: 'c', clientSecret: 's3cret-value-1', authorityHost: 'https://login.microsoftonline.com' } });
  });

  test('vertex_ai/: credentials as JSON text or a file; project from the key unless vertex_project is set; location → host', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aq-sa-')), 'sa.json');
    writeFileSync(file, SA);
    expect(deployment(`model: vertex_ai/g, vertex_credentials: ${file}`)).toMatchObject({ apiBase: 'https://us-central1-aiplatform.googleapis.com/v1', cloud: { project: 'from-key', location: 'us-central1' } });
    expect(deployment('model: vertex_ai/g, vertex_credentials: os.environ/SA, vertex_project: mine, vertex_location: europe-west4', { SA })).toMatchObject({
      apiBase: 'https://europe-west4-aiplatform.googleapis.com/v1',
      cloud: { project: 'mine', serviceAccount: { clientEmail: 'x@from-key.iam.gserviceaccount.com', tokenUri: 'https://oauth2.googleapis.com/token' } },
    });
    expect(deployment('model: vertex_ai/g, vertex_credentials: os.environ/SA, vertex_location: global', { SA }).apiBase).toBe('https://aiplatform.googleapis.com/v1');
  });

  test('gemini/ and bedrock/: defaults and the AWS environment', () => {
    expect(deployment('model: gemini/gemini-2.5-flash', { GEMINI_API_KEY: 'g-key' })).toMatchObject({ apiKey: 'g-key', apiBase: 'https://generativelanguage.googleapis.com/v1beta' });
    const env = { AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'env-secret-value', AWS_SESSION_TOKEN: 'env-session-token' };
    expect(deployment('model: bedrock/amazon.nova-pro-v1:0', env)).toMatchObject({ apiBase: 'https://bedrock-runtime.eu-central-1.amazonaws.com', cloud: { region: 'eu-central-1', accessKeyId: 'AKIAENV', sessionToken: 'env-session-token' } });
    // A key named in the entry does not borrow the environment's session token.
    const named = deployment('model: bedrock/x, aws_region_name: us-east-1, aws_access_key_id: AKIANAMED, aws_secret_access_key: named-secret-1', env);
    expect(named.cloud).toMatchObject({ region: 'us-east-1', accessKeyId: 'AKIANAMED', sessionToken: undefined });
  });

  test('client secrets and AWS secret keys are redacted from upstream error messages', () => {
    const r = parseRouterConfig(
      `model_list:
  - model_name: a
    litellm_params: { model: azure/d, api_base: "https://r.openai.azure.com", tenant_id: t, client_id: c, client_secret: client-secret-xyz }
  - model_name: b
    litellm_params: { model: bedrock/x, aws_region_name: us-east-1, aws_access_key_id: AKIA1, aws_secret_access_key: aws-secret-xyz }
`,
      {},
    );
    expect(r.problems).toEqual([]);
    expect(Secrets.of(r.config).redact('bad client-secret-xyz and aws-secret-xyz')).toBe('bad [redacted] and [redacted]');
  });
});
