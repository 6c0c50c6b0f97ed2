/**
 * The `twilio` client's HTTP layer, extended with what a refresh needs: requests sent to a configurable
 * TaskRouter base URL (a local double in development), retries of 429, 5xx, network errors and garbled
 * bodies with capped jittered backoff that honours Retry-After, and counts for the run's log line.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type TwilioResponse from 'twilio/lib/http/response';
import { TaskRouterError } from '../errors';
import { parseRetryAfter, retry, type RetryPolicy } from '../retry';
import { DEFAULT_TASKROUTER_API_URL } from '../config';


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

const RETRYABLE_STATUS = (status: number) => status === 429 || status >= 500;

/** Network-level failures worth another attempt (resets, refusals, timeouts, DNS hiccups). */
function isNetworkError(error: unknown): error is Error {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|ERR_BAD_RESPONSE|ERR_NETWORK|EHOSTUNREACH|ENETUNREACH|ERR_SOCKET_CONNECTION_TIMEOUT)$/.test(code);
}

/** The path of a URL, for logs: no host, no query, no credentials. */
function pathOf(uri: string): string {
  try {
    return new URL(uri).pathname;
  } catch {
    return '(unparseable url)';
  }
}

export class TaskRouterHttpClient extends twilio.RequestClient {
  readonly counters: RequestCounters = { requests: 0, retries: 0 };
  private readonly policy: RetryPolicy;
  private readonly publicOrigin = new URL(DEFAULT_TASKROUTER_API_URL).origin;
  private readonly baseUrl: string;
  /** When the next request may start (pacing). */
  private nextStartAt = 0;

  constructor(private readonly options: TaskRouterHttpOptions) {
    // keepAlive: a refresh makes its few requests back to back over one connection.
    super({ timeout: options.requestTimeoutMs, keepAlive: true });
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.policy = {
      maxAttempts: options.maxAttempts ?? 6,
      baseDelayMs: options.baseDelayMs ?? 250,
      maxDelayMs: options.maxDelayMs ?? 10_000,
      deadline: options.deadline,
    };
  }

  /** Maps TaskRouter's public origin onto the configured base; other URLs (e.g. absolute next pages) pass. */
  private rewrite(uri: string): string {
    return uri.startsWith(this.publicOrigin) ? this.baseUrl + uri.slice(this.publicOrigin.length) : uri;
  }

  /** Waits until the pacing interval since the last request's start has passed. */
  private async pace(): Promise<void> {
    const interval = this.options.minIntervalMs ?? 0;
    if (interval <= 0) return;
    const wait = this.nextStartAt - Date.now();
    this.nextStartAt = Math.max(Date.now(), this.nextStartAt) + interval;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<TwilioResponse<TData>> {
    const uri = this.rewrite(opts.uri);
    const path = pathOf(uri);
    return retry<TwilioResponse<TData>>(
      async () => {
        if (Date.now() >= this.policy.deadline) {
          return { done: false, error: new TaskRouterError(`TaskRouter refresh ran out of time before ${path}`) };
        }
        await this.pace();
        this.counters.requests++;
        let response: TwilioResponse<TData>;
        try {
          response = await super.request<TData>({ ...opts, uri });
        } catch (error) {
          if (isNetworkError(error)) {
            return { done: false, error: new TaskRouterError(`TaskRouter unreachable at ${path} (${(error as Error & { code: string }).code})`, undefined, { cause: error }) };
          }
          throw new TaskRouterError(`TaskRouter request to ${path} failed: ${(error as Error).message}`, undefined, { cause: error });
        }
        if (RETRYABLE_STATUS(response.statusCode)) {
          const retryAfterMs = parseRetryAfter(response.headers?.['retry-after']);
          const error = new TaskRouterError(`TaskRouter answered HTTP ${response.statusCode} for ${path}`, response.statusCode);
          return retryAfterMs === undefined ? { done: false, error } : { done: false, error, retryAfterMs };
        }
        if (response.statusCode === 200 && typeof response.body === 'string') {
          // axios hands back a string when the body was not valid JSON: a truncated or garbled page.
          try {
            JSON.parse(response.body);
          } catch {
            return { done: false, error: new TaskRouterError(`TaskRouter sent a body that is not JSON for ${path}`, 200) };
          }
        }
        return { done: true, value: response };
      },
      this.policy,
      {
        onRetry: ({ attempt, delayMs, error }) => {
          this.counters.retries++;
          this.options.onRetry?.({ path, status: (error as TaskRouterError).status, attempt, delayMs });
        },
      },
    );
  }
}
