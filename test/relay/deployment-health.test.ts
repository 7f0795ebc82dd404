/** DeploymentHealth's read-only snapshot (the console's Deployments page): cooldown left, failures within the window. */
import { expect, test } from 'bun:test';
import type { Deployment } from '../../src/config/router-config';
import { DeploymentHealth } from '../../src/upstream/deployment-health';
import { hostOf } from '../../src/upstream/router';

const d = { id: 'm#0' } as Deployment;

test('the snapshot counts down a cooldown and forgets failures older than a minute', () => {
  let now = 1_000_000;
  const h = new DeploymentHealth(2, 30_000, () => now);
  expect(h.snapshot(d)).toEqual({ inFlight: 0, cooldownLeftMs: 0, recentFailures: 0 });
  h.failed(d);
  now += 1_000;
  h.failed(d); // the second failure within a minute: cooldown
  h.start(d);
  expect(h.snapshot(d)).toEqual({ inFlight: 1, cooldownLeftMs: 30_000, recentFailures: 2 });
  now += 29_000;
  expect(h.snapshot(d).cooldownLeftMs).toBe(1_000);
  expect(h.coolingDown(d)).toBe(true);
  now += 1_000;
  expect(h.snapshot(d)).toEqual({ inFlight: 1, cooldownLeftMs: 0, recentFailures: 2 });
  expect(h.coolingDown(d)).toBe(false);
  now += 29_500; // 60.5 s after the first failure, 59.5 s after the second
  expect(h.snapshot(d).recentFailures).toBe(1);
  now += 1_000;
  h.finish(d);
  expect(h.snapshot(d)).toEqual({ inFlight: 0, cooldownLeftMs: 0, recentFailures: 0 });
});

test('hostOf keeps only the host of an api_base', () => {
  expect(hostOf('https://user:pw@api.example.com:8443/v1?key=abc')).toBe('api.example.com:8443');
  expect(hostOf('')).toBe('');
});
