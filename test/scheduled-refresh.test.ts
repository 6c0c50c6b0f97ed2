/**
 * The QStash-scheduled refresh Function on the real twilio-run: requests signed here as QStash signs
 * them (an HS256 JWT over the URL and the body's hash), no network.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { startFunctions, type FunctionsServer } from '../dev/local-stack';
import { changingWorkspace } from '../dev/workspace-model';
import { readRefreshRecord } from '../src/cache/read';
import { startTestStack, type TestStack } from './helpers';

const CURRENT_KEY = 'sig_current_test_key_0000000000';
const NEXT_KEY = 'sig_next_test_key_1111111111111';
const model = changingWorkspace({ queueCount: 80, seed: 51 });
let stack: TestStack;
let functions: FunctionsServer;

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** A QStash-style signature: what `Upstash-Signature` carries. */
function sign(key: string, url: string, body = '', claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ iss: 'Upstash', sub: url, exp: now + 300, nbf: now - 5, iat: now, jti: `jwt_${randomUUID()}`, body: base64url(createHash('sha256').update(body).digest()), ...claims }));
  return `${header}.${payload}.${base64url(createHmac('sha256', key).update(`${header}.${payload}`).digest())}`;
}

beforeAll(async () => {
  stack = await startTestStack({ model });
  // The runtime's own credentials (the scheduled refresh builds its client from them), not refresher secrets.
  const { TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, ...env } = stack.env;
  functions = await startFunctions({ ...env, ACCOUNT_SID: TWILIO_ACCOUNT_SID!, AUTH_TOKEN: TWILIO_AUTH_TOKEN!, QSTASH_CURRENT_SIGNING_KEY: CURRENT_KEY, QSTASH_NEXT_SIGNING_KEY: NEXT_KEY }, { warm: true });
}, 120_000);
afterAll(async () => {
  await functions?.stop();
  await stack?.stop();
});

const endpoint = () => `${functions.url.replace('127.0.0.1', 'localhost')}/refresh-queue-times`;
const call = (signature?: string, body?: string) =>
  fetch(endpoint(), { method: 'POST', headers: { ...(signature ? { 'Upstash-Signature': signature } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) }, ...(body ? { body } : {}) });

describe('refresh-queue-times (QStash)', () => {
  it('refuses unsigned and badly signed requests with 401, refreshing nothing', async () => {
    const before = stack.taskrouter.stats.requests;
    const url = endpoint();
    for (const signature of [undefined, sign('not-the-key', url), sign(CURRENT_KEY, 'https://elsewhere.example/refresh-queue-times'), sign(CURRENT_KEY, url, '', { iss: 'Someone' }), sign(CURRENT_KEY, url, '', { exp: Math.floor(Date.now() / 1000) - 600 }), `${sign(CURRENT_KEY, url).slice(0, -4)}AAAA`]) {
      const response = await call(signature);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    // A schedule with a body: the Function cannot see the raw body, so it refuses instead of trusting it.
    expect((await call(sign(CURRENT_KEY, url, '{"a":1}'), '{"a":1}')).status).toBe(401);
    expect(stack.taskrouter.stats.requests).toBe(before);
    expect(await readRefreshRecord(stack.redis, model.workspaceSid)).toBeNull();
  });

  it('refreshes on a valid signature, with the current or the next signing key', async () => {
    const first = await call(sign(CURRENT_KEY, endpoint()));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ outcome: 'written', queues: 80, write: 'full', entriesWritten: 80 });
    model.bump([model.queues()[3]!.sid]);
    const rotated = await call(sign(NEXT_KEY, endpoint()));
    expect(rotated.status).toBe(200);
    // A warm container keeps its diff base: only the changed queue is sent.
    expect(await rotated.json()).toMatchObject({ outcome: 'written', write: 'diff', entriesWritten: 1 });
    expect(await readRefreshRecord(stack.redis, model.workspaceSid)).toMatchObject({ queueCount: 80 });
  });

  it('answers 503 when the refresh fails, and keeps the previous data', async () => {
    const before = await readRefreshRecord(stack.redis, model.workspaceSid);
    stack.taskrouter.options.fault = () => ({ kind: 'status', status: 401 });
    try {
      const response = await call(sign(CURRENT_KEY, endpoint()));
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: { code: 'refresh_failed' } });
    } finally {
      stack.taskrouter.options.fault = undefined;
    }
    expect(await readRefreshRecord(stack.redis, model.workspaceSid)).toEqual(before);
  });

  it('gives up within its deadline, well under the 10 s Functions allow, writing nothing', async () => {
    const before = await readRefreshRecord(stack.redis, model.workspaceSid);
    stack.taskrouter.options.fault = () => ({ kind: 'hang' });
    const started = Date.now();
    try {
      const response = await call(sign(CURRENT_KEY, endpoint()));
      expect(response.status).toBe(503);
    } finally {
      stack.taskrouter.options.fault = undefined;
    }
    expect(Date.now() - started).toBeLessThan(9_500);
    expect(await readRefreshRecord(stack.redis, model.workspaceSid)).toEqual(before);
  });
});
