/**
 * router_config.yaml in the Aqueduct/LiteLLM `model_list` format: parsing, `os.environ/VAR` resolution
 * and validation. Every problem is collected (not thrown) so check-config can print them all.
 */
import { parse as parseYaml } from 'yaml';
import { BUILT_IN_PREFIXES, OPENAI_COMPATIBLE_PREFIXES, TRANSLATED_PREFIXES, TRANSLATING_PREFIXES, splitProviderModel } from './providers';
import { resolveEnvRef, type EnvLookup } from './env-ref';
import { Problems, isHttpUrl, isPlainObject } from './problems';
import { CLOUD_PARAM_KEYS, CLOUD_PREFIXES, readCloudDeployment, type CloudSettings } from './cloud-params';

export const MODEL_MODES = ['chat', 'completion', 'embedding', 'audio_speech', 'audio_transcriptions', 'image_generations'] as const;
export type ModelMode = (typeof MODEL_MODES)[number];
export const ROUTING_STRATEGIES = ['simple-shuffle', 'least-busy'] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

export interface Deployment {
  /** Unique within the config: `<model_name>#<index in model_list>`. */
  id: string;
  modelName: string;
  provider: string;
  upstreamModel: string;
  apiBase: string;
  apiKey?: string;
  /** Per-deployment timeout (connect and first byte), ms. */
  timeoutMs?: number;
  /** Relative share of traffic under simple-shuffle. */
  weight: number;
  extraHeaders: Record<string, string>;
  /** Demo provider only: a delay before every answer, ms (`mock_latency_ms`). */
  mockLatencyMs?: number;
  /** Cloud providers (azure/, gemini/, vertex_ai/, bedrock/): their typed connection settings. */
  cloud?: CloudSettings;
  /** Configured secrets besides apiKey (client secrets, AWS keys), redacted from upstream errors. */
  secrets?: string[];
  /**
   * How /v1/responses reaches this deployment (model_info.responses_api): `native` relays to the upstream's
   * own /responses; `translated` turns the call into a chat completion and back. Default: native for
   * OpenAI itself (`openai/` without an api_base), translated for every other upstream.
   */
  responsesApi: ResponsesApiMode;
}

export const RESPONSES_API_MODES = ['native', 'translated'] as const;
export type ResponsesApiMode = (typeof RESPONSES_API_MODES)[number];

export interface ModelEntry {
  name: string;
  mode?: ModelMode;
  aliases: string[];
  /** A request to this model costs 1/m of a request in rate limits. */
  requestLimitMultiplier: number;
  deployments: Deployment[];
}

export interface RouterSettings {
  numRetries: number;
  /** Global timeout (connect and first byte), ms. */
  timeoutMs: number;
  fallbacks: Map<string, string[]>;
  routingStrategy: RoutingStrategy;
  /** How long a failing deployment sits out, ms. */
  cooldownMs: number;
  /** Failures within a minute before a deployment cools down. */
  allowedFails: number;
}

export interface RouterConfig {
  /** Public models in config order. */
  models: Map<string, ModelEntry>;
  /** Alias → model_name. */
  aliases: Map<string, string>;
  settings: RouterSettings;
}

export const DEFAULT_ROUTER_SETTINGS: RouterSettings = {
  numRetries: 2,
  timeoutMs: 600_000,
  fallbacks: new Map(),
  routingStrategy: 'simple-shuffle',
  cooldownMs: 5_000,
  allowedFails: 3,
};

export function emptyRouterConfig(): RouterConfig {
  return { models: new Map(), aliases: new Map(), settings: { ...DEFAULT_ROUTER_SETTINGS, fallbacks: new Map() } };
}

/** Resolves an alias or model name to its model entry. */
export function resolveModel(config: RouterConfig, name: string): ModelEntry | undefined {
  return config.models.get(name) ?? config.models.get(config.aliases.get(name) ?? '');
}

const ROUTER_KEYS = ['num_retries', 'timeout', 'fallbacks', 'routing_strategy', 'cooldown_time', 'allowed_fails'];
const TOP_KEYS = new Set(['model_list', 'router_settings', ...ROUTER_KEYS]);
const ROUTER_SETTINGS_KEYS = new Set(ROUTER_KEYS);
const ENTRY_KEYS = new Set(['model_name', 'litellm_params', 'model_info']);
const PARAM_KEYS = new Set([
  'model', 'api_key', 'api_base', 'base_url', 'timeout', 'stream_timeout', 'tpm', 'rpm', 'max_retries',
  'weight', 'organization', 'api_version', 'extra_headers', 'headers', 'drop_params', 'max_parallel_requests',
  'input_cost_per_token', 'output_cost_per_token', 'order', 'mock_latency_ms', 'anthropic_version', ...CLOUD_PARAM_KEYS,
]);
const INFO_KEYS = new Set([
  'id', 'mode', 'aliases', 'request_limit_multiplier', 'supports_vision', 'supports_function_calling',
  'supports_reasoning', 'base_model', 'max_tokens', 'max_input_tokens', 'max_output_tokens',
  'input_cost_per_token', 'output_cost_per_token', 'description', 'responses_api',
]);

export interface LoadedRouterConfig {
  config: RouterConfig;
  problems: string[];
  /** Loads, but not everything asked is done. */
  warnings: string[];
}

/** Parses router_config.yaml text. `source` names the file in problem messages. */
export function parseRouterConfig(text: string, env: EnvLookup, source = 'router_config.yaml'): LoadedRouterConfig {
  const problems = new Problems(source);
  const config = emptyRouterConfig();
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    problems.add('', `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    return { config, problems: problems.list, warnings: problems.warnings };
  }
  if (doc == null) doc = {};
  if (!isPlainObject(doc)) {
    problems.add('', 'expected a mapping with a model_list');
    return { config, problems: problems.list, warnings: problems.warnings };
  }
  problems.unknownKeys('', doc, TOP_KEYS);

  const list = doc.model_list ?? [];
  if (!Array.isArray(list)) problems.add('model_list', 'expected a list');
  else list.forEach((entry, i) => addEntry(config, entry, i, env, problems));

  const routerSettings = doc.router_settings ?? {};
  if (!isPlainObject(routerSettings)) problems.add('router_settings', 'expected a mapping');
  else {
    problems.unknownKeys('router_settings', routerSettings, ROUTER_SETTINGS_KEYS);
    // Top-level keys (Aqueduct passes them to litellm.Router) and router_settings (LiteLLM proxy style) both work.
    readRouterSettings(config, { ...routerSettings, ...pick(doc, ROUTER_KEYS) }, problems);
  }
  checkAliases(config, problems);
  return { config, problems: problems.list, warnings: problems.warnings };
}

function pick(obj: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => obj[k] !== undefined).map((k) => [k, obj[k]]));
}

function addEntry(config: RouterConfig, entry: unknown, index: number, env: EnvLookup, problems: Problems): void {
  const path = `model_list[${index}]`;
  if (!isPlainObject(entry)) return problems.add(path, 'expected a mapping');
  problems.unknownKeys(path, entry, ENTRY_KEYS);
  const name = entry.model_name;
  if (typeof name !== 'string' || name.trim() === '') return problems.add(`${path}.model_name`, 'required (a non-empty string)');

  const rawParams = entry.litellm_params;
  if (!isPlainObject(rawParams)) return problems.add(`${path}.litellm_params`, 'required (a mapping)');
  problems.unknownKeys(`${path}.litellm_params`, rawParams, PARAM_KEYS);
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rawParams)) {
    const r = resolveEnvRef(value, env);
    if ('missing' in r) problems.add(`${path}.litellm_params.${key}`, `environment variable ${r.missing} is not set`);
    else params[key] = r.value;
  }

  const info = entry.model_info ?? {};
  if (!isPlainObject(info)) return problems.add(`${path}.model_info`, 'expected a mapping');
  problems.unknownKeys(`${path}.model_info`, info, INFO_KEYS);

  const deployment = readDeployment(name, params, `${path}.litellm_params`, problems, env);
  const model = config.models.get(name) ?? {
    name,
    aliases: [],
    requestLimitMultiplier: 1,
    deployments: [],
  };
  readModelInfo(model, info, `${path}.model_info`, problems);
  const responsesApi = readResponsesApi(deployment, params, info, `${path}.model_info.responses_api`, problems);
  if (deployment && responsesApi) model.deployments.push({ ...deployment, responsesApi, id: `${name}#${index}` });
  config.models.set(name, model);
}

function readDeployment(
  modelName: string,
  params: Record<string, unknown>,
  path: string,
  problems: Problems,
  env: EnvLookup,
): Omit<Deployment, 'responsesApi'> | undefined {
  const model = params.model;
  if (typeof model !== 'string' || model.trim() === '') {
    problems.add(`${path}.model`, 'required: "provider/upstream-model", e.g. openai/gpt-4.1-nano');
    return undefined;
  }
  const { provider, upstreamModel } = splitProviderModel(model);
  if (BUILT_IN_PREFIXES.has(provider)) return readBuiltInDeployment(modelName, provider, upstreamModel, params, path, problems);
  if (CLOUD_PREFIXES.has(provider)) return readCloud(modelName, provider, upstreamModel, params, path, problems, env);
  let ok = true;
  if (params.mock_latency_ms !== undefined) problems.add(`${path}.mock_latency_ms`, `only for the built-in demo/ provider, not "${provider}"`);
  const translated = TRANSLATED_PREFIXES[provider];
  if (!(provider in OPENAI_COMPATIBLE_PREFIXES) && translated === undefined) {
    ok = false;
    problems.add(
      `${path}.model`,
      TRANSLATING_PREFIXES.has(provider)
        ? `provider "${provider}" is not supported yet (supported: ${[...Object.keys(TRANSLATED_PREFIXES), ...CLOUD_PREFIXES].join(', ')} and OpenAI-compatible providers such as openai/, hosted_vllm/)`
        : `unknown provider prefix "${provider}" (supported: ${[...BUILT_IN_PREFIXES, ...Object.keys(TRANSLATED_PREFIXES), ...CLOUD_PREFIXES, ...Object.keys(OPENAI_COMPATIBLE_PREFIXES)].join(', ')})`,
    );
  }
  for (const key of translated?.required ?? []) {
    if (params[key] === undefined || params[key] === null || params[key] === '') {
      ok = false;
      problems.add(`${path}.${key}`, `required for provider "${provider}"${key === 'api_key' ? ` (e.g. os.environ/${provider.toUpperCase()}_API_KEY)` : ''}`);
    }
  }
  if (params.anthropic_version !== undefined && (provider !== 'anthropic' || typeof params.anthropic_version !== 'string')) {
    ok = false;
    problems.add(`${path}.anthropic_version`, provider === 'anthropic' ? 'expected a string such as "2023-06-01"' : `only for anthropic/ deployments, not "${provider}"`);
  }
  if (upstreamModel === '') {
    ok = false;
    problems.add(`${path}.model`, 'the upstream model name after the provider prefix is empty');
  }
  const base = params.api_base ?? params.base_url;
  let apiBase = translated ? translated.apiBase : OPENAI_COMPATIBLE_PREFIXES[provider];
  if (base !== undefined) {
    if (typeof base !== 'string' || !isHttpUrl(base)) {
      ok = false;
      problems.add(`${path}.api_base`, `not a valid http(s) URL: ${JSON.stringify(base)}`);
    } else apiBase = base.replace(/\/+$/, '');
  } else if (ok && apiBase === undefined) {
    ok = false;
    problems.add(`${path}.api_base`, `required for provider "${provider}"`);
  }
  const apiKey = params.api_key;
  if (apiKey !== undefined && apiKey !== null && typeof apiKey !== 'string') {
    ok = false;
    problems.add(`${path}.api_key`, 'expected a string');
  }
  const timeoutMs = seconds(params.timeout, `${path}.timeout`, problems);
  const weight = readWeight(params, path, problems);
  if (weight === undefined) ok = false;
  const extraHeaders: Record<string, string> = {};
  for (const key of ['extra_headers', 'headers'] as const) {
    const h = params[key];
    if (h === undefined) continue;
    if (!isPlainObject(h) || Object.values(h).some((v) => typeof v !== 'string')) {
      ok = false;
      problems.add(`${path}.${key}`, 'expected a mapping of header names to strings');
    } else Object.assign(extraHeaders, h);
  }
  if (typeof params.anthropic_version === 'string') extraHeaders['anthropic-version'] = params.anthropic_version;
  if (!ok) return undefined;
  return {
    id: '',
    modelName,
    provider,
    upstreamModel,
    apiBase: apiBase!,
    apiKey: typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined,
    timeoutMs,
    weight: weight!,
    extraHeaders,
  };
}

/** A cloud deployment (azure/, gemini/, vertex_ai/, bedrock/): its settings are read by cloud-params.ts. */
function readCloud(modelName: string, provider: string, upstreamModel: string, params: Record<string, unknown>, path: string, problems: Problems, env: EnvLookup): Omit<Deployment, 'responsesApi'> | undefined {
  if (params.mock_latency_ms !== undefined) problems.add(`${path}.mock_latency_ms`, `only for the built-in demo/ provider, not "${provider}"`);
  const parts = readCloudDeployment(provider, upstreamModel, params, env, path, problems);
  const timeoutMs = seconds(params.timeout, `${path}.timeout`, problems);
  const weight = readWeight(params, path, problems);
  const extraHeaders: Record<string, string> = {};
  for (const key of ['extra_headers', 'headers'] as const) {
    const h = params[key];
    if (h === undefined) continue;
    if (!isPlainObject(h) || Object.values(h).some((v) => typeof v !== 'string')) return void problems.add(`${path}.${key}`, 'expected a mapping of header names to strings');
    Object.assign(extraHeaders, h);
  }
  if (parts === undefined || weight === undefined) return undefined;
  return { id: '', modelName, provider, upstreamModel, apiBase: parts.apiBase, apiKey: parts.apiKey, timeoutMs, weight, extraHeaders, cloud: parts.cloud, secrets: parts.secrets };
}

/**
 * A deployment of a provider built into the gateway (`demo/<name>`): no api_base and no api_key; an
 * optional `mock_latency_ms`. Connection settings are refused rather than silently ignored.
 */
function readBuiltInDeployment(
  modelName: string,
  provider: string,
  upstreamModel: string,
  params: Record<string, unknown>,
  path: string,
  problems: Problems,
): Omit<Deployment, 'responsesApi'> | undefined {
  let ok = true;
  for (const key of ['api_base', 'base_url', 'api_key']) {
    if (params[key] !== undefined) {
      ok = false;
      problems.add(`${path}.${key}`, `the built-in ${provider}/ provider answers in-process and takes no ${key}`);
    }
  }
  if (upstreamModel === '') {
    ok = false;
    problems.add(`${path}.model`, 'the model name after the provider prefix is empty');
  }
  const latency = params.mock_latency_ms;
  if (latency !== undefined && (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0 || latency > 600_000)) {
    ok = false;
    problems.add(`${path}.mock_latency_ms`, 'expected a number of milliseconds from 0 to 600000');
  }
  const weight = readWeight(params, path, problems);
  if (!ok || weight === undefined) return undefined;
  return {
    id: '',
    modelName,
    provider,
    upstreamModel,
    apiBase: '',
    timeoutMs: seconds(params.timeout, `${path}.timeout`, problems),
    weight,
    extraHeaders: {},
    mockLatencyMs: typeof latency === 'number' ? latency : undefined,
  };
}

/** The share of traffic under simple-shuffle (default 1); undefined, with a problem, when not positive. */
function readWeight(params: Record<string, unknown>, path: string, problems: Problems): number | undefined {
  const weight = params.weight ?? 1;
  if (typeof weight === 'number' && weight > 0) return weight;
  problems.add(`${path}.weight`, 'expected a positive number');
  return undefined;
}

/** A timeout in seconds (number or numeric string) → ms; problems for anything else. */
function seconds(value: unknown, path: string, problems: Problems): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
    problems.add(path, 'expected a positive number of seconds');
    return undefined;
  }
  return Math.round(n * 1000);
}

function readModelInfo(model: ModelEntry, info: Record<string, unknown>, path: string, problems: Problems): void {
  if (info.mode !== undefined) {
    if (!(MODEL_MODES as readonly unknown[]).includes(info.mode)) {
      problems.add(`${path}.mode`, `expected one of ${MODEL_MODES.join(', ')}`);
    } else if (model.mode !== undefined && model.mode !== info.mode) {
      problems.add(`${path}.mode`, `"${info.mode}" differs from "${model.mode}" set by another deployment of ${model.name}`);
    } else model.mode = info.mode as ModelMode;
  }
  if (info.aliases !== undefined) {
    if (!Array.isArray(info.aliases) || info.aliases.some((a) => typeof a !== 'string' || a === '')) {
      problems.add(`${path}.aliases`, 'expected a list of non-empty strings');
    } else {
      for (const alias of info.aliases as string[]) if (!model.aliases.includes(alias)) model.aliases.push(alias);
    }
  }
  const m = info.request_limit_multiplier;
  if (m !== undefined) {
    if (typeof m !== 'number' || !Number.isFinite(m) || m <= 0) {
      problems.add(`${path}.request_limit_multiplier`, 'expected a positive number');
    } else model.requestLimitMultiplier = m;
  }
  if (info.id !== undefined && typeof info.id !== 'string') problems.add(`${path}.id`, 'expected a string');
}

/** model_info.responses_api, or the provider's default (see Deployment.responsesApi). */
function readResponsesApi(deployment: Omit<Deployment, 'responsesApi'> | undefined, params: Record<string, unknown>, info: Record<string, unknown>, path: string, problems: Problems): ResponsesApiMode | undefined {
  const raw = info.responses_api;
  if (raw !== undefined && !(RESPONSES_API_MODES as readonly unknown[]).includes(raw)) {
    problems.add(path, `expected one of ${RESPONSES_API_MODES.join(', ')}`);
    return undefined;
  }
  if (deployment === undefined) return undefined;
  if (BUILT_IN_PREFIXES.has(deployment.provider)) {
    if (raw === 'native') {
      problems.add(path, `the built-in ${deployment.provider}/ provider serves /v1/responses through translation only`);
      return undefined;
    }
    return 'translated';
  }
  if (raw !== undefined) return raw as ResponsesApiMode;
  return deployment.provider === 'openai' && params.api_base === undefined && params.base_url === undefined ? 'native' : 'translated';
}

function readRouterSettings(config: RouterConfig, raw: Record<string, unknown>, problems: Problems): void {
  const s = config.settings;
  if (raw.num_retries !== undefined) {
    if (!Number.isInteger(raw.num_retries) || (raw.num_retries as number) < 0) problems.add('num_retries', 'expected a non-negative integer');
    else s.numRetries = raw.num_retries as number;
  }
  const timeout = seconds(raw.timeout, 'timeout', problems);
  if (timeout !== undefined) s.timeoutMs = timeout;
  const cooldown = raw.cooldown_time;
  if (cooldown !== undefined) {
    if (typeof cooldown !== 'number' || cooldown < 0) problems.add('cooldown_time', 'expected a non-negative number of seconds');
    else s.cooldownMs = Math.round(cooldown * 1000);
  }
  if (raw.allowed_fails !== undefined) {
    if (!Number.isInteger(raw.allowed_fails) || (raw.allowed_fails as number) < 0) problems.add('allowed_fails', 'expected a non-negative integer');
    else s.allowedFails = raw.allowed_fails as number;
  }
  if (raw.routing_strategy !== undefined) {
    if (!(ROUTING_STRATEGIES as readonly unknown[]).includes(raw.routing_strategy)) {
      problems.add('routing_strategy', `unsupported "${String(raw.routing_strategy)}" (supported: ${ROUTING_STRATEGIES.join(', ')})`);
    } else s.routingStrategy = raw.routing_strategy as RoutingStrategy;
  }
  if (raw.fallbacks !== undefined) readFallbacks(config, raw.fallbacks, problems);
}

/** `fallbacks: [{model: [fallback, …]}, …]` — every name must be a configured model or alias. */
function readFallbacks(config: RouterConfig, raw: unknown, problems: Problems): void {
  if (!Array.isArray(raw)) return problems.add('fallbacks', 'expected a list of {model: [fallback models]}');
  raw.forEach((item, i) => {
    if (!isPlainObject(item)) return problems.add(`fallbacks[${i}]`, 'expected a mapping {model: [fallback models]}');
    for (const [from, to] of Object.entries(item)) {
      const targets = typeof to === 'string' ? [to] : to;
      if (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string')) {
        problems.add(`fallbacks[${i}].${from}`, 'expected a list of model names');
        continue;
      }
      const known = (n: string) => config.models.has(n) || config.aliases.has(n) || hasAlias(config, n);
      if (!known(from)) problems.add(`fallbacks[${i}]`, `unknown model "${from}"`);
      for (const t of targets as string[]) if (!known(t)) problems.add(`fallbacks[${i}].${from}`, `unknown fallback model "${t}"`);
      config.settings.fallbacks.set(from, targets as string[]);
    }
  });
}

function hasAlias(config: RouterConfig, name: string): boolean {
  for (const m of config.models.values()) if (m.aliases.includes(name)) return true;
  return false;
}

/** Aliases are global: unique across models and never equal to a model_name. */
function checkAliases(config: RouterConfig, problems: Problems): void {
  for (const model of config.models.values()) {
    for (const alias of model.aliases) {
      const owner = config.aliases.get(alias);
      if (owner !== undefined) problems.add(`model_info.aliases`, `duplicate alias "${alias}" (models ${owner} and ${model.name})`);
      else if (config.models.has(alias)) problems.add(`model_info.aliases`, `alias "${alias}" of ${model.name} is also a model_name`);
      else config.aliases.set(alias, model.name);
    }
  }
  // Fallback names may be aliases: normalise them to model names now that aliases are known.
  for (const [from, targets] of [...config.settings.fallbacks]) {
    config.settings.fallbacks.delete(from);
    config.settings.fallbacks.set(config.aliases.get(from) ?? from, targets.map((t) => config.aliases.get(t) ?? t));
  }
}
