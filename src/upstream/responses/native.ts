/**
 * Retrieve, delete and input_items of a response kept by the upstream itself (`responses_api: native`):
 * one request to the deployment that created it, with that deployment's key and headers, within its
 * timeout. The answer is returned as it came (the caller maps failures).
 */
import type { Deployment } from '../../config/router-config';

export async function toNativeResponses(deployment: Deployment, method: 'GET' | 'DELETE', path: string, timeoutMs: number, clientSignal: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...deployment.extraHeaders };
  if (deployment.apiKey !== undefined) headers.authorization = `Bearer ${deployment.apiKey}`;
  const signal = AbortSignal.any([clientSignal, AbortSignal.timeout(timeoutMs)]);
  return fetch(`${deployment.apiBase}/responses${path}`, { method, headers, signal });
}
