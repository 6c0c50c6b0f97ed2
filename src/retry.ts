/**
 * Bounded retries with capped, jittered exponential backoff ("full jitter"), honouring a server's
 * Retry-After, and never sleeping past an overall deadline.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Epoch ms after which no new attempt starts. */
  deadline: number;
}

/** What one attempt tells the retry loop. */
export type AttemptOutcome<T> =
  | { done: true; value: T }
  | { done: false; error: Error; retryAfterMs?: number };

export interface RetryHooks {
  /** Called before each wait; `attempt` is the attempt that failed (1-based). */
  onRetry?: (info: { attempt: number; delayMs: number; error: Error }) => void;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delay before retry number `attempt` (1-based): random in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/** Parses a Retry-After header (seconds or an HTTP date) into ms; undefined when absent or invalid. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Runs `attempt` until it reports done, it reports a non-retryable failure (throws), the attempts run
 * out, or the next wait would pass the deadline; then throws the last error.
 */
export async function retry<T>(attempt: (attemptNumber: number) => Promise<AttemptOutcome<T>>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  const sleep = hooks.sleep ?? defaultSleep;
  const now = hooks.now ?? Date.now;
  for (let attemptNumber = 1; ; attemptNumber++) {
    const outcome = await attempt(attemptNumber);
    if (outcome.done) return outcome.value;
    if (attemptNumber >= policy.maxAttempts) throw outcome.error;
    // Retry-After is the server's word; backoff applies when it says nothing. Either is capped by maxDelayMs.
    const delayMs = Math.min(policy.maxDelayMs, outcome.retryAfterMs ?? backoffDelay(attemptNumber, policy, hooks.random));
    if (now() + delayMs >= policy.deadline) throw outcome.error;
    hooks.onRetry?.({ attempt: attemptNumber, delayMs, error: outcome.error });
    await sleep(delayMs);
  }
}
