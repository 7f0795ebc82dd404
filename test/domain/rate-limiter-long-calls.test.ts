/** Token charges survive long calls: a call's tokens count however long it ran, even after its window was swept. */
import { expect, test } from 'bun:test';
import { InMemoryRateLimiter } from '../../src/domain/rate-limiter';

const limits = { rpm: null, itpm: null, otpm: 50 };

test('a 5-minute stream on a key with only a token limit is charged to its window when it ends', () => {
  let now = 1_800_000_000_000;
  const limiter = new InMemoryRateLimiter(() => now);
  try {
    expect(limiter.admit(7, limits, 1).allowed).toBe(true); // the stream starts
    now += 5 * 60_000; // …and runs for five minutes, while the idle windows are swept
    limiter.sweep();
    limiter.addTokens(7, 10, 60); // it ends: 60 output tokens, over the 50 a minute
    const next = limiter.admit(7, limits, 1);
    expect(next.allowed).toBe(false);
    expect(next.exceeded).toEqual(['Output token limit (50/min)']);
    expect(next.state.outputTokens).toMatchObject({ limit: 50, remaining: 0 });
    // A minute later the charge has left the window.
    now += 61_000;
    expect(limiter.admit(7, limits, 1).allowed).toBe(true);
  } finally {
    limiter.close();
  }
});

test('tokens of a key that was never admitted in this window (a request limit refused nothing) are still counted', () => {
  let now = 1_800_000_000_000;
  const limiter = new InMemoryRateLimiter(() => now);
  try {
    limiter.addTokens(9, 0, 80);
    expect(limiter.admit(9, limits, 1).allowed).toBe(false);
  } finally {
    limiter.close();
  }
});
