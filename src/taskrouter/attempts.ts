/**
 * What both TaskRouter HTTP layers share (the refresher's own client, rest.ts, and the `twilio`-based
 * one the other scripts use, http-client.ts): their options, how one attempt's failure is judged
 * (retried or not, and in which words), and the retry policy and counts around it. Free of `twilio`,
 * so the refresher's bundle never loads it.
 */
import { TaskRouterError } from '../errors';
import { parseRetryAfter, type AttemptOutcome, type RetryHooks, type RetryPolicy } from '../retry';

export interface TaskRouterHttpOptions {
  /** Base URL that stands in for https://taskrouter.twilio.com. */
  baseUrl: string;
  requestTimeoutMs: number;
  /** Epoch ms by which the whole run must be done; no attempt starts, and no wait ends, after it. */
  deadline: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Requests (retries included) start at least this many ms apart: a bounded rate, for long jobs that
   * share the account's limit with the live refresher (the Events export). Default 0: no pacing.
   */
  minIntervalMs?: number;
  /** Called before each retry with the request's path (never its query or credentials). */
  onRetry?: (info: { path: string; status: number | undefined; attempt: number; delayMs: number }) => void;
}

/** Requests and retries made through one client. */
export interface RequestCounters {
  requests: number;
  retries: number;
}

/** The retry policy the options ask for, with the defaults. */
export function retryPolicyOf(options: TaskRouterHttpOptions): RetryPolicy {
  return { maxAttempts: options.maxAttempts ?? 6, baseDelayMs: options.baseDelayMs ?? 250, maxDelayMs: options.maxDelayMs ?? 10_000, deadline: options.deadline };
}

/** Counts each retry and tells `onRetry` about it, naming only the request's path. */
export function countedRetries(counters: RequestCounters, options: TaskRouterHttpOptions, path: string): RetryHooks {
  return {
    onRetry: ({ attempt, delayMs, error }) => {
      counters.retries++;
      options.onRetry?.({ path, status: (error as TaskRouterError).status, attempt, delayMs });
    },
  };
}

/** No attempt starts past the run's deadline. */
export const outOfTime = (path: string): AttemptOutcome<never> => ({ done: false, error: new TaskRouterError(`TaskRouter refresh ran out of time before ${path}`) });

/** A truncated or garbled page: read again. */
export const notJson = (path: string): AttemptOutcome<never> => ({ done: false, error: new TaskRouterError(`TaskRouter sent a body that is not JSON for ${path}`, 200) });

/** Network-level failures worth another attempt (resets, refusals, timeouts, DNS hiccups), node's and axios's names. */
const NETWORK_CODES = /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|ERR_BAD_RESPONSE|ERR_NETWORK|EHOSTUNREACH|ENETUNREACH|ERR_SOCKET_CONNECTION_TIMEOUT)$/;

/** A request that got no answer: retried when the network failed, thrown otherwise. */
export function unanswered(error: unknown, path: string): AttemptOutcome<never> {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.test(code)) return { done: false, error: new TaskRouterError(`TaskRouter unreachable at ${path} (${code})`, undefined, { cause: error }) };
  throw new TaskRouterError(`TaskRouter request to ${path} failed: ${(error as Error).message}`, undefined, { cause: error });
}

/** 429 and 5xx are retried, after Retry-After when it is given; null for any other status. */
export function retriedStatus(status: number, retryAfter: unknown, path: string): AttemptOutcome<never> | null {
  if (status !== 429 && status < 500) return null;
  const error = new TaskRouterError(`TaskRouter answered HTTP ${status} for ${path}`, status);
  const retryAfterMs = parseRetryAfter(retryAfter);
  return retryAfterMs === undefined ? { done: false, error } : { done: false, error, retryAfterMs };
}
