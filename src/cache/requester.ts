/**
 * How @upstash/redis reaches Upstash here: its REST protocol over node's own http(s), in place of the
 * client's `fetch`. Loading `fetch` (undici) costs a fresh refresher process about 14 MB of its peak
 * (bench:refresh) and every Function's cold start the same, for a handful of POSTs. The protocol is
 * the client's: a POST of the command (or a pipeline's commands) as JSON with the bearer token, an
 * answer `{ result }` or `{ error }` (a list of those for a pipeline), the read-your-writes sync token
 * carried from answer to request. Behaviour kept from the client as the project configured it: one
 * bound on each request, retries included (a `TimeoutError`), network errors retried with backoff,
 * HTTP errors not retried, an answer that is not JSON an `UpstashJSONParseError`.
 */
import http from 'node:http';
import https from 'node:https';
import { errors, Redis, type Requester, type UpstashRequest, type UpstashResponse } from '@upstash/redis';

export interface RequesterOptions {
  url: string;
  token: string;
  /** Bound on one request, retries included. */
  timeoutMs: number;
  /** Network-error retries. */
  retries: number;
  backoff: (retryCount: number) => number;
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

export class NodeHttpRequester implements Requester {
  readYourWrites = true;
  upstashSyncToken = '';
  private readonly base: URL;
  private readonly agent: http.Agent;

  constructor(private readonly options: RequesterOptions) {
    this.base = new URL(options.url.replace(/\/+$/, ''));
    // Idle kept-alive sockets do not hold a finished process open.
    this.agent = this.base.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  async request<TResult = unknown>(request: UpstashRequest): Promise<UpstashResponse<TResult>> {
    const url = new URL([this.base.pathname.replace(/\/$/, ''), ...(request.path ?? [])].join('/') || '/', this.base);
    const body = JSON.stringify(request.body);
    const deadline = Date.now() + this.options.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      let answer: { status: number; text: string; syncToken: string | undefined };
      try {
        answer = await this.post(url, body, deadline);
      } catch (error) {
        if (error instanceof TimeoutError || attempt >= this.options.retries) throw error;
        const delay = this.options.backoff(attempt);
        if (Date.now() + delay >= deadline) throw new TimeoutError(`no answer within ${this.options.timeoutMs} ms`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer.text);
      } catch (error) {
        throw new errors.UpstashJSONParseError(answer.text, { cause: error });
      }
      if (answer.status < 200 || answer.status >= 300) throw new errors.UpstashError(String((parsed as { error?: unknown } | null)?.error ?? `HTTP ${answer.status}`));
      if (this.readYourWrites) this.upstashSyncToken = answer.syncToken ?? '';
      return parsed as UpstashResponse<TResult>;
    }
  }

  private post(url: URL, body: string, deadline: number): Promise<{ status: number; text: string; syncToken: string | undefined }> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return Promise.reject(new TimeoutError(`no answer within ${this.options.timeoutMs} ms`));
    const headers: Record<string, string | number> = { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (this.readYourWrites) headers['upstash-sync-token'] = this.upstashSyncToken;
    return new Promise((resolve, reject) => {
      const send = url.protocol === 'https:' ? https.request : http.request;
      const request = send(url, { method: 'POST', agent: this.agent, headers }, (response) => {
        response.setEncoding('utf8');
        let text = '';
        response.on('data', (chunk: string) => (text += chunk));
        response.on('error', reject);
        response.on('end', () => {
          clearTimeout(timer);
          const syncToken = response.headers['upstash-sync-token'];
          resolve({ status: response.statusCode ?? 0, text, syncToken: Array.isArray(syncToken) ? syncToken[0] : syncToken });
        });
      });
      const timer = setTimeout(() => request.destroy(new TimeoutError(`no answer within ${this.options.timeoutMs} ms`)), remaining);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.end(body);
    });
  }
}

/**
 * The client over NodeHttpRequester, with the options the config form would take: replies handed over
 * as Redis sent them (no JSON parsing: "123" stays a string), no telemetry, one request per command.
 */
export class UpstashClient extends Redis {
  constructor(requester: Requester) {
    super(requester);
    this.opts = { automaticDeserialization: false };
    this.enableTelemetry = false;
    this.enableAutoPipelining = false;
  }
}
