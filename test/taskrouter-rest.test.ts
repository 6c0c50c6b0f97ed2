/**
 * The refresher's own TaskRouter client (src/taskrouter/rest.ts) against a plain local server: which
 * next pages it follows. Its retries, deadline and error messages are proved against the TaskRouter
 * double in test/refresh.test.ts and test/reliability/refresh-faults.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TaskRouterError } from '../src/errors';
import { TaskRouterRest } from '../src/taskrouter/rest';

describe('the refresher\'s TaskRouter client', () => {
  let server: http.Server;
  let base: string;
  const seen: { path: string; authorization: string | undefined }[] = [];
  /** The next page each request is answered with, by path. */
  const next = new Map<string, string | null>();
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      seen.push({ path: request.url!, authorization: request.headers.authorization });
      const path = new URL(request.url!, 'http://x').pathname;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ workers: [{ sid: path }], meta: { next_page_url: next.get(path) ?? null } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
    next.clear();
  });
  const client = () => new TaskRouterRest({ username: 'AC1', password: 'secret' }, { baseUrl: base, requestTimeoutMs: 2000, deadline: Date.now() + 10_000 });

  it('follows next pages on TaskRouter\'s public origin (sent to the base URL) and on the base itself', async () => {
    next.set('/v1/Workers', 'https://taskrouter.twilio.com/v1/Workers2?PageToken=a');
    next.set('/v1/Workers2', `${base}/v1/Workers3?PageToken=b`);
    const sids: unknown[] = [];
    const rest = client();
    await rest.eachPage('/v1/Workers', { PageSize: 2 }, 'workers', (worker) => worker['sid'], (page) => sids.push(...page));
    rest.close();
    expect(sids).toEqual(['/v1/Workers', '/v1/Workers2', '/v1/Workers3']);
    expect(seen.map((request) => request.path)).toEqual(['/v1/Workers?PageSize=2', '/v1/Workers2?PageToken=a', '/v1/Workers3?PageToken=b']);
    expect(seen.every((request) => request.authorization === `Basic ${Buffer.from('AC1:secret').toString('base64')}`)).toBe(true);
  });

  it('refuses a next page on any other host, so the credentials never go there', async () => {
    next.set('/v1/Workers', 'https://taskrouter.twilio.com.example.net/v1/Workers2');
    const rest = client();
    const failure = await rest.eachPage('/v1/Workers', {}, 'workers', (worker) => worker, () => undefined).catch((error: unknown) => error);
    rest.close();
    expect(failure).toBeInstanceOf(TaskRouterError);
    expect((failure as Error).message).toBe('TaskRouter sent a next page on another host (taskrouter.twilio.com.example.net); not followed');
    expect(seen).toHaveLength(1);
  });
});
