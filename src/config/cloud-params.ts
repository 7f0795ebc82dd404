/**
 * The litellm_params of the cloud providers (azure/, gemini/, vertex_ai/, bedrock/), under LiteLLM's own
 * names, read and checked at load time so check-config names what each deployment is missing. Values may
 * come from the environment the way LiteLLM reads them (AZURE_API_KEY, GEMINI_API_KEY, AWS_REGION, …).
 * The upstream adapters (src/upstream/providers/<name>/) get the typed result as `deployment.cloud`.
 */
import { readFileSync } from 'node:fs';
import type { EnvLookup } from './env-ref';
import { isHttpUrl, isPlainObject, type Problems } from './problems';

export const CLOUD_PREFIXES: ReadonlySet<string> = new Set(['azure', 'gemini', 'vertex_ai', 'bedrock']);

/** The litellm_params keys the cloud providers read (accepted in every entry, like LiteLLM does). */
export const CLOUD_PARAM_KEYS = [
  'api_version', 'azure_ad_token', 'tenant_id', 'client_id', 'client_secret', 'azure_authority_host',
  'vertex_project', 'vertex_location', 'vertex_credentials',
  'aws_region_name', 'aws_access_key_id', 'aws_secret_access_key', 'aws_session_token',
] as const;

/** Azure's newest GA data-plane version, used when a deployment URL style needs one and none is set. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';
const AZURE_V1_VERSIONS = new Set(['v1', 'latest', 'preview']);

export interface AzureSettings {
  kind: 'azure';
  /** `deployments`: {base}/openai/deployments/{d}/<op>?api-version=; `v1`: {base}/openai/v1/<op>. */
  style: 'deployments' | 'v1';
  apiVersion: string;
  adToken?: string;
  clientCredentials?: { tenantId: string; clientId: string; clientSecret: string; authorityHost: string };
}

export interface ServiceAccount {
  clientEmail: string;
  privateKeyPem: string;
  tokenUri: string;
  projectId?: string;
}

export interface GoogleSettings {
  kind: 'gemini' | 'vertex_ai';
  project?: string;
  location?: string;
  serviceAccount?: ServiceAccount;
}

export interface BedrockSettings {
  kind: 'bedrock';
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type CloudSettings = AzureSettings | GoogleSettings | BedrockSettings;

export interface CloudDeploymentParts {
  apiBase: string;
  apiKey?: string;
  cloud: CloudSettings;
  /** Values that must never reach a caller (redacted from upstream error messages). */
  secrets: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * Reads the connection settings of a cloud deployment; undefined (with problems) when something is
 * missing or malformed. `path` is the litellm_params location for messages.
 */
export function readCloudDeployment(provider: string, upstreamModel: string, params: Record<string, unknown>, env: EnvLookup, path: string, problems: Problems): CloudDeploymentParts | undefined {
  const before = problems.list.length;
  const base = str(params.api_base) ?? str(params.base_url);
  if (base !== undefined && !isHttpUrl(base)) problems.add(`${path}.api_base`, `not a valid http(s) URL: ${JSON.stringify(base)}`);
  const trimmed = base?.replace(/\/+$/, '');
  let parts: CloudDeploymentParts | undefined;
  switch (provider) {
    case 'azure':
      parts = readAzure(params, trimmed, env, path, problems);
      break;
    case 'gemini':
      parts = readGemini(params, trimmed, env, path, problems);
      break;
    case 'vertex_ai':
      parts = readVertex(params, trimmed, env, path, problems);
      break;
    case 'bedrock':
      parts = readBedrock(params, trimmed, env, path, problems);
      break;
  }
  if (upstreamModel === '') problems.add(`${path}.model`, 'the upstream model name after the provider prefix is empty');
  return problems.list.length === before ? parts : undefined;
}

function readAzure(params: Record<string, unknown>, base: string | undefined, env: EnvLookup, path: string, problems: Problems): CloudDeploymentParts | undefined {
  const apiBase = base ?? str(env.AZURE_API_BASE)?.replace(/\/+$/, '');
  if (apiBase === undefined) problems.add(`${path}.api_base`, 'required for azure/: the resource endpoint, e.g. https://my-resource.openai.azure.com (or set AZURE_API_BASE)');
  const version = str(params.api_version) ?? str(env.AZURE_API_VERSION);
  // The v1 API when asked for by name, or when the base already ends in /openai/v1 and no version is set.
  const v1 = version !== undefined ? AZURE_V1_VERSIONS.has(version) : apiBase?.endsWith('/openai/v1') === true;
  // Credentials the entry names win over the environment's; among them: api_key, azure_ad_token, client credentials.
  const named = [params.api_key, params.azure_ad_token, params.tenant_id, params.client_id, params.client_secret].some((v) => str(v) !== undefined);
  const fromEnv = (key: string) => (named ? undefined : str(env[key]));
  const apiKey = str(params.api_key) ?? fromEnv('AZURE_API_KEY');
  const adToken = str(params.azure_ad_token) ?? fromEnv('AZURE_AD_TOKEN');
  const tenantId = str(params.tenant_id) ?? fromEnv('AZURE_TENANT_ID');
  const clientId = str(params.client_id) ?? fromEnv('AZURE_CLIENT_ID');
  const clientSecret = str(params.client_secret) ?? fromEnv('AZURE_CLIENT_SECRET');
  const someCredentials = [tenantId, clientId, clientSecret].filter((x) => x !== undefined).length;
  if (apiKey === undefined && adToken === undefined) {
    if (someCredentials === 0) problems.add(path, 'azure/ needs credentials: api_key (or AZURE_API_KEY), azure_ad_token, or tenant_id + client_id + client_secret');
    else if (someCredentials < 3) {
      const missing = [['tenant_id', tenantId], ['client_id', clientId], ['client_secret', clientSecret]].filter(([, v]) => v === undefined).map(([k]) => k);
      problems.add(path, `azure/ client credentials are incomplete: ${missing.join(', ')} missing`);
    }
  }
  const authorityHost = (str(params.azure_authority_host) ?? str(env.AZURE_AUTHORITY_HOST) ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  if (!isHttpUrl(authorityHost)) problems.add(`${path}.azure_authority_host`, `not a valid http(s) URL: ${JSON.stringify(authorityHost)}`);
  if (apiBase === undefined) return undefined;
  const cloud: AzureSettings = {
    kind: 'azure',
    style: v1 ? 'v1' : 'deployments',
    apiVersion: version ?? AZURE_DEFAULT_API_VERSION,
    adToken: apiKey === undefined ? adToken : undefined,
    clientCredentials: apiKey === undefined && adToken === undefined && tenantId && clientId && clientSecret ? { tenantId, clientId, clientSecret, authorityHost } : undefined,
  };
  return { apiBase: apiBase.replace(/\/openai\/v1$/, ''), apiKey, cloud, secrets: [apiKey, adToken, clientSecret].filter((x): x is string => x !== undefined) };
}

function readGemini(params: Record<string, unknown>, base: string | undefined, env: EnvLookup, path: string, problems: Problems): CloudDeploymentParts | undefined {
  const apiKey = str(params.api_key) ?? str(env.GEMINI_API_KEY) ?? str(env.GOOGLE_API_KEY);
  if (apiKey === undefined) problems.add(`${path}.api_key`, 'required for gemini/: a Google AI Studio API key (or set GEMINI_API_KEY)');
  if (apiKey === undefined) return undefined;
  return { apiBase: base ?? 'https://generativelanguage.googleapis.com/v1beta', apiKey, cloud: { kind: 'gemini' }, secrets: [apiKey] };
}

function readVertex(params: Record<string, unknown>, base: string | undefined, env: EnvLookup, path: string, problems: Problems): CloudDeploymentParts | undefined {
  const raw = params.vertex_credentials ?? env.GOOGLE_APPLICATION_CREDENTIALS;
  let serviceAccount: ServiceAccount | undefined;
  if (raw === undefined || raw === null || raw === '') {
    problems.add(`${path}.vertex_credentials`, 'required for vertex_ai/: a service-account JSON key (a file path or the JSON itself; or set GOOGLE_APPLICATION_CREDENTIALS)');
  } else serviceAccount = readServiceAccount(raw, `${path}.vertex_credentials`, problems);
  const project = str(params.vertex_project) ?? str(env.VERTEXAI_PROJECT) ?? serviceAccount?.projectId;
  if (project === undefined) problems.add(`${path}.vertex_project`, 'required for vertex_ai/ (or a project_id in the service-account key, or VERTEXAI_PROJECT)');
  const location = str(params.vertex_location) ?? str(env.VERTEXAI_LOCATION) ?? 'us-central1';
  if (!/^[a-z0-9-]+$/.test(location)) problems.add(`${path}.vertex_location`, `not a Google Cloud location: ${JSON.stringify(location)}`);
  if (serviceAccount === undefined || project === undefined) return undefined;
  const host = location === 'global' ? 'aiplatform.googleapis.com' : `${location}-aiplatform.googleapis.com`;
  return { apiBase: base ?? `https://${host}/v1`, cloud: { kind: 'vertex_ai', project, location, serviceAccount }, secrets: [serviceAccount.privateKeyPem] };
}

/** A service-account key: a JSON object, the JSON text, or a path to the JSON file. */
function readServiceAccount(raw: unknown, path: string, problems: Problems): ServiceAccount | undefined {
  let json: unknown = raw;
  if (typeof raw === 'string') {
    const text = raw.trim().startsWith('{') ? raw : readText(raw, path, problems);
    if (text === undefined) return undefined;
    try {
      json = JSON.parse(text);
    } catch {
      problems.add(path, 'not valid JSON (expected a service-account key)');
      return undefined;
    }
  }
  if (!isPlainObject(json)) {
    problems.add(path, 'expected a service-account key (a JSON object)');
    return undefined;
  }
  const clientEmail = str(json.client_email);
  const privateKeyPem = str(json.private_key);
  const missing = [['client_email', clientEmail], ['private_key', privateKeyPem]].filter(([, v]) => v === undefined).map(([k]) => k);
  if (json.type !== undefined && json.type !== 'service_account') problems.add(path, `type "${String(json.type)}" is not supported (only service_account keys)`);
  if (missing.length > 0) problems.add(path, `the service-account key has no ${missing.join(', ')}`);
  if (clientEmail === undefined || privateKeyPem === undefined) return undefined;
  return { clientEmail, privateKeyPem, tokenUri: str(json.token_uri) ?? 'https://oauth2.googleapis.com/token', projectId: str(json.project_id) };
}

function readText(file: string, path: string, problems: Problems): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    problems.add(path, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
}

function readBedrock(params: Record<string, unknown>, base: string | undefined, env: EnvLookup, path: string, problems: Problems): CloudDeploymentParts | undefined {
  const region = str(params.aws_region_name) ?? str(env.AWS_REGION) ?? str(env.AWS_DEFAULT_REGION);
  const accessKeyId = str(params.aws_access_key_id) ?? str(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = str(params.aws_secret_access_key) ?? str(env.AWS_SECRET_ACCESS_KEY);
  // A session token belongs to the key it came with: take it from where the key came from.
  const sessionToken = str(params.aws_access_key_id) !== undefined ? str(params.aws_session_token) : (str(params.aws_session_token) ?? str(env.AWS_SESSION_TOKEN));
  if (region === undefined) problems.add(`${path}.aws_region_name`, 'required for bedrock/ (or set AWS_REGION)');
  if (accessKeyId === undefined) problems.add(`${path}.aws_access_key_id`, 'required for bedrock/ (or set AWS_ACCESS_KEY_ID)');
  if (secretAccessKey === undefined) problems.add(`${path}.aws_secret_access_key`, 'required for bedrock/ (or set AWS_SECRET_ACCESS_KEY)');
  if (region !== undefined && !/^[a-z0-9-]+$/.test(region)) problems.add(`${path}.aws_region_name`, `not an AWS region: ${JSON.stringify(region)}`);
  if (region === undefined || accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  return {
    apiBase: base ?? `https://bedrock-runtime.${region}.amazonaws.com`,
    cloud: { kind: 'bedrock', region, accessKeyId, secretAccessKey, sessionToken },
    secrets: [secretAccessKey, ...(sessionToken ? [sessionToken] : [])],
  };
}
