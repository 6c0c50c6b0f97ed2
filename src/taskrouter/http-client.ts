/**
 * The `twilio` client's HTTP layer, extended with what a refresh needs: requests sent to a configurable
 * TaskRouter base URL (a local double in development), retries of 429, 5xx, network errors and garbled
 * bodies with capped jittered backoff that honours Retry-After, and counts for the run's log line.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type TwilioResponse from 'twilio/lib/http/response';
import { retry, type RetryPolicy } from '../retry';
import { DEFAULT_TASKROUTER_API_URL } from '../config';
import { countedRetries, notJson, outOfTime, retriedStatus, retryPolicyOf, unanswered, type RequestCounters, type TaskRouterHttpOptions } from './attempts';

export type { RequestCounters, TaskRouterHttpOptions } from './attempts';

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
    this.policy = retryPolicyOf(options);
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
        if (Date.now() >= this.policy.deadline) return outOfTime(path);
        await this.pace();
        this.counters.requests++;
        let response: TwilioResponse<TData>;
        try {
          response = await super.request<TData>({ ...opts, uri });
        } catch (error) {
          return unanswered(error, path);
        }
        const retried = retriedStatus(response.statusCode, response.headers?.['retry-after'], path);
        if (retried) return retried;
        if (response.statusCode === 200 && typeof response.body === 'string') {
          // axios hands back a string when the body was not valid JSON: a truncated or garbled page.
          try {
            JSON.parse(response.body);
          } catch {
            return notJson(path);
          }
        }
        return { done: true, value: response };
      },
      this.policy,
      countedRetries(this.counters, this.options, path),
    );
  }
}
