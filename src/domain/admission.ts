/**
 * Admission of a model call, before anything goes upstream: the model must exist and not be excluded for
 * the key (an excluded model is indistinguishable from an unknown one), must serve the endpoint, and the
 * key's rate limits must have room. Returns the model, the fallbacks the caller may use, and the
 * rate-limit budgets left.
 */
import { resolveModel, type ModelEntry, type RouterConfig } from '../config/router-config';
import { pathsForMode, type Endpoint } from '../config/endpoints';
import type { Principal } from './key-cache';
import { formatDuration, type RateLimiter } from './rate-limiter';
import { modelNotFound, Refusal, type RateState } from './refusal';

export interface Admitted {
  model: ModelEntry;
  /** The model, then its fallbacks that this caller may use, in order. */
  chain: ModelEntry[];
  rate: RateState;
}

/** The model a key may use under this name (alias or model_name), or undefined. */
export function visibleModel(config: RouterConfig, principal: Pick<Principal, 'excludedModels'>, name: string): ModelEntry | undefined {
  const model = resolveModel(config, name);
  return model && !principal.excludedModels.has(model.name) ? model : undefined;
}

/** A model and the fallbacks a caller may use: an excluded model is never tried, not even as a fallback. */
export function chainFor(config: RouterConfig, principal: Pick<Principal, 'excludedModels'>, model: ModelEntry): ModelEntry[] {
  const chain = [model];
  for (const name of config.settings.fallbacks.get(model.name) ?? []) {
    const fallback = config.models.get(name);
    if (fallback !== undefined && !principal.excludedModels.has(fallback.name) && !chain.includes(fallback)) chain.push(fallback);
  }
  return chain;
}

/** The model a caller may use for this endpoint under this name; refusals for unknown, excluded or unfit models. */
export function usableModel(config: RouterConfig, principal: Pick<Principal, 'excludedModels'>, endpoint: Endpoint, requested: string): ModelEntry {
  const model = visibleModel(config, principal, requested);
  if (!model) throw modelNotFound(requested);
  if (model.mode !== undefined && !endpoint.modes.includes(model.mode)) {
    const serves = pathsForMode(model.mode).join(', ') || 'no endpoint of this gateway';
    throw new Refusal('invalid', `Model ${model.name} is a ${model.mode} model: it serves ${serves}, not /v1${endpoint.path}.`, {
      param: 'model',
      code: 'model_not_supported',
      final: true,
    });
  }
  return model;
}

export async function admit(config: RouterConfig, limiter: RateLimiter, principal: Principal, endpoint: Endpoint, requested: string): Promise<Admitted> {
  const model = usableModel(config, principal, endpoint, requested);
  const decision = await limiter.admit(principal.keyId, principal.limits, 1 / model.requestLimitMultiplier, principal.pools);
  if (!decision.allowed) {
    const wait = Math.max(decision.retryAfterMs, 1);
    throw new Refusal('rate_limited', `Rate limit exceeded. ${decision.exceeded.join(', ')}. Try again in ${formatDuration(wait)}.`, {
      code: 'rate_limit_exceeded',
      retryAfterMs: wait,
      rate: decision.state,
    });
  }
  return { model, chain: chainFor(config, principal, model), rate: decision.state };
}
