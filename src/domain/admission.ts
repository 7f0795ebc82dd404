/**
 * Admission of a model call, before anything goes upstream: the model must exist and not be excluded for
 * the key (an excluded model is indistinguishable from an unknown one), must serve the endpoint, and the
 * key's rate limits must have room. Returns the model and the x-ratelimit-* headers for the answer.
 */
import { resolveModel, type ModelEntry, type RouterConfig } from '../config/router-config';
import { ApiError, modelNotFound } from '../http/api-error';
import { pathsForMode, type Endpoint } from '../upstream/endpoints';
import type { Principal } from './key-cache';
import { formatDuration, type RateLimiter } from './rate-limiter';

export interface Admitted {
  model: ModelEntry;
  rateHeaders: Record<string, string>;
}

/** The model a key may use under this name (alias or model_name), or undefined. */
export function visibleModel(config: RouterConfig, principal: Principal, name: string): ModelEntry | undefined {
  const model = resolveModel(config, name);
  return model && !principal.excludedModels.has(model.name) ? model : undefined;
}

export async function admit(config: RouterConfig, limiter: RateLimiter, principal: Principal, endpoint: Endpoint, requested: string): Promise<Admitted> {
  const model = visibleModel(config, principal, requested);
  if (!model) throw modelNotFound(requested);
  if (model.mode !== undefined && !endpoint.modes.includes(model.mode)) {
    const serves = pathsForMode(model.mode).join(', ') || 'no endpoint of this gateway';
    throw new ApiError(400, `Model ${model.name} is a ${model.mode} model: it serves ${serves}, not /v1${endpoint.path}.`, {
      param: 'model',
      code: 'model_not_supported',
      headers: { 'x-should-retry': 'false' },
    });
  }
  const decision = await limiter.admit(principal.keyId, principal.limits, 1 / model.requestLimitMultiplier);
  if (!decision.allowed) {
    const wait = Math.max(decision.retryAfterMs, 1);
    throw new ApiError(429, `Rate limit exceeded. ${decision.exceeded.join(', ')}. Try again in ${formatDuration(wait)}.`, {
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      headers: { ...decision.headers, 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))), 'retry-after-ms': String(Math.ceil(wait)) },
    });
  }
  return { model, rateHeaders: decision.headers };
}
