/**
 * The refresher's own TaskRouter client: GETs of JSON over node's http(s), nothing else loaded. The
 * `twilio` package costs a refresh about 180 ms and 22 MB before its first request, and makes an
 * object per queue and worker; the refresher reads a handful of list pages and needs neither.
 * It keeps the behaviour of the `twilio`-based layer (http-client.ts) that the other scripts use:
 * requests sent to a configurable base URL (a local double in development), retries of 429, 5xx,
 * network errors, timeouts and garbled bodies with capped jittered backoff that honours Retry-After,
 * a deadline for the whole run, and counts for the run's log line (pacing, for long exports, stays
 * with the other layer).
 */
import http from 'node:http';
import https from 'node:https';
import type { TwilioCredentials } from '../config';
import { DEFAULT_TASKROUTER_API_URL } from '../config';
import { TaskRouterError } from '../errors';
import { retry, type RetryPolicy } from '../retry';
import { countedRetries, notJson, outOfTime, retriedStatus, retryPolicyOf, unanswered, type RequestCounters, type TaskRouterHttpOptions } from './attempts';
import { ListPageSplitter, MalformedPage } from './list-page';

/** As the `twilio`-based layer takes them, but for pacing: a refresh makes a handful of requests and never paces them. */
export type TaskRouterRestOptions = Omit<TaskRouterHttpOptions, 'minIntervalMs'>;

/** What one attempt got back: the status, the Retry-After header and the body as text (all of it, unless a 200 went to a sink). */
interface RawResponse {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** Where the text of a 200 answer goes as it arrives, instead of into one string. */
interface BodySink {
  write(chunk: string): void;
}

/** A GET of `url` with a timeout (ETIMEDOUT) that covers the whole response. */
function get(url: URL, authorization: string, timeoutMs: number, agents: { http: http.Agent; https: https.Agent }, sink?: BodySink): Promise<RawResponse> {
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).get(url, { agent: secure ? agents.https : agents.http, headers: { authorization, accept: 'application/json' } }, (response) => {
      // Decoded as it arrives: no page is ever held twice, as buffers and as text.
      response.setEncoding('utf8');
      let body = '';
      const streamed = response.statusCode === 200 ? sink : undefined;
      response.on('data', (chunk: string) => {
        if (!streamed) body += chunk;
        else {
          try {
            streamed.write(chunk);
          } catch (error) {
            request.destroy(error as Error);
          }
        }
      });
      response.on('error', reject);
      response.on('end', () => {
        clearTimeout(timer);
        const retryAfter = response.headers['retry-after'];
        resolve({ status: response.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, body });
      });
    });
    const timer = setTimeout(() => request.destroy(Object.assign(new Error(`no complete answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** TaskRouter's error body ({ message, code }) in a line, or nothing. */
function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? `: ${parsed.message.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}

export class TaskRouterRest {
  readonly counters: RequestCounters = { requests: 0, retries: 0 };
  private readonly policy: RetryPolicy;
  private readonly publicOrigin = new URL(DEFAULT_TASKROUTER_API_URL).origin;
  private readonly baseUrl: string;
  private readonly authorization: string;
  // keepAlive: a refresh makes its few requests back to back over a few connections.
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  constructor(credentials: Pick<TwilioCredentials, 'username' | 'password'>, private readonly options: TaskRouterRestOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    this.policy = retryPolicyOf(options);
  }

  /**
   * A path under the base URL with its query, or an absolute URL (a next page) on TaskRouter's public
   * origin (sent to the base) or the base's own. Any other host is refused: the credentials go nowhere else.
   */
  private urlOf(pathOrUrl: string, query: Record<string, string | number> = {}): URL {
    const absolute = /^https?:\/\//.test(pathOrUrl);
    if (absolute && !pathOrUrl.startsWith(`${this.publicOrigin}/`) && new URL(pathOrUrl).origin !== new URL(this.baseUrl).origin) {
      throw new TaskRouterError(`TaskRouter sent a next page on another host (${new URL(pathOrUrl).host}); not followed`);
    }
    const url = new URL(absolute ? (pathOrUrl.startsWith(this.publicOrigin) ? this.baseUrl + pathOrUrl.slice(this.publicOrigin.length) : pathOrUrl) : this.baseUrl + pathOrUrl);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
    return url;
  }

  /** GETs JSON, retrying what is worth retrying. Throws TaskRouterError (with the status for HTTP errors, 404 included). */
  async get(pathOrUrl: string, query?: Record<string, string | number>): Promise<Record<string, unknown>> {
    return this.request(pathOrUrl, query, (body) => JSON.parse(body) as unknown);
  }

  /**
   * One page of a list, its items under `key` each parsed and `pick`ed as they stream in (list-page.ts).
   * A page cut short or garbled is read again whole, so no item is handed over twice.
   */
  async page<T>(pathOrUrl: string, query: Record<string, string | number> | undefined, key: string, pick: (item: Record<string, unknown>) => T): Promise<{ items: T[]; nextPageUrl: string | null }> {
    let items: T[] = [];
    let splitter: ListPageSplitter | null = null;
    const rest = await this.request(pathOrUrl, query, () => splitter!.end(), () => {
      items = [];
      splitter = new ListPageSplitter(key, (text) => {
        let item: unknown;
        try {
          item = JSON.parse(text);
        } catch {
          throw new MalformedPage(`an item of ${key} is not JSON`);
        }
        items.push(pick(item as Record<string, unknown>));
      });
      return splitter;
    });
    const meta = rest['meta'] as { next_page_url?: unknown } | undefined;
    return { items, nextPageUrl: typeof meta?.next_page_url === 'string' && meta.next_page_url !== '' ? meta.next_page_url : null };
  }

  private async request(pathOrUrl: string, query: Record<string, string | number> | undefined, parse: (body: string) => unknown, sink?: () => BodySink): Promise<Record<string, unknown>> {
    const url = this.urlOf(pathOrUrl, query);
    const path = url.pathname;
    return retry<Record<string, unknown>>(
      async () => {
        if (Date.now() >= this.policy.deadline) return outOfTime(path);
        this.counters.requests++;
        let response: RawResponse;
        try {
          response = await get(url, this.authorization, this.options.requestTimeoutMs, this.agents, sink?.());
        } catch (error) {
          if (error instanceof MalformedPage) return notJson(path);
          if (error instanceof TaskRouterError) throw error;
          return unanswered(error, path);
        }
        const retried = retriedStatus(response.status, response.retryAfter, path);
        if (retried) return retried;
        if (response.status !== 200) throw new TaskRouterError(`TaskRouter answered HTTP ${response.status} for ${path}${errorDetail(response.body)}`, response.status);
        let parsed: unknown;
        try {
          parsed = parse(response.body);
        } catch (error) {
          if (error instanceof TaskRouterError) throw error;
          // A truncated or garbled page.
          return notJson(path);
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { done: false, error: new TaskRouterError(`TaskRouter sent a body that is not a JSON object for ${path}`, 200) };
        return { done: true, value: parsed as Record<string, unknown> };
      },
      this.policy,
      countedRetries(this.counters, this.options, path),
    );
  }

  /** Every page of a list, following `meta.next_page_url`, each page's picked items handed to `each` once the page is whole. */
  async eachPage<T>(path: string, query: Record<string, string | number>, key: string, pick: (item: Record<string, unknown>) => T, each: (items: T[]) => void): Promise<void> {
    let next: string | null = path;
    // A next page's URL carries its own query.
    let pageQuery: Record<string, string | number> | undefined = query;
    while (next) {
      const page: { items: T[]; nextPageUrl: string | null } = await this.page(next, pageQuery, key, pick);
      each(page.items);
      next = page.nextPageUrl;
      pageQuery = undefined;
    }
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
