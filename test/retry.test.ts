import { backoffDelay, parseRetryAfter, retry } from '../src/retry';

describe('retry', () => {
  const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, deadline: Number.MAX_SAFE_INTEGER };

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(10, policy, () => 1)).toBe(1000);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  it('parses Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('retries until success, honouring Retry-After, and reports each wait', async () => {
    const waits: number[] = [];
    let calls = 0;
    const value = await retry(
      async () => (++calls < 3 ? { done: false as const, error: new Error(`fail ${calls}`), retryAfterMs: 250 } : { done: true as const, value: 'ok' }),
      policy,
      { sleep: async (ms) => void waits.push(ms), onRetry: () => undefined },
    );
    expect(value).toBe('ok');
    expect(waits).toEqual([250, 250]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    let calls = 0;
    await expect(retry(async () => ({ done: false as const, error: new Error(`fail ${++calls}`) }), policy, { sleep: async () => undefined })).rejects.toThrow('fail 4');
  });

  it('never sleeps past the deadline', async () => {
    const now = 1000;
    let calls = 0;
    await expect(
      retry(async () => ({ done: false as const, error: new Error(`fail ${++calls}`), retryAfterMs: 600 }), { ...policy, deadline: now + 500 }, { now: () => now, sleep: async () => undefined }),
    ).rejects.toThrow('fail 1');
  });
});
